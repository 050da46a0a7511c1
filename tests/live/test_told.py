"""What acceptors tell the sail through their pipe: signals and event counts in frames,
read back whole however the pipe splits them, and counts kept while the pipe is full."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterator

import pytest
from prometheus_client import CollectorRegistry

from ocean.live.told import ARRIVED, READY, EventTally, Told
from ocean.monitor.metrics import Metrics


@pytest.fixture
def pipe() -> Iterator[tuple[int, int]]:
    read, write = os.pipe()
    os.set_blocking(write, False)
    yield read, write
    os.close(read)
    os.close(write)


def told_counts(metrics: Metrics) -> dict[tuple[str, str], float]:
    return {
        (sample.labels["path"], sample.labels["outcome"]): sample.value
        for family in metrics.registry.collect()
        if family.name == "ocean_live_events"
        for sample in family.samples
        if sample.name.endswith("_total")
    }


def drained(read: int) -> bytes:
    os.set_blocking(read, False)
    data = b""
    while True:
        try:
            chunk = os.read(read, 65536)
        except BlockingIOError:
            return data
        if not chunk:
            return data
        data += chunk


@pytest.mark.parametrize("chunk", [1, 3, 7, 1 << 16], ids=lambda n: f"{n}-byte reads")
def test_signals_and_counts_read_back_however_the_pipe_splits_them(
    pipe: tuple[int, int], chunk: int
) -> None:
    read, write = pipe
    tally = EventTally()
    for outcome in ["queued", "queued", "rejected-401"]:
        tally.event("/person", outcome)
    tally.event("/a.R.C\n", "queued")  # a path holding the signals' and frames' bytes
    os.write(write, READY + ARRIVED)
    tally.tell(write)
    os.write(write, ARRIVED + READY)
    arrivals: list[None] = []
    metrics = Metrics(CollectorRegistry(), process=False)
    told = Told(lambda: arrivals.append(None), metrics)

    data = drained(read)
    for start in range(0, len(data), chunk):
        told.data_received(data[start : start + chunk])

    assert told.ready == 2 and arrivals
    assert told_counts(metrics) == {
        ("/person", "queued"): 2.0,
        ("/person", "rejected-401"): 1.0,
        ("/a.R.C\n", "queued"): 1.0,
    }


def test_counts_the_full_pipe_cannot_take_are_told_later(pipe: tuple[int, int]) -> None:
    read, write = pipe
    while True:  # fill the pipe
        try:
            os.write(write, ARRIVED * 4096)
        except BlockingIOError:
            break
    tally = EventTally()
    tally.event("/person", "queued")
    tally.tell(write)
    drained(read)
    tally.event("/person", "queued")
    tally.tell(write)
    metrics = Metrics(CollectorRegistry(), process=False)

    Told(None, metrics).data_received(drained(read))

    assert told_counts(metrics) == {("/person", "queued"): 2.0}


def test_many_paths_are_told_in_frames_the_kernel_writes_whole(pipe: tuple[int, int]) -> None:
    read, write = pipe
    tally = EventTally()
    paths = [f"/hooks/{'x' * 40}/{n}" for n in range(400)]
    for path in paths:
        tally.event(path, "queued")
    tally.tell(write)
    data = drained(read)
    metrics = Metrics(CollectorRegistry(), process=False)

    Told(None, metrics).data_received(data)

    frames = data.split(b"\n")[:-1]
    assert len(frames) > 1 and all(len(frame) + 1 <= 4096 for frame in frames)
    assert told_counts(metrics) == {(path, "queued"): 1.0 for path in paths}


async def test_the_sail_reads_to_the_pipes_end() -> None:
    read, write = os.pipe()
    metrics = Metrics(CollectorRegistry(), process=False)
    told = Told(None, metrics)
    transport, _ = await asyncio.get_running_loop().connect_read_pipe(
        lambda: told, os.fdopen(read, "rb", buffering=0)
    )
    tally = EventTally()
    tally.event("/person", "ignored")
    tally.tell(write)

    os.close(write)  # the last acceptor exited
    await asyncio.wait_for(told.ended.wait(), 5)

    transport.close()
    assert told_counts(metrics) == {("/person", "ignored"): 1.0}


def test_a_path_longer_than_a_frame_is_not_told_and_the_others_are(
    pipe: tuple[int, int],
) -> None:
    read, write = pipe
    tally = EventTally()
    tally.event("/" + "x" * 5000, "queued")
    tally.event("/person", "queued")
    tally.tell(write)
    metrics = Metrics(CollectorRegistry(), process=False)
    told = Told(None, metrics)

    told.data_received(drained(read) + READY)

    assert told_counts(metrics) == {("/person", "queued"): 1.0} and told.ready == 1
