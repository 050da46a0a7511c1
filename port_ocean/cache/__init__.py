"""``port_ocean.cache``: where ``port_ocean.utils.cache`` keeps results
(``ocean.app.cache_provider``); Ocean's is in memory, emptied around each full resync."""
