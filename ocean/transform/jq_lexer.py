"""Just enough lexing of JQ text to find top-level operators for the fast path."""

from __future__ import annotations

_OPENING, _CLOSING = "([{", ")]}"


def mask_strings(text: str) -> str | None:
    """``text`` with the inside of every string literal replaced by ``_`` (same length).

    Interpolated code inside strings is masked too, so operators found in the result are
    real operators. None when the text's strings are unbalanced.
    """
    masker = _Masker(text)
    while masker.position < len(text):
        masker.step()
    return None if masker.stack else "".join(masker.out)


class _Masker:
    def __init__(self, text: str) -> None:
        self.text, self.out, self.position = text, list(text), 0
        self.stack: list[list[int] | None] = []  # None: in a string; [depth]: interpolated code

    def step(self) -> None:
        char = self.text[self.position]
        if self.stack and self.stack[-1] is None:
            self._in_string(char)
        elif self.stack:
            self._in_interpolation(char, self.stack[-1])  # type: ignore[arg-type]
        else:
            if char == '"':
                self.stack.append(None)
            self.position += 1

    def _in_string(self, char: str) -> None:
        if char == "\\":
            if self.text[self.position + 1 : self.position + 2] == "(":
                self.stack.append([0])
            self._mask(2)
        elif char == '"':
            self.stack.pop()
            self._mask(1) if self.stack else self._keep()
        else:
            self._mask(1)

    def _in_interpolation(self, char: str, depth: list[int]) -> None:
        if char == "(":
            depth[0] += 1
        elif char == ")" and depth[0] == 0:
            self.stack.pop()
        elif char == ")":
            depth[0] -= 1
        elif char == '"':
            self.stack.append(None)
        self._mask(1)

    def _mask(self, count: int) -> None:
        end = min(self.position + count, len(self.text))
        self.out[self.position : end] = "_" * (end - self.position)
        self.position = end

    def _keep(self) -> None:
        self.position += 1


def top_level(masked: str, operator: str, *, word: bool = False) -> list[int]:
    """Positions of ``operator`` outside brackets in masked text (whole words if ``word``)."""
    found, depth, position = [], 0, 0
    while position < len(masked):
        char = masked[position]
        if char in _OPENING:
            depth += 1
        elif char in _CLOSING:
            depth -= 1
        elif (
            depth == 0
            and masked.startswith(operator, position)
            and _bounded(masked, position, operator, word)
        ):
            found.append(position)
            position += len(operator)
            continue
        position += 1
    return found


def _bounded(masked: str, position: int, operator: str, word: bool) -> bool:
    before = masked[position - 1] if position else " "
    after = masked[position + len(operator) : position + len(operator) + 1] or " "
    if word:
        return not (before.isalnum() or before in "_$.") and not (after.isalnum() or after == "_")
    if operator in ("|", "//") and after == "=":
        return False  # |= and //= are assignments
    if operator == "|" and before == "/" or operator == "//" and (before == "/" or after == "/"):
        return False
    return not (operator in ("==", "!=") and (before in "=!<>" or after == "="))


def wrapped_in_parentheses(masked: str) -> bool:
    """True for ``( ... )`` whose first parenthesis closes at the very end."""
    if not (masked.startswith("(") and masked.endswith(")")):
        return False
    depth = 0
    for position, char in enumerate(masked):
        depth += char in _OPENING
        depth -= char in _CLOSING
        if depth == 0:
            return position == len(masked) - 1
    return False
