"""A small run of bench/api_fuzz.py: requests generated from the served OpenAPI document
get no 5xx, JSON bodies, documented statuses and well-formed successes."""

from __future__ import annotations

import importlib.util
import sys
import uuid
from pathlib import Path
from types import ModuleType

import asyncpg
import pytest

from tests.conftest import POSTGRES_URL

_BENCH = Path(__file__).resolve().parents[2] / "bench" / "api_fuzz.py"


def _fuzzer() -> ModuleType:
    spec = importlib.util.spec_from_file_location("api_fuzz", _BENCH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # (its dataclasses look their module up)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_generated_requests_find_no_server_error(backend: str, tmp_path: Path) -> None:
    schema = f"test_{uuid.uuid4().hex[:12]}"
    url = str(tmp_path / "f.db") if backend == "sqlite" else f"{POSTGRES_URL}?schema={schema}"
    try:
        summary = _fuzzer().fuzz(url, 200)
    finally:
        if backend == "postgresql":
            import asyncio

            async def drop() -> None:
                connection = await asyncpg.connect(POSTGRES_URL)
                await connection.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
                await connection.close()

            asyncio.run(drop())
    assert summary.requests == 200
    assert len(summary.operations) > 25
    assert summary.failures == []
