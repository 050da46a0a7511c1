"""The leaves of a mapping (one JQ text each) and the trees of them that search queries form."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any, TypeAlias

from ocean.mapping import leaf_as_text
from ocean.transform.fastpath import Fallback
from ocean.transform.jq import CompileError, Expression, Input


class Leaf:
    """One JQ leaf of a mapping: where it sits, its text and its compiled expression."""

    __slots__ = ("expression", "path", "problem", "text")

    def __init__(self, path: str, text: str, env: Mapping[str, str] | None) -> None:
        self.path, self.text = path, text
        self.expression: Expression | None = None
        self.problem: str | None = None
        try:
            self.expression = Expression(text, env)
        except CompileError as error:
            self.problem = str(error)


Node: TypeAlias = Leaf | dict[str, "Node"] | list["Node"]
Build: TypeAlias = Callable[[Input, dict[str, str]], Any]
"""Evaluates one node for one input, recording null leaves as misconfigurations."""


def compile_node(path: str, value: Any, env: Mapping[str, str] | None) -> Node:
    """The leaves of ``value``; a null leaf (``team:`` left empty in the YAML) is the
    constant ``null``, so the field comes out null and is reported as misconfigured (with
    the text ``"null"``), as the original maps it."""
    if value is None:
        return Leaf(path, "null", env)
    if isinstance(value, dict):
        return {key: compile_node(f"{path}.{key}", item, env) for key, item in value.items()}
    if isinstance(value, list):
        return [compile_node(path, item, env) for item in value]
    return Leaf(path, leaf_as_text(value), env)


def leaves(node: Node | dict[str, Node]) -> Iterable[Leaf]:
    if isinstance(node, Leaf):
        yield node
    elif isinstance(node, dict):
        for child in node.values():
            yield from leaves(child)
    else:
        for child in node:
            yield from leaves(child)


def node_builder(node: Node) -> Build:
    if isinstance(node, Leaf):
        return _leaf_builder(node)
    if isinstance(node, dict):
        children = [(key, node_builder(child)) for key, child in node.items()]
        return lambda source, mis: {key: build(source, mis) for key, build in children}
    items = [node_builder(child) for child in node]
    return lambda source, mis: [build(source, mis) for build in items]


def _leaf_builder(leaf: Leaf) -> Build:
    path, text, expression = leaf.path, leaf.text, leaf.expression
    if expression is None:

        def broken(source: Input, misconfigured: dict[str, str]) -> Any:
            misconfigured[path] = text
            return None

        return broken
    fast, slow = expression.fast, expression.lenient()

    def build(source: Input, misconfigured: dict[str, str]) -> Any:
        if fast is not None:
            try:
                value = fast(source.value)
            except Fallback:
                value = slow(source)
        else:
            value = slow(source)
        if value is None:
            misconfigured[path] = text
        return value

    return build
