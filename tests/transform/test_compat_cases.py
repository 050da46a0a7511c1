"""Every golden case in ../shared/compat/cases maps exactly as the original did."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from ocean.mapping import ResourceConfig
from ocean.transform.mapper import CompiledResource

CASES = Path(__file__).resolve().parents[2].parent / "shared" / "compat" / "cases"


def _cases() -> list[Any]:
    return [pytest.param(path, id=path.stem) for path in sorted(CASES.glob("*.json"))]


def run_case(case: dict[str, Any]) -> dict[str, Any]:
    env_access = case.get("config", {}).get("allowEnvironmentVariablesJqAccess", True)
    resource = ResourceConfig.model_validate(case["resource"])
    compiled = CompiledResource(resource, env=case.get("env", {}) if env_access else None)
    result = compiled.map_items(case["items"], parse_all=case["parseAll"])
    return {
        "passed": result.passed,
        "failed": result.failed,
        "skipped": result.skipped,
        "errors": len(result.errors),
        "misconfigurations": result.misconfigurations,
    }


@pytest.mark.parametrize("path", _cases())
def test_case_matches_the_original(path: Path) -> None:
    case = json.loads(path.read_text())
    assert run_case(case) == case["expected"]
