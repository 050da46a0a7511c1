"""Mapping behaviour beyond the compat corpus: errors, env control, compile-time checks."""

from __future__ import annotations

from typing import Any

import pytest

from ocean.errors import MappingError
from ocean.mapping import ResourceConfig, parse_mapping
from ocean.transform.jq import Expression, Input
from ocean.transform.mapper import CompiledResource, compile_resources


def _resource(**mappings: Any) -> ResourceConfig:
    base = {"identifier": ".id", "blueprint": '"svc"'}
    return ResourceConfig.model_validate(
        {"kind": "svc", "port": {"entity": {"mappings": base | mappings}}}
    )


def test_selector_error_names_kind_expression_and_value() -> None:
    resource = ResourceConfig.model_validate(
        {
            "kind": "repo",
            "selector": {"query": ".name"},
            "port": {"entity": {"mappings": {"identifier": ".id", "blueprint": '"b"'}}},
        }
    )

    result = CompiledResource(resource, env=None).map_items([{"id": "a", "name": "x"}])

    assert result.passed == []
    assert result.errors == [
        "kind 'repo', item 0: selector '.name' produced 'x', not a boolean; make it yield true or false"
    ]


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


def test_invalid_mapping_lists_every_problem_with_its_path() -> None:
    document = {
        "resources": [
            {
                "selector": {"query": "true"},
                "port": {"entity": {"mappings": {"identifier": ".id", "blueprint": '"b"'}}},
            },
            {"kind": "x", "port": {"entity": {"mappings": {"identifier": ".id"}}}, "surprise": 1},
        ],
        "entityDeletionThreshold": "lots",
    }

    with pytest.raises(MappingError) as raised:
        parse_mapping(document)

    message = str(raised.value)
    assert "resources.0.kind: Field required" in message
    assert "resources.1.port.entity.mappings.blueprint: Field required" in message
    assert "resources.1.surprise: Extra inputs are not permitted" in message
    assert "entityDeletionThreshold" in message


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
