"""Golden mapping cases (``../shared/compat/cases``): run one as the original was run."""

from __future__ import annotations

from typing import Any

from ocean.mapping import parse_resource
from ocean.transform.mapper import CompiledResource, MapResult


def summary(result: MapResult) -> dict[str, Any]:
    """A mapping result in the cases' ``expected`` shape."""
    return {
        "passed": result.passed,
        "failed": result.failed,
        "skipped": result.skipped,
        "errors": len(result.errors),
        "misconfigurations": result.misconfigurations,
    }


def run_case(case: dict[str, Any]) -> dict[str, Any]:
    """Map a case's items with its resource, environment and settings."""
    allowed = case.get("config", {}).get("allowEnvironmentVariablesJqAccess", True)
    env = case.get("env", {}) if allowed else None
    compiled = CompiledResource(parse_resource(case["resource"]), env=env)
    return summary(compiled.map_items(case["items"], parse_all=case["parseAll"]))
