"""Mapping behaviour beyond the compat corpus: errors, env control, compile-time checks."""

from __future__ import annotations

import dataclasses
import decimal
import enum
import json
import uuid
from typing import Any

import jq
import pytest

from ocean.errors import MappingError
from ocean.mapping import ResourceConfig, parse_mapping, parse_resource, to_document
from ocean.transform.explain import explain
from ocean.transform.jq import Expression, Input
from ocean.transform.mapper import CompiledResource, compile_resources
from ocean.transform.mapping_spec import MappingSpec
from ocean.transform.mapping_spec import compiled as pool_compiled


def _resource(**mappings: Any) -> ResourceConfig:
    base = {"identifier": ".id", "blueprint": '"svc"'}
    return parse_resource({"kind": "svc", "port": {"entity": {"mappings": base | mappings}}})


@pytest.mark.parametrize(
    ("query", "said"),
    [
        (".name", 'produced "x", not a boolean; make it yield true or false (e.g. '),
        (".missing", "produced null, not a boolean; make it yield true or false (e.g. "),
        ("empty", "produced no output; make it yield true or false for every item "
                  "(e.g. `(empty)? // false`)"),
        ('.id | test(1)', "failed: "),
    ],
    ids=["not-a-boolean", "null", "no-output", "runtime-error"],
)  # fmt: skip
def test_selector_error_names_kind_item_and_expression_once_with_advice(
    query: str, said: str
) -> None:
    resource = parse_resource(
        {
            "kind": "repo",
            "selector": {"query": query},
            "port": {"entity": {"mappings": {"identifier": ".id", "blueprint": '"b"'}}},
        }
    )

    result = CompiledResource(resource, env=None).map_items([{"id": "a", "name": "x"}])

    assert result.passed == []
    (error,) = result.errors
    assert error.startswith(f"kind 'repo', item 0: selector {query!r} {said}")
    assert error.count(repr(query)) == 1  # not repeated (the advice may quote it, in `...`)
    assert "None" not in error
    assert "make it yield true or false" in error


@pytest.mark.parametrize(
    ("mappings", "item", "said"),
    [
        ({"identifier": ".id | ascii_downcase"}, {"id": 5}, "identifier '.id | ascii_downcase' failed: "),
        ({"identifier": '.id | error("gone")'}, {"id": "a"}, """identifier '.id | error("gone")' failed: gone"""),
        ({"blueprint": ".bp | ascii_downcase"}, {"id": "a", "bp": 1}, "blueprint '.bp | ascii_downcase' failed: "),
        ({"identifier": ".missing"}, {"id": "a"}, None),
        ({"identifier": '.id | select(. != "a")'}, {"id": "a"}, None),
        ({"blueprint": ".bp"}, {"id": "a"}, None),
    ],
    ids=["identifier-raises", "identifier-error", "blueprint-raises", "identifier-null",
         "identifier-no-output", "blueprint-null"],
)  # fmt: skip
def test_jq_failing_on_an_items_key_is_said_by_ocean_map_and_skipped_as_the_original(
    mappings: dict[str, str], item: dict[str, Any], said: str | None
) -> None:
    """A resync maps a key jq fails on as null and skips the item, as the original (a
    golden case pins it); ``ocean map`` says jq's error where a null key says no more."""
    resource = CompiledResource(_resource(**mappings), env=None)

    result = resource.map_items([item])
    (explained,) = explain(resource, [item])

    assert (result.passed, result.errors, result.skipped) == ([], [], 1)
    if said is None:
        assert explained.outcome.startswith("empty-")
    else:
        assert explained.outcome == "key-error"
        assert explained.detail.startswith(f"kind 'svc', item 0: {said}"), explained.detail


def test_selector_errors_name_inputs_of_items_to_parse_by_place_across_batches() -> None:
    resource = parse_resource(
        {"kind": "k", "selector": {"query": '.item | test("x")'},
         "port": {"itemsToParse": ".subs",
                  "entity": {"mappings": {"identifier": ".id", "blueprint": '"b"'}}}}
    )  # fmt: skip
    subs = ["x"] * 250 + [None] + ["x"] * 10 + [None]  # more than one batch of 200

    result = CompiledResource(resource, env=None).map_items([{"id": "a", "subs": subs}])

    assert [error.split(":")[0] for error in result.errors] == [
        "kind 'k', item 250",
        "kind 'k', item 261",
    ]


def test_items_to_parse_that_does_not_compile_is_reported_with_every_other_problem() -> None:
    broken = {"kind": "issue", "port": {"itemsToParse": ".issues | map(",
              "entity": {"mappings": {"identifier": ".item.id", "blueprint": '"b"', "title": "foo("}}}}  # fmt: skip

    with pytest.raises(MappingError) as raised:
        compile_resources([_resource(properties={"x": ".a |"}), parse_resource(broken)], env=None)

    message = str(raised.value)
    assert "resources[0] (kind 'svc') properties.x: '.a |' does not compile" in message
    assert "resources[1] (kind 'issue') itemsToParse: '.issues | map(' does not compile" in message
    assert "resources[1] (kind 'issue') title: 'foo(' does not compile" in message


@pytest.mark.parametrize(
    ("mappings", "misconfigured"),
    [
        ({"title": None}, {"title": "null"}),
        ({"team": None, "icon": None}, {"team": "null", "icon": "null"}),
        ({"properties": {"config": {"a": None, "b": ".id"}}}, {"properties.config.a": "null"}),
    ],
    ids=["title", "team-and-icon", "inside-a-property-object"],
)
def test_a_null_leaf_maps_to_null_and_is_reported_as_misconfigured(
    mappings: dict[str, Any], misconfigured: dict[str, str]
) -> None:
    (resource,) = compile_resources([_resource(**mappings)], env=None)

    result = resource.map_items([{"id": "a"}])

    (entity,) = result.passed
    assert entity["identifier"] == "a"
    assert result.misconfigurations == misconfigured
    for path in misconfigured:
        group, _, key = path.partition(".")
        value = entity[group]  # type: ignore[literal-required]
        for part in key.split(".") if key else []:
            value = value[part]
        assert value is None


@pytest.mark.parametrize("key", ["😀", 'quote"and\\backslash', "\ud800lone", "é"])
def test_any_property_key_comes_out_as_written(key: str) -> None:
    (resource,) = compile_resources([_resource(properties={key: ".id"})], env=None)

    (entity,) = resource.map_items([{"id": "a"}]).passed

    assert entity["properties"] == {key: "a"}


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        pytest.param({"REGION": "eu"}, "eu", id="env-visible"),
        pytest.param(None, None, id="env-hidden"),
    ],
)
def test_environment_is_exactly_what_was_given(
    env: dict[str, str] | None, expected: str | None
) -> None:
    compiled = CompiledResource(_resource(title="env.REGION"), env=env)

    (entity,) = compiled.map_items([{"id": "a"}]).passed

    assert entity["title"] == expected


def test_syntax_errors_fail_at_load_naming_resource_field_and_expression() -> None:
    with pytest.raises(MappingError) as raised:
        compile_resources([_resource(title=".a[", properties={"ok": ".x", "bad": "|||"})], env=None)

    message = str(raised.value)
    assert "resources[0] (kind 'svc') title: '.a['" in message
    assert "properties.bad: '|||'" in message
    assert "properties.ok" not in message


@pytest.mark.parametrize(
    ("block", "refused"),
    [
        pytest.param({"identifier": ".id | (("}, "identifier '.id | ((' does not compile: syntax error", id="identifier"),
        pytest.param({"blueprint": '"svc'}, "blueprint '\"svc' does not compile: ", id="blueprint"),
        pytest.param({"identifier": {"combinator": '"and"', "rules": [{"property": '"$title"', "operator": '"="', "value": ".a |"}]}},
                     "identifier.rules.value '.a |' does not compile", id="identifier-search-query"),
        pytest.param({"selector": {"query": "True"}}, "selector.query 'True' does not compile: True/0 is not defined", id="selector"),
        pytest.param({"itemsToParse": ".subs | map("}, "itemsToParse '.subs | map(' does not compile", id="items-to-parse"),
    ],
)  # fmt: skip
def test_a_resource_whose_keys_do_not_compile_maps_every_item_to_an_error(
    block: dict[str, Any], refused: str
) -> None:
    document = to_document(_resource(title=".a |"))
    for key, value in block.items():
        if key in ("identifier", "blueprint"):
            document["port"]["entity"]["mappings"][key] = value
        elif key == "itemsToParse":
            document["port"][key] = value
        else:
            document[key] = value

    (compiled,) = compile_resources([parse_resource(document)], env=None, strict=False)
    result = compiled.map_items([{"id": "a"}, {"id": "b"}], parse_all=True, first=5)

    assert compiled.refused is not None and compiled.refused.startswith(refused)
    assert "\n" not in compiled.refused  # jq's caret is for the log, not the report
    assert (result.passed, result.failed, result.skipped, result.filtered_out) == ([], [], 0, 0)
    assert [error.split(": ")[0] for error in result.errors] == [
        "kind 'svc', item 5",
        "kind 'svc', item 6",
    ]
    assert all(refused in error and "fix it" in error for error in result.errors)
    assert compiled.uncompiled == {"title": ".a | (does not compile: syntax error, unexpected end of file "
                                            "at line 1, column 4 of the expression)"}  # fmt: skip


def test_a_field_that_does_not_compile_maps_to_null_as_the_original_reports_it() -> None:
    (compiled,) = compile_resources(
        [_resource(title=".a |", properties={"ok": ".id"})], env=None, strict=False
    )

    result = compiled.map_items([{"id": "a"}])

    assert compiled.refused is None
    assert result.passed == [
        {"identifier": "a", "blueprint": "svc", "title": None, "properties": {"ok": "a"}}
    ]
    assert result.misconfigurations == {"title": ".a |"}  # the text, as the original's report
    assert list(compiled.uncompiled) == ["title"]  # the resync adds the compile error


def test_strict_compilation_still_refuses_what_a_resync_leaves_to_its_kind() -> None:
    with pytest.raises(MappingError, match=r"identifier: '\.id \| \(\(' does not compile"):
        compile_resources([_resource(identifier=".id | ((")], env=None)


def test_invalid_mapping_names_the_first_problem_of_every_broken_part() -> None:
    document = {
        "resources": [
            {
                "selector": {"query": "true"},
                "port": {"entity": {"mappings": {"identifier": ".id", "blueprint": '"b"'}}},
            },
            {"kind": "x", "port": {"entity": {"mappings": {"identifier": ".id"}}}},
            {
                "kind": "y",
                "port": {"entity": {"mappings": {"identifier": ".id", "blueprint": '"b"'}}},
                "surprise": 1,
            },
            {"kind": "z", "selector": {"query": ["no"]}, "port": {}},
        ],
        "entityDeletionThreshold": "lots",
    }

    with pytest.raises(MappingError) as raised:
        parse_mapping(document, source="port-app-config.yml")

    lines = str(raised.value).splitlines()
    assert lines[0] == "port-app-config.yml does not validate (5 problem(s)):"
    assert lines[1:-1] == [
        "  - entityDeletionThreshold: Expected `float`, got `str`",
        "  - resources.0.kind: required, missing",
        "  - resources.1.port.entity.mappings.blueprint: required, missing",
        "  - resources.2.surprise: unknown key (not in the port-app-config format)",
        "  - resources.3.selector: query: Expected `str`, got `list`",
    ]


@pytest.mark.parametrize(("leaf", "text"), [(3, "3"), (True, "True"), (1.5, "1.5"), ('"x"', '"x"')])
def test_mapping_leaves_given_as_numbers_or_booleans_are_read_as_text(leaf: Any, text: str) -> None:
    mappings = {"identifier": leaf, "blueprint": leaf, "properties": {"p": leaf}}
    config = parse_mapping(
        {"resources": [{"kind": "k", "port": {"entity": {"mappings": mappings}}}]}
    )

    leaves = config.resources[0].port.entity.mappings.leaves()
    assert leaves == {"identifier": text, "blueprint": text, "properties": {"p": text}}


def test_mapping_selector_keeps_integration_specific_keys() -> None:
    selector = {"query": ".on", "includeArchived": True}
    config = parse_mapping(
        {
            "resources": [
                {
                    "kind": "k",
                    "selector": selector,
                    "port": {"entity": {"mappings": {"identifier": ".id", "blueprint": '"b"'}}},
                }
            ]
        }
    )

    resource = config.resources[0]
    assert (resource.selector.query, resource.selector.includeArchived) == (".on", True)
    assert to_document(config)["resources"][0]["selector"] == selector


def test_mapping_defaults_follow_the_original_code() -> None:
    config = parse_mapping({"resources": []})

    assert config.delete_dependent_entities is True
    assert config.create_missing_related_entities is True
    assert config.enable_merge_entity is True
    assert config.entity_deletion_threshold == 0.9


@pytest.mark.parametrize(
    ("value", "text"),
    [("x", "vx"), (1.5, "v1.5"), (1e100, "v1E+100")],
    ids=["python", "jq-formats-the-float", "jq-formats-the-exponent"],
)
def test_an_expression_python_evaluates_still_gives_jqs_text_where_jq_formats(
    value: Any, text: str
) -> None:
    expression = Expression('"v\\(.f)"', None)

    assert expression.is_fast
    assert expression.first(Input({"f": value})) == text


@pytest.mark.parametrize(
    "value",
    [2**53, 2**53 + 1, -(2**53) - 1, 12345678901234567890, 3, 3.0, 2.5, True, None, "x", [1.0]],
)
def test_a_property_read_by_key_comes_out_as_jq_gives_it(value: Any) -> None:
    (resource,) = compile_resources([_resource(properties={"n": ".n"})], env=None)

    (entity,) = resource.map_items([{"id": "a", "n": value}]).passed

    expected = jq.compile(".n").input_text(json.dumps({"n": value})).first()
    assert json.dumps(entity["properties"]["n"]) == json.dumps(expected)


@pytest.mark.parametrize(
    "item",
    [
        {"a": {"b": {"c": 1}}},
        {"a": {"b": {"c": 1.0}}},
        {"a": {"b": None}},
        {"a": None},
        {},
        {"a": "text"},
        {"a": {"b": ["list"]}},
        {"a": {"b": {"c": {"d": [1]}}}},
    ],
    ids=[
        "value",
        "float",
        "null-middle",
        "null-top",
        "missing",
        "string-middle",
        "list-middle",
        "object",
    ],
)
def test_a_property_read_by_a_key_path_comes_out_as_jq_gives_it(item: dict[str, Any]) -> None:
    (resource,) = compile_resources([_resource(properties={"n": ".a.b.c"})], env=None)

    (entity,) = resource.map_items([{"id": "x", **item}]).passed

    try:
        expected = jq.compile(".a.b.c").input_text(json.dumps(item)).first()
    except ValueError:  # jq's error: the mapping leaves the field null
        expected = None
    assert json.dumps(entity["properties"]["n"]) == json.dumps(expected)


@pytest.mark.parametrize(
    ("expect_null", "reported"),
    [
        ([], {"title", "properties.url", "relations.team"}),
        (["title"], {"properties.url", "relations.team"}),
        (["properties.*", "relations.*"], {"title"}),
        (["*"], set()),
    ],
)
def test_expect_null_fields_are_left_out_of_the_misconfigurations(
    expect_null: list[str], reported: set[str]
) -> None:
    resource = parse_resource(
        {"kind": "svc", "expectNull": expect_null,
         "port": {"entity": {"mappings": {"identifier": ".id", "blueprint": '"svc"', "title": ".name",
                                          "properties": {"url": ".url"}, "relations": {"team": ".team"}}}}}
    )  # fmt: skip
    compiled = CompiledResource(resource, env=None)

    in_process = compiled.map_items([{"id": "a"}])
    elsewhere = pool_compiled(MappingSpec.of(compiled)).map_items([{"id": "a"}])

    assert set(in_process.misconfigurations) == set(elsewhere.misconfigurations) == reported
    assert [e["identifier"] for e in in_process.passed] == ["a"]


def test_expect_null_is_a_key_the_original_s_format_keeps() -> None:
    document = {"kind": "svc", "expectNull": ["title"],
                "port": {"entity": {"mappings": {"identifier": ".id", "blueprint": '"svc"', "title": ".t"}}}}  # fmt: skip
    assert to_document(parse_resource(document))["expectNull"] == ["title"]
    assert "expectNull" not in to_document(_resource())


class _Colour(enum.Enum):
    RED = "red"


class _Stage(str, enum.Enum):  # noqa: UP042 (StrEnum prints its value; this does not)
    LIVE = "live"


@dataclasses.dataclass
class _Point:
    x: int


@pytest.mark.parametrize(
    ("value", "mapped"),
    [
        (uuid.UUID(int=1), "00000000-0000-0000-0000-000000000001"),
        (_Colour.RED, "red"),
        (_Stage.LIVE, "live"),
        (_Point(1), {"x": 1}),
        ((1, 2), [1, 2]),
        ({1: "a", None: "b"}, {"1": "a", "null": "b"}),
    ],
    ids=["uuid", "enum", "str-enum", "dataclass", "tuple", "non-text-keys"],
)
def test_python_values_map_as_their_json_reads_whichever_path_evaluates_them(
    value: Any, mapped: Any
) -> None:
    """A raw value of another Python type maps to what its JSON holds, by key (Python)
    or through jq, so the catalog holds what a later run compares equal."""
    properties = {"byKey": ".v", "throughJq": ".v | tojson | fromjson"}
    (resource,) = compile_resources([_resource(properties=properties)], env=None)

    (entity,) = resource.map_items([{"id": "a", "v": value}]).passed

    assert entity["properties"] == {"byKey": mapped, "throughJq": mapped}


@pytest.mark.parametrize(
    "value", [decimal.Decimal("1.5"), {1}, b"ab"], ids=["decimal", "set", "bytes"]
)
@pytest.mark.parametrize("field", [".v", ".v | tostring"], ids=["by-key", "through-jq"])
def test_an_item_holding_what_json_has_no_form_for_is_an_error_and_the_others_map(
    value: Any, field: str
) -> None:
    (resource,) = compile_resources([_resource(properties={"v": field})], env=None)

    result = resource.map_items([{"id": "a", "v": 1}, {"id": "b", "v": value}, {"id": "c"}])

    assert [entity["identifier"] for entity in result.passed] == ["a", "c"]
    (error,) = result.errors
    assert error.startswith("kind 'svc', item 1: it holds a ")
    assert "which JSON has no form for" in error


def test_jqs_largest_double_stays_a_double() -> None:
    """jq makes infinity its largest double, which the original hands back as a float."""
    properties = {"big": "infinite", "negative": "-infinite", "literal": "1E400"}
    (resource,) = compile_resources([_resource(properties=properties)], env=None)

    (entity,) = resource.map_items([{"id": "a"}]).passed

    largest = 1.7976931348623157e308
    assert entity["properties"] == {"big": largest, "negative": -largest, "literal": largest}
    assert all(type(value) is float for value in entity["properties"].values())


@pytest.mark.parametrize(
    ("field", "text"),
    [("blueprint", "exampleItem"), ("title", "my-title")],
    ids=["a-key", "a-field"],
)
def test_a_bare_word_that_does_not_compile_is_said_to_need_quotes(field: str, text: str) -> None:
    """``blueprint: exampleItem`` is the JQ function exampleItem, not the text: the kind's
    error (a key) or the field's report and the start's log line (a field) say so."""
    (resource,) = compile_resources([_resource(**{field: text})], env=None, strict=False)

    said = " ".join([resource.refused or "", *resource.uncompiled.values()])
    assert f"(a literal is a JQ string in quotes: '\"{text}\"')" in said
