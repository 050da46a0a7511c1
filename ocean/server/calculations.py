"""Calculation properties' JQ, run in worker processes of their own, within limits.

A blueprint's calculations are programs whoever may write blueprints sends (integration
credentials may), so one can run without end (``last(range(1e15))``) or take every byte
of memory (``[range(1e9)]``). The ``jq`` binding cannot be interrupted (nor does it let
other threads run meanwhile), so no program runs in the server: a read's entities go, per
blueprint and :data:`CHUNK` at a time, to a worker (:mod:`ocean.server.calculation_worker`;
at most :data:`WORKERS`, the first started with the first calculation to run, another
while one is busy), which compiles each program once, evaluates them in order (a later
one sees the values of those before it, as it always has) and answers each program's
values as soon as it has them. The read awaits that on a thread of its own (the event loop
serves other requests meanwhile), and a program's property is null, for the entities of
that read, when:

- a program takes more than :data:`BUDGET` seconds over a round trip's entities: the
  worker is killed and replaced;
- the worker exceeds :data:`MEMORY` bytes of address space (``RLIMIT_AS``): jq aborts, or
  Python raises ``MemoryError``, and the worker exits; it is replaced;
- the program's values for the read take more than what the read's entities take
  (pickled) and a MiB (:data:`~ocean.server.calculation_worker.SLACK`): the server would
  hold and send them.

Such a program is logged once (blueprint, property, reason) and skipped, its property
null, for :data:`SKIPPED_FOR` seconds; the properties after it in the blueprint are null
in that read only. A program that fails as JQ (an error, no output) is null as before.
The workers end when the :class:`Calculations` that started them is closed or collected,
or with the server's process (a worker exits when its input ends, or, running a program,
past its CPU time).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import pickle
import select
import signal
import subprocess
import sys
import threading
import time
import weakref
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import IO, Any, NamedTuple

from ocean.server.calculation_worker import OUT_OF_MEMORY, TOO_BIG
from ocean.store.sqlite.child import LENGTH
from ocean.store.sqlite.spawn import child_environment
from ocean.types import Entity

BUDGET = 2.0
"""Seconds a worker has for each program of a round trip (one of a blueprint's
calculations over up to :data:`CHUNK` entities of a read). jq takes 5-50 microseconds per
small entity for the programs blueprints carry, so a program's round trip takes
milliseconds (500 entities of 50 KB: about 0.3 s): 2 s leaves a loaded machine room, and
is the most one program can hold a worker (then its read) before it is skipped."""
MEMORY = 512 << 20
"""A worker's address space (``RLIMIT_AS``): an idle worker maps about 100 MiB (the
interpreter, jq, its reading thread's stack and heap), a round trip of typical entities
tens more."""
WORKERS = 2
"""Workers at most: while one runs a program that will not end, the other answers."""
CHUNK = 500
"""Entities of a blueprint per round trip (a read of more makes several)."""
SKIPPED_FOR = 600.0
"""Seconds a program that ran out of time or memory is skipped (null) before it is run
again."""
STARTUP = 30.0
"""Seconds a new worker has to start (not counted in :data:`BUDGET`)."""
_REMEMBERED = 10_000
"""Programs remembered as skipped at most (the oldest are forgotten first)."""

_WORKER = "ocean.server.calculation_worker"
_log = logging.getLogger(__name__)

Program = tuple[str, str]
"""A calculation property's name and its JQ."""


class Failure(NamedTuple):
    """Why a program has no values in a round trip."""

    reason: str
    lasting: bool
    """The program's own doing (time, memory, a crash, too large values): skip it a while."""


Answer = list[Any] | None | Failure
"""A program's values for a round trip's entities in order (None: every one null)."""


class Calculations:
    """The calculation properties of a server's reads, evaluated by its workers; no worker
    starts before the first calculation does. :meth:`close` ends them (so does collecting
    this object)."""

    def __init__(
        self, budget: float = BUDGET, memory: int = MEMORY, workers: int = WORKERS
    ) -> None:
        self.budget, self.memory = budget, memory
        self._pool = _Pool(workers, memory, budget)
        self._skipped = _Skipped()
        self._close = weakref.finalize(self, self._pool.close)

    async def apply(self, blueprint: str, programs: list[Program], entities: list[Entity]) -> None:
        """Set each program's property on ``entities`` (of ``blueprint``), in order."""
        for start in range(0, len(entities), CHUNK):
            part = entities[start : start + CHUNK]
            answers = await self._answers(blueprint, programs, part)
            for (name, _), answer in zip(programs, answers, strict=True):
                values = answer if isinstance(answer, list) else [None] * len(part)
                for entity, value in zip(part, values, strict=True):
                    entity.setdefault("properties", {})[name] = value

    async def _answers(
        self, blueprint: str, programs: list[Program], entities: list[Entity]
    ) -> list[Answer]:
        """Each program's answer for ``entities``, from a thread of the pool (all null once
        it is closed)."""
        entities_sent = pickle.dumps(entities, pickle.HIGHEST_PROTOCOL)
        try:
            return await asyncio.get_running_loop().run_in_executor(
                self._pool.threads, self._evaluated, blueprint, programs, entities_sent
            )
        except RuntimeError:  # closed (its threads take no more work)
            if not self._pool.closed:
                raise
            return [None] * len(programs)

    def _evaluated(
        self, blueprint: str, programs: list[Program], entities_sent: bytes
    ) -> list[Answer]:
        """(On a thread of the pool.) Each program's answer, skipped ones null."""
        sent = [
            (name, None if self._skipped.skips((blueprint, name, program)) else program)
            for name, program in programs
        ]
        if all(program is None for _, program in sent):
            return [None] * len(programs)
        request = pickle.dumps((sent, entities_sent), pickle.HIGHEST_PROTOCOL)
        answers = self._pool.exchange(request, len(sent))
        cut = len(answers) < len(programs)  # the worker stopped: the later ones have none
        for index, answer in enumerate(answers):
            if isinstance(answer, Failure):
                self._failed(blueprint, programs[index], answer, cut and index == len(answers) - 1)
        return answers + [None] * (len(programs) - len(answers))

    def _failed(self, blueprint: str, program: Program, failure: Failure, cut: bool) -> None:
        name, text = program
        later = " (and the blueprint's calculation properties after it, in this read)"
        if not failure.lasting:
            _log.warning(
                "calculation property %r of blueprint %r is null in this read%s: %s",
                name,
                blueprint,
                later if cut else "",
                failure.reason,
            )
            return
        self._skipped.add((blueprint, name, text))
        _log.warning(
            "calculation property %r of blueprint %r %s: it is null for %d minutes%s, then "
            "run again; its JQ: %.200s",
            name,
            blueprint,
            failure.reason,
            SKIPPED_FOR // 60,
            later if cut else "",
            text,
        )

    def pids(self) -> list[int]:
        """The process ids of the workers running now."""
        return self._pool.pids()

    def close(self) -> None:
        """End the workers (a round trip under way has its properties null)."""
        self._close()


class _Skipped:
    """Programs skipped until a moment: ``(blueprint, property, JQ)`` (thread-safe)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._until: dict[tuple[str, str, str], float] = {}
        self._lock = threading.Lock()
        self._clock = clock

    def skips(self, key: tuple[str, str, str]) -> bool:
        with self._lock:
            until = self._until.get(key)
            if until is None or until > self._clock():
                return until is not None
            del self._until[key]
            return False

    def add(self, key: tuple[str, str, str]) -> None:
        with self._lock:
            now = self._clock()
            if len(self._until) >= _REMEMBERED:
                self._until = {k: t for k, t in self._until.items() if t > now}
            while len(self._until) >= _REMEMBERED:
                del self._until[next(iter(self._until))]
            self._until.pop(key, None)
            self._until[key] = now + SKIPPED_FOR


class _Pool:
    """Up to ``size`` workers, each used by one thread of :attr:`threads` at a time."""

    def __init__(self, size: int, memory: int, budget: float) -> None:
        self.threads = ThreadPoolExecutor(max_workers=size, thread_name_prefix="calculations")
        self.closed = False
        self._memory, self._budget = memory, budget
        self._idle: list[_Worker] = []
        self._busy: set[_Worker] = set()
        self._lock = threading.Lock()

    def exchange(self, request: bytes, count: int) -> list[Answer]:
        """The answers of a worker to ``request`` (``count`` programs), a :class:`Failure`
        last when it stopped before the end."""
        try:
            worker = self._take()
        except OSError as error:
            return [Failure(f"no calculation worker could start: {error}", lasting=False)]
        try:
            return worker.exchange(request, count, self._budget)
        finally:
            self._give_back(worker)

    def _take(self) -> _Worker:
        with self._lock:
            if self.closed:
                raise OSError("the server is stopping")
            while self._idle and not self._idle[-1].alive():  # killed while idle (OOM, a
                self._idle.pop().end()  # person): its next program is not to blame
            worker = self._idle.pop() if self._idle else _Worker(self._memory, self._budget)
            self._busy.add(worker)
            return worker

    def _give_back(self, worker: _Worker) -> None:
        """An ended worker is replaced at once, so that the next read finds one started."""
        with self._lock:
            self._busy.discard(worker)
            if self.closed:
                worker.end()
            elif worker.ended:
                with contextlib.suppress(OSError):  # the next read starts one, or says why
                    self._idle.append(_Worker(self._memory, self._budget))
            else:
                self._idle.append(worker)

    def pids(self) -> list[int]:
        with self._lock:
            return [w.pid for w in [*self._idle, *self._busy] if not w.ended]

    def close(self) -> None:
        with self._lock:
            self.closed = True
            idle, self._idle = self._idle, []
            for worker in self._busy:
                worker.kill()  # its thread ends it
        for worker in idle:
            worker.end()
        self.threads.shutdown(wait=False, cancel_futures=True)


class _Stopped(Exception):
    """The worker did not answer: ``late`` (out of time) or its answers ended."""

    def __init__(self, late: bool) -> None:
        self.late = late


class _Worker:
    """One worker process, with pipes read and written within deadlines."""

    def __init__(self, memory: int, budget: float) -> None:
        self.memory = memory
        self._process = subprocess.Popen(
            [sys.executable, "-m", _WORKER, str(memory), str(budget + 1)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,  # what a program prints (debug, stderr) goes nowhere
            env=child_environment(),
        )
        self.pid = self._process.pid
        self._requests: IO[bytes] = self._process.stdin  # type: ignore[assignment]
        self._answers: IO[bytes] = self._process.stdout  # type: ignore[assignment]
        os.set_blocking(self._requests.fileno(), False)
        self._buffer = bytearray()
        self._started = False
        self.ended = False

    def exchange(self, request: bytes, count: int, budget: float) -> list[Answer]:
        answers: list[Answer] = []
        try:
            if not self._started:
                self._receive(time.monotonic() + STARTUP)  # it is ready
                self._started = True
            deadline = time.monotonic() + budget
            self._send(request, deadline)
            while len(answers) < count:
                ok, value = pickle.loads(self._receive(deadline))
                answers.append(value if ok else Failure(str(value), lasting=True))
                deadline = time.monotonic() + budget  # each program has the budget
        except _Stopped as stopped:
            answers.append(self._failure(stopped, budget))
        return answers

    def alive(self) -> bool:
        return self._process.poll() is None

    def _failure(self, stopped: _Stopped, budget: float) -> Failure:
        started, code = self._started, self.end()
        if not started:
            how = f"in {STARTUP:g} s" if stopped.late else f"(exit code {code})"
            return Failure(f"no calculation worker started {how}", lasting=False)
        if stopped.late:
            return Failure(f"ran longer than {budget:g} s", lasting=True)
        if code in (-signal.SIGABRT, OUT_OF_MEMORY):
            return Failure(f"used more than {self.memory >> 20} MiB of memory", lasting=True)
        if code == TOO_BIG:
            return Failure(
                f"the read's entities do not fit in a worker's {self.memory >> 20} MiB", False
            )
        with contextlib.suppress(ValueError):
            return Failure(f"crashed its worker ({signal.Signals(-code).name})", lasting=True)
        return Failure(f"stopped its worker (exit code {code})", lasting=True)

    def _send(self, data: bytes, deadline: float) -> None:
        pending = memoryview(LENGTH.pack(len(data)) + data)
        poller = select.poll()
        poller.register(self._requests.fileno(), select.POLLOUT)
        while pending:
            if not poller.poll(_milliseconds(deadline)):
                raise _Stopped(late=True)
            try:
                pending = pending[os.write(self._requests.fileno(), pending) :]
            except BlockingIOError:
                continue
            except OSError:  # it exited
                raise _Stopped(late=False) from None

    def _receive(self, deadline: float) -> bytes:
        poller = select.poll()
        poller.register(self._answers.fileno(), select.POLLIN)
        while (frame := self._frame()) is None:
            if not poller.poll(_milliseconds(deadline)):
                raise _Stopped(late=True)
            try:
                chunk = os.read(self._answers.fileno(), 1 << 20)
            except OSError:
                chunk = b""
            if not chunk:  # it exited
                raise _Stopped(late=False)
            self._buffer += chunk
        return frame

    def _frame(self) -> bytes | None:
        if len(self._buffer) < LENGTH.size:
            return None
        end = LENGTH.size + LENGTH.unpack_from(self._buffer)[0]
        if len(self._buffer) < end:
            return None
        frame = bytes(self._buffer[LENGTH.size : end])
        del self._buffer[:end]
        return frame

    def kill(self) -> None:
        with contextlib.suppress(OSError):
            self._process.kill()

    def end(self) -> int:
        """Kill it, reap it and close its pipes; its exit code (negative: a signal's)."""
        self.ended = True
        self.kill()
        code = self._process.wait()
        for pipe in (self._requests, self._answers):
            with contextlib.suppress(OSError):
                pipe.close()
        return code


def _milliseconds(deadline: float) -> int:
    return max(0, int((deadline - time.monotonic()) * 1000) + 1)
