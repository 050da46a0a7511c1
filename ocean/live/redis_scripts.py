"""The Redis queue's Lua scripts (see :mod:`ocean.live.redis_queue`): each runs as one
command, atomically, on Redis."""

# The scripts take a group of events at once (one command however many: redis-py's
# packing and parsing of a command per event was a third of a replica's CPU per event).
# Each group's script says it ran under a key of its own (KEYS[2], kept for the seconds the queue says): the
# client sends a script again on a new connection when the reply was lost, and a group run
# twice would queue (or bury) its events twice; run again, it answers what it answered.
# Puts: KEYS[1] the stream, KEYS[2] the group's, KEYS[2 + i] event i's key list; five ARGV
# per event, then the seconds to keep KEYS[2] and the deadline (milliseconds of Redis's
# clock, 0 for none): a group Redis runs after it (it hung past the client's read timeout,
# which answered 503, "not stored") stores nothing.
PUT = """
local ran = redis.call('GET', KEYS[2])
if ran then return cjson.decode(ran) end
local deadline = tonumber(ARGV[#ARGV])
if deadline > 0 then
    local now = redis.call('TIME')
    if tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000) > deadline then
        return redis.error_reply('LATE the put ran after its sender had given up')
    end
end
local ids = {}
for i = 1, #KEYS - 2 do
    local a = (i - 1) * 5
    local id = redis.call('XADD', KEYS[1], '*', 'path', ARGV[a + 1], 'payload', ARGV[a + 2],
        'headers', ARGV[a + 3], 'key', ARGV[a + 4], 'received', ARGV[a + 5])
    if ARGV[a + 4] ~= '' then redis.call('RPUSH', KEYS[i + 2], id) end
    ids[i] = id
end
redis.call('SET', KEYS[2], cjson.encode(ids), 'EX', ARGV[#ARGV - 1])
return ids
"""
# Finishes: KEYS[1] the stream, KEYS[2] the dead-letter stream, KEYS[3] the group's,
# KEYS[3 + i] event i's key list; ARGV[1] the group, ARGV[2] the seconds to keep KEYS[3],
# then eight per event (id, error: empty when done, and what a buried event keeps).
FINISH = """
if redis.call('EXISTS', KEYS[3]) == 1 then return #KEYS - 3 end
redis.call('SET', KEYS[3], 1, 'EX', ARGV[2])
for i = 1, #KEYS - 3 do
    local a = 2 + (i - 1) * 8
    local id = ARGV[a + 1]
    redis.call('XACK', KEYS[1], ARGV[1], id)
    redis.call('XDEL', KEYS[1], id)
    if redis.call('LINDEX', KEYS[i + 3], 0) == id then redis.call('LPOP', KEYS[i + 3]) end
    if ARGV[a + 2] ~= '' then
        redis.call('XADD', KEYS[2], '*', 'path', ARGV[a + 3], 'payload', ARGV[a + 4],
            'headers', ARGV[a + 5], 'key', ARGV[a + 6], 'received', ARGV[a + 7],
            'attempts', ARGV[a + 8], 'error', ARGV[a + 2])
    end
end
return #KEYS - 3
"""
# A consumer that holds nothing and does not say it is alive (KEYS[2]) leaves the group
# (KEYS[1]; ARGV: the group, the consumer), checked and done at once: a replica restarting
# under that name says so before it reads.
FORGET = """
if redis.call('EXISTS', KEYS[2]) == 1 then return 0 end
if #redis.call('XPENDING', KEYS[1], ARGV[1], '-', '+', 1, ARGV[2]) > 0 then return 0 end
return redis.call('XGROUP', 'DELCONSUMER', KEYS[1], ARGV[1], ARGV[2])
"""
# Which events head their key's list: KEYS[i] event i's key list, ARGV[i] its id.
HEADS = """
local heads = {}
for i = 1, #KEYS do heads[i] = redis.call('LINDEX', KEYS[i], 0) == ARGV[i] and 1 or 0 end
return heads
"""
