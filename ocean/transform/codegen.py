"""Compile a resource's mapped fields into one generated Python function.

The function evaluates every leaf inline: literals are constants, ``.key`` paths are dict
lookups, other fast-path leaves are one call, and only the rest reach jq. The per-leaf
closures of :mod:`ocean.transform.leaf` give the same results; this only removes their
call overhead, which dominates when most leaves are plain paths.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

from ocean.transform.fastpath import Fallback, constant_value, key_path
from ocean.transform.jq import Input, rewrite_single_quotes
from ocean.transform.leaf import Leaf, Node, node_builder
from ocean.transform.values import EXACT_DOUBLE, from_jq, missed_other_key
from ocean.types import Entity

EntityBuilder = Callable[[Input, dict[str, str]], Entity]
_SCALARS = (bool, int, float)


class _Function:
    def __init__(self) -> None:
        self.lines: list[str] = []
        self.namespace: dict[str, Any] = {
            "Fallback": Fallback,
            "from_jq": from_jq,
            "deepcopy": copy.deepcopy,
            "SCALARS": _SCALARS,
            "missed": missed_other_key,
        }
        self.count = 0

    def constant(self, value: Any) -> str:
        name = f"k{len(self.namespace)}"
        self.namespace[name] = value
        return name

    def variable(self) -> str:
        self.count += 1
        return f"v{self.count}"

    def emit(self, *lines: str) -> None:
        self.lines.extend(f"    {line}" for line in lines)


def _walk(function: _Function, variable: str, keys: list[str], slow: str) -> list[str]:
    """Statements reading ``.k1.k2...`` from ``item`` into ``variable`` as jq does: a key of
    an object, null through null; anything else (jq's error) goes to ``slow``, the whole
    expression in jq."""
    first = function.constant(keys[0])
    path = function.constant(keys)  # a key that is not a string: jq reads its JSON text
    missed = f"if {variable} is None and missed(item, {path}): {variable} = {slow}(source)"
    if len(keys) == 1:
        return [f"{variable} = item.get({first}) if type(item) is dict else {slow}(source)", missed]
    lines = [f"{variable} = item.get({first}) if type(item) is dict else item"]
    for depth, key in enumerate(keys[1:]):
        indent = "    " * depth
        lines += [
            f"{indent}if type({variable}) is dict:",
            f"{indent}    {variable} = {variable}.get({function.constant(key)})",
        ]
    for depth in reversed(range(len(keys) - 1)):
        lines.append(f"{'    ' * depth}elif {variable} is not None: {variable} = {slow}(source)")
    return [*lines, missed]


def _normalised(variable: str) -> str:
    """The statement passing ``variable`` through ``from_jq``, skipped inline for what it
    returns as is: strings, null, booleans and integers a double holds exactly."""
    return (
        f"if not (type({variable}) is str or {variable} is None or type({variable}) is bool "
        f"or (type({variable}) is int and -{EXACT_DOUBLE} <= {variable} <= {EXACT_DOUBLE})): "
        f"{variable} = from_jq({variable})"
    )


def generate_builder(fields: dict[str, Node], *, coerced: tuple[str, ...]) -> EntityBuilder:
    """One function computing the entity dict (only mapped fields) for one input."""
    function = _Function()
    function.emit("item = source.value")
    parts = []
    for name, node in fields.items():
        if isinstance(node, dict) and all(isinstance(child, Leaf) for child in node.values()):
            inner = [f"{key!r}: {_value(function, child)}" for key, child in node.items()]
            parts.append(f"{name!r}: {{{', '.join(inner)}}}")
            continue
        variable = _value(function, node)
        if name in coerced:
            function.emit(f"if type({variable}) in SCALARS: {variable} = str({variable})")
        parts.append(f"{name!r}: {variable}")
    function.emit(f"return {{{', '.join(parts)}}}")
    source = "def build(source, mis):\n" + "\n".join(function.lines) + "\n"
    exec(compile(source, "<ocean mapping>", "exec"), function.namespace)
    built: EntityBuilder = function.namespace["build"]
    return built


def _value(function: _Function, node: Node) -> str:
    """Emit the statements for one node; return the variable holding its value."""
    variable = function.variable()
    if not isinstance(node, Leaf):
        function.emit(f"{variable} = {function.constant(node_builder(node))}(source, mis)")
        return variable
    _leaf(function, node, variable)
    path, text = function.constant(node.path), function.constant(node.text)
    function.emit(f"if {variable} is None: mis[{path}] = {text}")
    return variable


def _leaf(function: _Function, leaf: Leaf, variable: str) -> None:
    expression = leaf.expression
    if expression is None:
        function.emit(f"{variable} = None")
        return
    slow = function.constant(expression.lenient())
    literal = constant_value(rewrite_single_quotes(leaf.text).strip())
    keys = key_path(rewrite_single_quotes(leaf.text).strip())
    if literal is not None and not isinstance(literal, list | dict):
        function.emit(f"{variable} = {function.constant(literal)}")
    elif keys is not None:
        function.emit(*_walk(function, variable, keys, slow), _normalised(variable))
    elif expression.raw is not None:
        fast = function.constant(expression.raw)
        function.emit(
            f"try: {variable} = {fast}(item)",
            f"except Fallback: {variable} = {slow}(source)",
            _normalised(variable),
        )
    else:
        function.emit(f"{variable} = {slow}(source)")
