"""While a resync's kinds run, the process is sampled as the original samples it (CPU,
memory, event-loop lag), and each kind gets the maximum, median and mean of what it saw,
in the original's field names."""

from __future__ import annotations

import asyncio
import time

import pytest

from ocean.monitor.process_usage import UsageSampler, resident_bytes

FIELDS = {
    f"{name}_{stat}_{unit}"
    for name, unit in (("cpu", "percent"), ("memory", "bytes"), ("event_loop_latency", "ms"))
    for stat in ("max", "median", "avg")
}


class _HalfBusy:
    """A clock, and the CPU seconds of a process that keeps one core half busy by it."""

    def __init__(self) -> None:
        self.now = time.monotonic()

    def clock(self) -> float:
        self.now = time.monotonic()
        return self.now

    def cpu_seconds(self) -> float:
        return self.now / 2


class _Memory:
    """Resident sizes, one per sample (the last repeated); counts the samples taken."""

    def __init__(self, *sizes: int) -> None:
        self.sizes, self.taken = sizes, 0

    def __call__(self) -> int:
        self.taken += 1
        return self.sizes[min(self.taken, len(self.sizes)) - 1]

    async def until(self, taken: int) -> None:
        async with asyncio.timeout(5):
            while self.taken < taken:
                await asyncio.sleep(0.005)


async def test_a_kind_gets_the_max_median_and_mean_of_the_samples_taken_while_it_ran() -> None:
    memory = _Memory(1000, 3000, 2000)
    busy = _HalfBusy()
    sampler = UsageSampler(0.01, clock=busy.clock, cpu_seconds=busy.cpu_seconds, memory=memory)
    sampler.open(0)
    sampler.start()

    await memory.until(3)
    used = sampler.close(0)
    await sampler.stop()

    assert set(used) == FIELDS
    assert used["cpu_max_percent"] == pytest.approx(50)
    assert used["cpu_avg_percent"] == pytest.approx(50)
    assert used["memory_max_bytes"] == 3000.0
    assert used["memory_median_bytes"] == 2000.0
    assert all(isinstance(value, float) for value in used.values())


async def test_a_loop_held_up_shows_as_event_loop_latency() -> None:
    memory = _Memory(1000)
    sampler = UsageSampler(0.01, memory=memory)
    sampler.open(0)
    sampler.start()
    await asyncio.sleep(0)  # the sampler waits for its first wake-up

    time.sleep(0.06)  # the loop is blocked past the wake-up
    await memory.until(1)
    used = sampler.close(0)
    await sampler.stop()

    assert used["event_loop_latency_max_ms"] >= 40


async def test_a_kind_that_ends_before_the_first_sample_is_sampled_as_it_ends() -> None:
    busy = _HalfBusy()
    sampler = UsageSampler(
        3600, clock=busy.clock, cpu_seconds=busy.cpu_seconds, memory=lambda: 4096
    )
    sampler.start()
    await asyncio.sleep(0.02)
    sampler.open(0)

    used = sampler.close(0)
    await sampler.stop()

    assert set(used) == FIELDS
    assert used["cpu_median_percent"] == pytest.approx(50)
    assert used["memory_avg_bytes"] == 4096.0
    assert used["event_loop_latency_max_ms"] == 0.0  # its wake-up is not yet due


async def test_a_kind_never_opened_gets_nothing_and_unknown_memory_is_left_out() -> None:
    sampler = UsageSampler(3600, memory=lambda: None)
    sampler.open(1)

    assert sampler.close(0) == {}
    assert set(sampler.close(1)) == {f for f in FIELDS if not f.startswith("memory")}


async def test_a_process_that_cannot_be_read_leaves_the_kind_without_usage_and_fails_nothing() -> (
    None
):
    def unreadable() -> int:
        raise OSError("gone")

    sampler = UsageSampler(0.01, memory=unreadable)
    sampler.open(0)
    sampler.start()
    await asyncio.sleep(0.05)

    used = sampler.close(0)
    await sampler.stop()

    assert used == {}


def test_the_resident_size_is_read_from_the_system() -> None:
    size = resident_bytes()

    assert size is not None
    assert 1_000_000 < size < 100_000_000_000
