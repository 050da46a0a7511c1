"""What the process uses while a resync's kinds run: CPU, memory and event-loop lag.

The original samples its process every half second while a kind runs (with ``psutil``)
and gives each kind's sync metrics the maximum, median and mean of what it saw
(``cpu_max_percent``, ``memory_median_bytes``, ``event_loop_latency_avg_ms``, ...).
Ocean samples the same way without ``psutil``:

- CPU: the process's CPU seconds (:func:`time.process_time`, all its threads) over the
  wall seconds since the previous sample, as a percentage (above 100 when more than one
  core is busy; the transform pool's worker processes are not counted);
- memory: the resident set size, from ``/proc/self/statm``; where there is none, the
  peak resident size ``resource`` knows (none at all on Windows);
- event-loop lag: how late the loop woke the sampler, in milliseconds.

A :class:`UsageSampler` runs beside one resync: each sample goes to every kind running
then, and a kind that ends before its first sample gets one as it ends (its lag: how
overdue the sampler's wake-up is at that moment).
"""

from __future__ import annotations

import asyncio
import logging
import os
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

_log = logging.getLogger(__name__)
INTERVAL_SECONDS = 0.5
"""How often the process is sampled while kinds run (the original's interval)."""
_STATM = Path("/proc/self/statm")
_SHORTEST = 0.001
"""Wall seconds too short to tell a CPU percentage from (the last one is used)."""


def resident_bytes() -> int | None:
    """The process's resident set size now (its peak where ``/proc`` is absent; None
    where neither can be read)."""
    try:
        pages = int(_STATM.read_text().split()[1])
    except (OSError, ValueError, IndexError):
        return _peak_resident_bytes()
    return pages * os.sysconf("SC_PAGE_SIZE")


def _peak_resident_bytes() -> int | None:
    try:
        import resource
    except ImportError:  # Windows
        return None
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return int(peak if sys.platform == "darwin" else peak * 1024)  # bytes there, KiB here


@dataclass(frozen=True)
class Sample:
    """The process at one moment."""

    cpu_percent: float
    memory_bytes: int | None
    loop_lag_ms: float


def usage_metrics(samples: Sequence[Sample]) -> dict[str, float]:
    """The original's resource fields of a kind's metrics (none without a sample)."""
    if not samples:
        return {}
    found: dict[str, float] = {}
    _summarise(found, "cpu", "percent", [s.cpu_percent for s in samples])
    memory = [s.memory_bytes for s in samples if s.memory_bytes is not None]
    if memory:
        _summarise(found, "memory", "bytes", [float(m) for m in memory])
    _summarise(found, "event_loop_latency", "ms", [s.loop_lag_ms for s in samples])
    return found


def _summarise(found: dict[str, float], name: str, unit: str, values: list[float]) -> None:
    found[f"{name}_max_{unit}"] = float(max(values))
    found[f"{name}_median_{unit}"] = float(statistics.median(values))
    found[f"{name}_avg_{unit}"] = float(statistics.fmean(values))


class UsageSampler:
    """Samples the process every ``interval`` seconds once started, for the kinds open."""

    def __init__(
        self,
        interval: float = INTERVAL_SECONDS,
        *,
        clock: Callable[[], float] = time.monotonic,
        cpu_seconds: Callable[[], float] = time.process_time,
        memory: Callable[[], int | None] = resident_bytes,
    ) -> None:
        self._interval, self._clock = interval, clock
        self._cpu_seconds, self._memory = cpu_seconds, memory
        self._open: dict[int, list[Sample]] = {}
        self._task: asyncio.Task[None] | None = None
        self._mark = (clock(), cpu_seconds())
        """The wall and CPU seconds of the last sample (or of the start)."""
        self._percent = 0.0
        """The last CPU percentage measured."""
        self._due: float | None = None
        """When the sampler is next due to wake (None while it is not running)."""

    def start(self) -> None:
        """Start sampling (once; in a running event loop)."""
        if self._task is None:
            self._mark = (self._clock(), self._cpu_seconds())
            self._task = asyncio.create_task(self._run())

    async def stop(self) -> None:
        """Stop sampling (the kinds still open keep what they got)."""
        task, self._task, self._due = self._task, None, None
        if task is not None:
            task.cancel()
            await asyncio.wait({task})  # (the caller's own cancellation still propagates)

    def open(self, key: int) -> None:
        """Give the samples from now on to the kind ``key`` too."""
        self._open.setdefault(key, [])

    def close(self, key: int) -> dict[str, float]:
        """Stop sampling for ``key``: what it used, in the original's fields (sampled once
        now when no sample fell while it ran; none when it was never opened)."""
        samples = self._open.pop(key, None)
        if samples is None:
            return {}
        if not samples:
            now = self._clock()
            lag = max(0.0, now - self._due) * 1000 if self._due is not None else 0.0
            closing = self._sample(now, lag, move=False)
            samples.extend([closing] if closing is not None else [])
        return usage_metrics(samples)

    async def _run(self) -> None:
        while True:
            self._due = self._clock() + self._interval
            await asyncio.sleep(self._interval)
            now = self._clock()
            sample = self._sample(now, max(0.0, now - self._due) * 1000, move=True)
            if sample is None:
                continue
            for samples in self._open.values():
                samples.append(sample)

    def _sample(self, now: float, lag: float, *, move: bool) -> Sample | None:
        """The process now (None when it cannot be read: never the resync's concern)."""
        try:
            percent = self._cpu_percent(now, move=move)
            return Sample(percent, self._memory(), lag)
        except Exception as error:
            _log.debug("sampling the process failed: %s", error)
            return None

    def _cpu_percent(self, now: float, *, move: bool) -> float:
        """The CPU percentage since the last sample (moving the mark to now if ``move``)."""
        cpu = self._cpu_seconds()
        began, used = self._mark
        if now - began >= _SHORTEST:
            self._percent = max(0.0, cpu - used) / (now - began) * 100
        if move:
            self._mark = (now, cpu)
        return self._percent
