"""Compile one mapping expression: the original's quote rewrite, env control, a Python fast path.

An :class:`Expression` evaluates to its first output. It raises :class:`EvaluationError` when
the program fails at runtime or yields nothing, so callers decide what that means (a null
field, or an error for a selector).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

import jq

from ocean.transform.fastpath import Fallback, compile_raw, normalised
from ocean.transform.values import from_jq, to_json_text

_DELIMITING_QUOTE = re.compile(r"(?:^|(?<=\s))'(?![\s\"])|(?<![\s\"])'(?=\s|$)")
"""A quote opening at the start or after a space (not before a space or a double quote),
or closing before a space or the end (not after a space or a double quote): the
original's pattern, whose neighbours are looked at, not consumed."""
_ENV_PRELUDE = "def env: $__ocean_env; $__ocean_env as $ENV | "


class EvaluationError(Exception):
    """The expression failed at runtime or produced no output for one input."""

    def __init__(self, text: str, reason: str, *, failed: bool = True) -> None:
        super().__init__(f"{text!r} {reason}")
        self.reason = reason
        """What went wrong, without the expression's text (``produced no output``)."""
        self.failed = failed
        """Whether jq raised an error (False: it produced no output, as ``empty`` does)."""


class CompileError(Exception):
    """The expression is not valid JQ."""


def rewrite_single_quotes(text: str) -> str:
    """Turn ``'...'`` string delimiters into double quotes, as the original means to: a
    quote opening at the start or after a space, or closing before a space or the end.

    The original's one-pass regex consumes the space after a closing quote, so it misses
    a quote that opens right after it: ``join(' ')`` becomes ``join(" ')``, which is not
    JQ (the field is null there). Ocean looks at each quote's neighbours in the text as
    written, so both are rewritten (``join(" ")``), and so is ``''`` (``.a // ''``), as
    in the original.
    """
    return _DELIMITING_QUOTE.sub('"', text)


class Input:
    """One raw item handed to every expression of a mapping; serialised for jq at most once."""

    __slots__ = ("_text", "value")

    def __init__(self, value: Any) -> None:
        self.value = value
        self._text: str | None = None

    @property
    def text(self) -> str:
        if self._text is None:
            self._text = to_json_text(self.value)
        return self._text


class Expression:
    """One compiled JQ expression of a mapping.

    ``env`` is the whole environment ``env`` / ``$ENV`` see (``None`` hides it: both are ``{}``).
    """

    __slots__ = ("_env", "_fast", "_program_", "_source", "raw", "text")

    def __init__(self, text: str, env: Mapping[str, str] | None) -> None:
        self.text = text
        self._source, self._env = rewrite_single_quotes(text), dict(env or {})
        self.raw = compile_raw(self._source)
        """The Python equivalent without ``from_jq`` normalisation (may raise Fallback)."""
        self._fast = normalised(self.raw)
        self._program_: Any = None
        if self._fast is None:  # what the fast path takes is valid JQ: it compiles when needed
            self._program_ = self._compiled()

    @property
    def _program(self) -> Any:
        if self._program_ is None:
            self._program_ = self._compiled()
        return self._program_

    def _compiled(self) -> Any:
        try:
            return jq.compile(_ENV_PRELUDE + self._source, args={"__ocean_env": self._env})
        except ValueError as error:
            raise CompileError(_located(str(error), self.text)) from None

    def first(self, source: Input) -> Any:
        """The first output of the expression for one input."""
        if self._fast is not None:
            try:
                return self._fast(source.value)
            except Fallback:
                pass
        return self.first_by_jq(source)

    def first_by_jq(self, source: Input) -> Any:
        """The first output as jq computes it, the Python fast path aside (what that path
        must equal)."""
        try:
            return from_jq(self._program.input_text(source.text).first())
        except StopIteration:
            raise EvaluationError(self.text, "produced no output", failed=False) from None
        except ValueError as error:
            raise EvaluationError(self.text, f"failed: {_first_line(error)}") from None

    def lenient(self) -> Callable[[Input], Any]:
        """A function giving the first output, or None when there is none or it fails."""
        first = self.first

        def evaluate(source: Input) -> Any:
            try:
                return first(source)
            except EvaluationError:
                return None

        return evaluate

    @property
    def fast(self) -> Callable[[Any], Any] | None:
        """The Python equivalent (may raise :class:`Fallback`), if there is one."""
        return self._fast

    @property
    def is_fast(self) -> bool:
        """True when Python evaluates it without calling jq."""
        return self._fast is not None


_AT = re.compile(
    r"^(?:jq: error: )?(?P<what>.*?) at <top-level>, line (?P<line>\d+), column \d+:?$"
)


def _located(message: str, source: str) -> str:
    """jq's compile error pointed at the user's expression (line, column and a caret under
    it), not at the program Ocean wraps it in."""
    lines = message.splitlines()
    found = _AT.match(lines[0].strip()) if lines else None
    if found is None:
        return _first_line(Exception(message))
    number = int(found["line"])
    caret = lines[2] if len(lines) > 2 and "^" in lines[2] else ""
    start = caret.find("^") - 4 - (len(_ENV_PRELUDE) if number == 1 else 0)
    own = source.splitlines()[number - 1] if number <= len(source.splitlines()) else ""
    if not caret or not 0 <= start <= len(own):
        return f"{found['what']} at line {number} of the expression"
    width = max(1, len(caret.strip()))
    return (
        f"{found['what']} at line {number}, column {start + 1} of the expression:\n"
        f"    {own}\n    {' ' * start}{'^' * width}"
    )


def _first_line(error: Exception) -> str:
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    return lines[0] if lines else type(error).__name__
