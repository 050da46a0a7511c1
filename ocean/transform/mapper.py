"""Map raw items to entities with one resource block of a mapping.

:class:`CompiledResource` compiles every expression of a resource once; ``map_items`` is a
pure function of the items. Field semantics follow the original: first output of each
expression, a failing or empty field is null and reported as a misconfiguration, an item
whose identifier or blueprint is empty gives no entity, a selector must yield a boolean.

An expression that does not compile does not stop the others. In a field other than the
entity's keys it maps to null on every item, as the original maps it; in the identifier,
the blueprint, the selector or ``itemsToParse`` it leaves the resource :attr:`refused
<CompiledResource.refused>`: a resync fails that kind without fetching it (its entities are
kept) while the other kinds sync. ``compile_resources(..., strict=True)`` refuses the whole
mapping instead, for the commands that check one.
"""

from __future__ import annotations

import fnmatch
import logging
import re
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
from ocean.transform.values import NotJSON, to_json_text
from ocean.types import Entity

if TYPE_CHECKING:
    from ocean.integration import FieldResolver

_log = logging.getLogger(__name__)
_COERCED_TO_TEXT = ("team", "icon")
_KEYS = ("identifier", "blueprint", "selector", "itemsToParse")
"""Where an expression that does not compile leaves the resource nothing to sync: the
entity's keys (and what makes its items), as opposed to a field that can be null."""
_FIX = "fix it (try it with `ocean map`)"
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
        relations = self.fields.get("relations")
        self.searches = isinstance(self.fields.get("identifier"), dict) or (
            isinstance(relations, dict) and any(isinstance(v, dict) for v in relations.values())
        )
        """Whether its identifier or a relation is mapped to a search query (resolved by
        the catalog, or before the write: :mod:`ocean.store.search_values`)."""
        mapped = [leaf.path for leaf in leaves(self.fields)] + list(self.deferred)
        self.refused, self.uncompiled = _sorted_out(self.uncompiled_expressions())
        """:attr:`refused`: why no item of this resource can be mapped (an expression of
        its keys, its selector or ``itemsToParse`` does not compile), or None.
        :attr:`uncompiled`: the other fields whose expression does not compile, null on
        every item, path -> text and compile error (a resync reports them misconfigured)."""
        expected, unmatched = _expected_null(resource, mapped)
        self.expect_null = tuple(path for path in expected if path not in self.uncompiled)
        """The mapped fields ``expectNull`` names: null by design, never misconfigured (a
        field whose expression does not compile is always reported)."""
        self._unmatched = unmatched

    @property
    def where(self) -> str:
        """The resource as messages name it: ``resources[1] (kind 'issue')``."""
        return f"resources[{self.index}] (kind {self.kind!r})"

    def uncompiled_expressions(self) -> list[tuple[str, str, str]]:
        """Every expression that does not compile: its path (``itemsToParse``,
        ``selector.query``, ``properties.url``), its text and jq's error."""
        expander = self.items_to_parse
        found = [] if expander is None or expander.problem is None else [expander]
        broken = [("itemsToParse", item.text, item.problem) for item in found]
        broken += [
            (leaf.path, leaf.text, leaf.problem) for leaf in [self.selector, *leaves(self.fields)]
        ]
        return [(path, text, why) for path, text, why in broken if why is not None]

    def problems(self) -> list[str]:
        """Every expression that does not compile (``itemsToParse`` too), named by field
        and text, and every ``expectNull`` entry that names no mapped field."""
        return [
            f"{self.where} {path}: {text!r} does not compile: {why}"
            for path, text, why in self.uncompiled_expressions()
        ] + self.expect_null_problems()

    def expect_null_problems(self) -> list[str]:
        """Every ``expectNull`` entry that names no mapped field."""
        return [f"{self.where} expectNull: {entry}" for entry in self._unmatched]

    def log_uncompiled(self) -> None:
        """Log each expression that does not compile as an error, saying what a resync
        does with it (once, when a sail starts)."""
        for path, text, why in self.uncompiled_expressions():
            fate = (
                "it maps to null on every item (reported among the kind's misconfigurations) "
                "while the rest syncs"
                if path in self.uncompiled
                else "the kind fails at each resync without being fetched, its entities kept, "
                "while the other kinds sync"
            )
            hint = _quoting_hint(text)
            message = f"{self.where} {path}: {text!r} does not compile: {why}{hint}\n{fate}; {_FIX}"
            _log.error("%s", message)

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
        if self.refused is not None:
            return self._refused(items, first)
        expander = self.items_to_parse
        if expander is None:
            return self.map_inputs(items, parse_all, first=first)
        result, dropped, position = MapResult(), [0], first
        for batch in expander.batches(items, dropped):
            result.extend(self.map_inputs(batch, parse_all, first=position))
            position += len(batch)
        result.dropped = dropped[0]
        return result

    def _refused(self, items: list[Any], first: int) -> MapResult:
        """Each item an error: an expression the entity's keys need does not compile."""
        return MapResult(
            inputs=len(items),
            errors=[
                f"kind {self.kind!r}, item {position}: {self.refused}; {_FIX}"
                for position in range(first, first + len(items))
            ],
        )

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
            try:
                if type(verdict) is not bool:  # the careful path: jq, errors reported
                    verdict = self.select(source, position, result)
                if verdict is None or (not verdict and not parse_all):
                    continue
                entity = build(source, misconfigured)
            except NotJSON as error:
                result.errors.append(f"kind {self.kind!r}, item {position}: {error}")
                continue
            if not entity.get("identifier") or not entity.get("blueprint"):
                result.skipped += 1  # (a key jq failed on too, as the original: null)
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

    def key_error(self, source: Input, position: int) -> str | None:
        """Why jq failed on the identifier or the blueprint of an input that gave no entity
        (None: they gave null or nothing), for ``ocean map`` to say: a resync takes the
        failure as null and skips the input, as the original does."""
        for name in ("identifier", "blueprint"):
            leaf = self.fields.get(name)
            if not isinstance(leaf, Leaf) or leaf.expression is None:
                continue
            try:
                leaf.expression.first(source)
            except EvaluationError as error:
                if error.failed:
                    return (
                        f"kind {self.kind!r}, item {position}: {name} {leaf.text!r} "
                        f"{error.reason}: no entity; make it give a value for every item "
                        "the selector keeps (or leave such items out in the selector)"
                    )
        return None

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
    strict: bool = True,
) -> list[CompiledResource]:
    """Compile a mapping's resources; ``resolver`` resolves the values the integration
    claims. An ``expectNull`` entry that names no mapped field fails it.

    ``strict`` fails it too with every JQ syntax error at once (what a command checking a
    mapping wants). Else each such expression is logged as an error and left to the
    resync, as the original leaves it: a field maps to null, and a resource whose keys,
    selector or ``itemsToParse`` do not compile is :attr:`~CompiledResource.refused`.
    """
    compiled = [
        CompiledResource(resource, env=env, index=i, resolver=resolver)
        for i, resource in enumerate(resources)
    ]
    problems = [
        problem
        for resource in compiled
        for problem in (resource.problems() if strict else resource.expect_null_problems())
    ]
    if problems:
        raise MappingError(
            "the mapping has JQ that does not compile or an expectNull entry that names no "
            "mapped field:\n  - "
            + "\n  - ".join(problems)
            + "\nFix these expressions (try them with `ocean map`); nothing was fetched."
        )
    for resource in compiled:
        resource.log_uncompiled()
    return compiled


def _sorted_out(broken: list[tuple[str, str, str]]) -> tuple[str | None, dict[str, str]]:
    """Of the expressions that do not compile: why the resource is refused (one of its
    keys, its selector or ``itemsToParse``), or None; and the other fields, path -> text
    and compile error."""
    refusals, fields = [], {}
    for path, text, why in broken:
        said = _first_line(why) + _quoting_hint(text)
        if path.split(".")[0] in _KEYS:
            refusals.append(f"{path} {text!r} does not compile: {said}")
        else:
            fields[path] = f"{text} (does not compile: {said})"
    return "; ".join(refusals) or None, fields


_BARE_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*")


def _quoting_hint(text: str) -> str:
    """For a bare word (``blueprint: service``), that a literal is a JQ string."""
    word = text.strip()
    if not _BARE_WORD.fullmatch(word):
        return ""
    return f" (a literal is a JQ string in quotes: '\"{word}\"')"


def _first_line(problem: str) -> str:
    """A compile error without the expression and the caret under it that follow."""
    lines = problem.splitlines()
    return lines[0].rstrip(":") if lines else problem
