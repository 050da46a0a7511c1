"""The embedded catalog's child process: its read-ahead of requests, and the cycle
collector's full pass once it idles after some work."""

from __future__ import annotations

import os
import threading
import time

from ocean.store.sqlite.child import _read_ahead, write_frame


def test_an_idle_child_frees_what_its_work_left_in_cycles_once(paced: list[int]) -> None:
    theirs, ours = os.pipe()
    requests, sending = os.fdopen(theirs, "rb"), os.fdopen(ours, "wb")
    frames = _read_ahead(requests, idle=0.05)
    read: list[bytes] = []
    reading = threading.Thread(target=lambda: read.extend(frames))
    reading.start()
    time.sleep(0.2)
    before_any_work = list(paced)
    write_frame(sending, b"request")
    deadline = time.monotonic() + 5
    while 2 not in paced and time.monotonic() < deadline:  # read, then idle: a full pass
        time.sleep(0.01)
    time.sleep(0.2)  # idle on: no other
    sending.close()
    reading.join(timeout=5)
    requests.close()

    assert read == [b"request"]
    assert 2 not in before_any_work
    assert paced.count(2) == 1
