"""Map raw items to entities with one resource block of a mapping.

:class:`CompiledResource` compiles every expression of a resource once; ``map_items`` is a
pure function of the items. Field semantics follow the original: first output of each
expression, a failing or empty field is null and reported as a misconfiguration, an item
whose identifier or blueprint is empty gives no entity, a selector must yield a boolean.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from msgspec import UnsetType

from ocean.errors import MappingError
from ocean.mapping import ResourceConfig
from ocean.transform.codegen import generate_builder
from ocean.transform.fastpath import Fallback
from ocean.transform.items_to_parse import ItemsToParse
from ocean.transform.jq import EvaluationError, Input
from ocean.transform.leaf import Leaf, Node, compile_node, leaves
from ocean.transform.values import to_json_text
from ocean.types import Entity

if TYPE_CHECKING:
    from ocean.integration import FieldResolver

_COERCED_TO_TEXT = ("team", "icon")
_BOOLEAN = 'make it yield true or false (e.g. `.state == "open"`, `.name != null`)'


@dataclass
class MapResult:
    """What one batch produced."""

    passed: list[Entity] = field(default_factory=list)
    failed: list[Entity] = field(default_factory=list)
    skipped: int = 0
    errors: list[str] = field(default_factory=list)
    misconfigurations: dict[str, str] = field(default_factory=dict)
    inputs: int = 0
    """Items mapped: the raw items, or the elements ``itemsToParse`` made of them."""
    dropped: int = 0
    """Raw items ``itemsToParse`` dropped (its value was not a list)."""
    sources: list[tuple[Entity, Any]] = field(default_factory=list)
    """Each entity with the input it came from, for a resource with deferred fields."""

    @property
    def filtered_out(self) -> int:
        """Inputs the selector rejected (returned in ``failed`` with ``parse_all``)."""
        return self.inputs - len(self.passed) - self.skipped - len(self.errors)

    def extend(self, other: MapResult) -> None:
        """Add another batch's result to this one."""
        self.passed += other.passed
        self.failed += other.failed
        self.skipped += other.skipped
        self.errors += other.errors
        self.inputs += other.inputs
        self.dropped += other.dropped
        self.sources += other.sources
        self.misconfigurations.update(other.misconfigurations)

    def summary(self) -> MapSummary:
        """What this batch's mapping tells, without its entities."""
        return MapSummary(
            mapped=len(self.passed),
            skipped=self.skipped,
            dropped=self.dropped,
            filtered_out=self.filtered_out,
            errors=self.errors,
            misconfigurations=self.misconfigurations,
            clean=not self.errors and not self.failed,
        )


@dataclass
class MapSummary:
    """What mapping a page told, without its entities (which another process may have
    mapped and written: see :mod:`ocean.store.sqlite.mapping`)."""

    mapped: int
    skipped: int
    dropped: int
    filtered_out: int
    errors: list[str]
    misconfigurations: dict[str, str]
    clean: bool
    """No item failed to map (a page to remember, see :mod:`ocean.load.page_memo`)."""


class CompiledResource:
    """One resource block, compiled once for a whole resync."""

    def __init__(
        self,
        resource: ResourceConfig,
        *,
        env: Mapping[str, str] | None,
        index: int = 0,
        resolver: FieldResolver | None = None,
    ) -> None:
        self.resource, self.index, self.kind = resource, index, resource.kind
        self.env = env
        self.selector = Leaf("selector.query", resource.selector.query, env)
        port = resource.port
        self.items_to_parse = (
            ItemsToParse(
                port.items_to_parse,
                name=port.items_to_parse_name,
                top_level_transform=port.items_to_parse_top_level_transform,
                env=env,
            )
            if port.items_to_parse
            else None
        )
        claims = resolver.claims if resolver is not None else None
        kept, self.deferred = _deferred(port.entity.mappings.leaves(), claims)
        self.resolver = resolver if self.deferred else None
        """Who resolves :attr:`deferred` (see :mod:`ocean.extract.fields`)."""
        self.fields: dict[str, Node] = {
            name: compile_node(name, value, env) for name, value in kept.items()
        }
        self._build = generate_builder(self.fields, coerced=_COERCED_TO_TEXT)
        mapped = [leaf.path for leaf in leaves(self.fields)] + list(self.deferred)
        self.expect_null, unmatched = _expected_null(resource, mapped)
        """The mapped fields ``expectNull`` names: null by design, never misconfigured."""
        self._unmatched = unmatched

    def problems(self) -> list[str]:
        """Every expression that does not compile (``itemsToParse`` too), named by field
        and text, and every ``expectNull`` entry that names no mapped field."""
        where = f"resources[{self.index}] (kind {self.kind!r})"
        expander = self.items_to_parse
        broken = [] if expander is None or expander.problem is None else [expander]
        return (
            [
                f"{where} itemsToParse: {item.text!r} does not compile: {item.problem}"
                for item in broken
            ]
            + [
                f"{where} {leaf.path}: {leaf.text!r} does not compile: {leaf.problem}"
                for leaf in [self.selector, *leaves(self.fields)]
                if leaf.problem is not None
            ]
            + [f"{where} expectNull: {entry}" for entry in self._unmatched]
        )

    def forgive(self, misconfigured: dict[str, str]) -> None:
        """Drop the fields that are null by design (``expectNull``) from ``misconfigured``."""
        for path in self.expect_null:
            misconfigured.pop(path, None)

    def map_items(self, items: list[Any], *, parse_all: bool = False, first: int = 0) -> MapResult:
        """Map a batch; with ``parse_all`` selector-rejected items come back in ``failed``.
        ``first`` is the place of the first item in its page (errors name items by it).

        With ``itemsToParse`` the raw items are expanded first, 200 inputs at a time (errors
        then name an input by its place among all the inputs made of ``items``, counted
        from ``first``).
        """
        expander = self.items_to_parse
        if expander is None:
            return self.map_inputs(items, parse_all, first=first)
        if expander.problem is not None:  # compile_resources refuses such a mapping
            raise MappingError("\n".join(self.problems()))
        result, dropped, position = MapResult(), [0], first
        for batch in expander.batches(items, dropped):
            result.extend(self.map_inputs(batch, parse_all, first=position))
            position += len(batch)
        result.dropped = dropped[0]
        return result

    def map_inputs(self, items: list[Any], parse_all: bool, *, first: int = 0) -> MapResult:
        """Map inputs as they are (no itemsToParse expansion); ``first`` is the position of
        the first in its batch (errors name an item by it)."""
        result = MapResult(inputs=len(items))
        quick = self.selector.expression.raw if self.selector.expression else None
        build, misconfigured = self._build, result.misconfigurations
        for position, item in enumerate(items, start=first):
            source = Input(item)
            try:
                verdict = quick(item) if quick is not None else None
            except Fallback:
                verdict = None
            if type(verdict) is not bool:  # the careful path: jq, errors reported
                verdict = self.select(source, position, result)
            if verdict is None or (not verdict and not parse_all):
                continue
            entity = build(source, misconfigured)
            if not entity.get("identifier") or not entity.get("blueprint"):
                result.skipped += 1
                continue
            (result.passed if verdict else result.failed).append(entity)
            if self.deferred:
                result.sources.append((entity, item))
        for path in self.deferred:
            misconfigured.pop(path, None)  # null until the integration resolves it
        self.forgive(misconfigured)
        return result

    def select(self, source: Input, position: int, result: MapResult) -> bool | None:
        """The selector's verdict on one input; None (an error in ``result``, naming the
        input by ``position``) when it gives no boolean."""
        leaf = self.selector
        if leaf.expression is None:
            result.errors.append(
                self._selector_error(position, f"does not compile: {leaf.problem}; fix it")
            )
            return None
        try:
            verdict = leaf.expression.first(source)
        except EvaluationError as error:
            guard = f"make it yield true or false for every item (e.g. `({leaf.text})? // false`)"
            result.errors.append(self._selector_error(position, f"{error.reason}; {guard}"))
            return None
        if type(verdict) is not bool:
            message = f"produced {_shown(verdict)}, not a boolean; {_BOOLEAN}"
            result.errors.append(self._selector_error(position, message))
            return None
        return verdict

    def _selector_error(self, position: int, message: str) -> str:
        return f"kind {self.kind!r}, item {position}: selector {self.selector.text!r} {message}"

    def build_entity(self, source: Input, misconfigured: dict[str, str]) -> Entity:
        """Every mapped field for one input (null fields recorded in ``misconfigured``,
        except those null by design)."""
        entity = self._build(source, misconfigured)
        self.forgive(misconfigured)
        return entity


def _shown(value: Any) -> str:
    """A value as JQ writes it (``null``, ``"open"``), cut to 80 characters."""
    try:
        text = to_json_text(value)
    except TypeError:
        text = repr(value)
    return text if len(text) <= 80 else f"{text[:77]}..."


def _deferred(
    leaves: dict[str, Any], claims: Callable[[str], bool] | None
) -> tuple[dict[str, Any], dict[str, str]]:
    """The leaves, those the integration resolves itself replaced by null, and those
    (``properties.readme`` -> ``file://README.md``): only a property, a relation, the
    title, the team or the icon (an entity's key must come from the item)."""
    if claims is None:
        return leaves, {}
    kept, deferred = dict(leaves), dict[str, str]()
    for name, value in leaves.items():
        if name in ("properties", "relations") and isinstance(value, dict):
            claimed = {k: v for k, v in value.items() if isinstance(v, str) and claims(v)}
            deferred |= {f"{name}.{key}": text for key, text in claimed.items()}
            kept[name] = value | dict.fromkeys(claimed, "null")
        elif name in ("title", "team", "icon") and isinstance(value, str) and claims(value):
            deferred[name], kept[name] = value, "null"
    return kept, deferred


def _expected_null(
    resource: ResourceConfig, mapped: list[str]
) -> tuple[tuple[str, ...], list[str]]:
    """The mapped fields ``expectNull`` names (an entry may be a pattern: ``relations.*``),
    and what is wrong with each entry that names none."""
    entries = [] if isinstance(resource.expect_null, UnsetType) else resource.expect_null
    matched: list[str] = []
    unmatched: list[str] = []
    for entry in entries:
        hits = fnmatch.filter(mapped, entry)
        matched += hits
        if not hits:
            unmatched.append(f"{entry!r} names no mapped field (they are: {', '.join(mapped)})")
    return tuple(dict.fromkeys(matched)), unmatched


def compile_resources(
    resources: list[ResourceConfig],
    *,
    env: Mapping[str, str] | None,
    resolver: FieldResolver | None = None,
) -> list[CompiledResource]:
    """Compile a mapping's resources, failing with every JQ syntax error at once;
    ``resolver`` resolves the values the integration claims."""
    compiled = [
        CompiledResource(resource, env=env, index=i, resolver=resolver)
        for i, resource in enumerate(resources)
    ]
    problems = [problem for resource in compiled for problem in resource.problems()]
    if problems:
        raise MappingError(
            "the mapping has JQ that does not compile or an expectNull entry that names no "
            "mapped field:\n  - "
            + "\n  - ".join(problems)
            + "\nFix these expressions (try them with `ocean map`); nothing was fetched."
        )
    return compiled
