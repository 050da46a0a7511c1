"""A worker evaluating calculation properties: ``python -m ocean.server.calculation_worker
MEMORY SECONDS``, started by :mod:`ocean.server.calculations` (see there).

It limits its address space to ``MEMORY`` bytes (``RLIMIT_AS``; jq aborts past it, Python
raises ``MemoryError``: the worker then exits with :data:`OUT_OF_MEMORY`) and writes no core
file, answers a first frame once started, then each request (the programs in order, and
the entities pickled) with one frame per program: ``(True, values)`` (None: every value
null) or ``(False, why)`` when the values cannot be sent. It exits when its input ends
(the server stopped, or let it go); before each request it lets itself ``SECONDS`` more of
CPU time (``RLIMIT_CPU``), past which the system ends it: a program cannot be interrupted
(it holds the interpreter's lock, no thread runs meanwhile), and its server, gone, would
not kill it.
"""

from __future__ import annotations

import contextlib
import math
import os
import pickle
import signal
import sys
import time
from collections.abc import Callable
from functools import lru_cache
from typing import IO, Any

from ocean.store.sqlite.child import LENGTH, write_frame
from ocean.transform.jq import CompileError, Expression, Input
from ocean.types import Entity

SLACK = 1 << 20
"""Bytes a program's values may take in a round trip beyond what its entities take."""
OUT_OF_MEMORY = 86
"""The exit code after Python ran out of memory evaluating."""
TOO_BIG = 87
"""The exit code when a round trip's entities did not fit in its memory."""


def _serve(memory: int, seconds: float) -> None:
    """Answer each request (the programs, and the entities pickled) until the input ends
    (the server stopped, or let this worker go): one frame per program, ``(True, values)``
    or ``(False, why)``."""
    _limit(memory)
    answers = os.fdopen(os.dup(sys.stdout.fileno()), "wb")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())  # nothing printed corrupts the answers
    write_frame(answers, pickle.dumps((True, None)))  # started
    while (request := _read_frame(sys.stdin.buffer)) is not None:
        programs, entities_sent = pickle.loads(request)
        try:
            entities: list[Entity] = pickle.loads(entities_sent)
        except MemoryError:
            os._exit(TOO_BIG)
        allowance = SLACK + len(entities_sent)
        for name, program in programs:
            _allow_cpu(seconds)  # each program's budget, as the server waits for each
            answer = _answer(entities, name, program, allowance)
            allowance -= len(answer)
            write_frame(answers, answer)


def _answer(entities: list[Entity], name: str, program: str | None, allowance: int) -> bytes:
    """A program's answer, its values set on ``entities`` (null when they cannot be sent)."""
    evaluate = _compiled(program) if program is not None else None
    values = [_value(evaluate, entity, name) for entity in entities]
    try:
        answer = pickle.dumps((True, values if evaluate else None), pickle.HIGHEST_PROTOCOL)
    except RecursionError:
        return _failed(entities, name, "gave values nested too deep to send")
    if len(answer) > allowance:
        why = f"gave values of {len(answer):,} bytes, over the {allowance:,} this read allows"
        return _failed(entities, name, why)
    return answer


def _failed(entities: list[Entity], name: str, why: str) -> bytes:
    for entity in entities:  # what the programs after it see
        entity.setdefault("properties", {})[name] = None
    return pickle.dumps((False, why))


def _value(evaluate: Callable[[Input], Any] | None, entity: Entity, name: str) -> Any:
    value = None
    if evaluate is not None:
        try:
            value = evaluate(Input(dict(entity)))
        except MemoryError:
            raise
        except Exception:  # as a failing program: null
            value = None
    entity.setdefault("properties", {})[name] = value
    return value


@lru_cache(maxsize=512)
def _compiled(program: str) -> Callable[[Input], Any] | None:
    """The program's lenient evaluator (first output or None), or None when it is not JQ;
    the environment is hidden from it, as from every JQ the server runs for its callers."""
    try:
        return Expression(program, None).lenient()
    except CompileError:
        return None


def _limit(memory: int) -> None:
    """At most ``memory`` bytes of address space, and no core file (jq aborts when it runs
    out of memory), where the system sets such limits."""
    with contextlib.suppress(ImportError, ValueError, OSError):
        import resource

        _set_soft_limit(resource.RLIMIT_CORE, 0)
        _set_soft_limit(resource.RLIMIT_AS, memory)


def _allow_cpu(seconds: float) -> None:
    """Let the next round trip use ``seconds`` more of CPU time (its budget and a second):
    past that the system ends the worker, whose server, gone, did not kill it."""
    with contextlib.suppress(ImportError, ValueError, OSError):
        import resource

        _set_soft_limit(resource.RLIMIT_CPU, math.ceil(time.process_time() + seconds))


def _set_soft_limit(limit: int, value: int) -> None:
    import resource

    _, hard = resource.getrlimit(limit)
    resource.setrlimit(limit, (value if hard == resource.RLIM_INFINITY else min(value, hard), hard))


def _read_frame(stream: IO[bytes]) -> bytes | None:
    """The next request, or None when the input ends."""
    header = stream.read(LENGTH.size)
    if len(header) < LENGTH.size:
        return None
    frame = stream.read(LENGTH.unpack(header)[0])
    return frame if len(frame) == LENGTH.unpack(header)[0] else None


def main() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the server's to handle: input ends then
    try:
        _serve(int(sys.argv[1]), float(sys.argv[2]))
    except MemoryError:
        os._exit(OUT_OF_MEMORY)
    os._exit(0)  # nothing to save in the interpreter's teardown


if __name__ == "__main__":
    main()
