"""Every golden case in ../shared/compat/cases maps exactly as the original did."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from ocean.transform.golden import run_case

CASES = Path(__file__).resolve().parents[2].parent / "shared" / "compat" / "cases"


def _cases() -> list[Any]:
    return [pytest.param(path, id=path.stem) for path in sorted(CASES.glob("*.json"))]


@pytest.mark.parametrize("path", _cases())
def test_case_matches_the_original(path: Path) -> None:
    case = json.loads(path.read_text())
    assert run_case(case) == case["expected"]
