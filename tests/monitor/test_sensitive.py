"""Values the spec marks ``sensitive: true`` stay out of the log and the resync report, as
the original's ``sensitive_log_filter`` keeps them out of its log."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import pytest

from ocean.monitor.sensitive import Redactor
from ocean.store.open import open_store
from ocean.testing import resync

TOKEN = "ghp_SuperSecretToken1234567890abcdefghij"
MASKED = "ghp_Su[REDACTED]"
MAIN = """
import logging
from ocean import Integration

ocean = Integration()
log = logging.getLogger("my_integration")

@ocean.on_start()
async def started():
    token = ocean.integration_config["api_token"]
    raise RuntimeError(f"the webhook's setup was refused for token {token}")

@ocean.on_resync("thing")
async def things(kind):
    token = ocean.integration_config["api_token"]
    log.warning("calling https://api.example.com/v1/things?token=%s", token)
    try:
        raise ValueError(f"bad token {token}")
    except ValueError:
        log.exception("the first try failed")
    raise RuntimeError(f"401 Unauthorized for https://api.example.com/v1/things?token={token}")
"""
SPEC = """
type: demo
configurations:
  - {name: apiToken, type: string, required: true, sensitive: true}
"""
MAPPING = """
resources:
  - kind: thing
    selector: {query: 'true'}
    port:
      entity:
        mappings: {identifier: .id, blueprint: '"thing"', properties: {}}
"""


def _folder(path: Path) -> Path:
    (path / ".port" / "resources").mkdir(parents=True)
    (path / "main.py").write_text(MAIN)
    (path / ".port" / "spec.yaml").write_text(SPEC)
    (path / ".port" / "resources" / "port-app-config.yml").write_text(MAPPING)
    (path / ".port" / "resources" / "blueprints.json").write_text(
        '[{"identifier": "thing", "title": "Thing", "schema": {"properties": {}}}]'
    )
    return path


async def _stored_errors(catalog: Path) -> list[str]:
    store = await open_store(f"sqlite:///{catalog}")
    try:
        (run,) = await store.list_runs()
    finally:
        await store.close()
    return [error for kind in run.report["kinds"] for error in kind["errors"]]


def test_a_sensitive_value_is_masked_in_the_log_the_report_and_the_catalog(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    catalog = tmp_path / "catalog.db"

    synced = resync(_folder(tmp_path / "demo"), config={"api_token": TOKEN}, catalog=catalog)

    (kind,) = synced.report.kinds
    stored = asyncio.run(_stored_errors(catalog))
    assert TOKEN not in caplog.text
    assert f"things?token={MASKED}" in caplog.text  # the message
    assert f"ValueError: bad token {MASKED}" in caplog.text  # the traceback
    assert kind.errors and all(TOKEN not in error for error in kind.errors)
    assert f"things?token={MASKED}" in kind.errors[0]
    assert stored == kind.errors
    assert any(MASKED in error for error in synced.report.errors)  # an on_start hook's
    assert all(TOKEN not in error for error in synced.report.errors)


@pytest.mark.parametrize(
    ("hidden", "text", "expected"),
    [
        pytest.param([TOKEN], f"a {TOKEN} b", f"a {MASKED} b", id="first-6-kept"),
        pytest.param(["s3cr3t-pw"], "pw=s3cr3t-pw&x", "pw=s3[REDACTED]&x", id="short-a-quarter-kept"),
        pytest.param(["abcd"], "abcd", "a[REDACTED]", id="tiny-one-kept"),
        pytest.param(["abc"], "abc abc", "abc abc", id="too-short-to-mask"),
        pytest.param(["ab-secret", "ab-secret-2"], "ab-secret-2", "ab[REDACTED]", id="longest-first"),
        pytest.param([" padded-value "], "x padded-value x", "x pad[REDACTED] x", id="stripped"),
        pytest.param(["twice-over"], "twice-over twice-over", "tw[REDACTED] tw[REDACTED]", id="every-occurrence"),
    ],
)  # fmt: skip
def test_a_masked_value_keeps_at_most_its_first_six_characters(
    hidden: list[str], text: str, expected: str
) -> None:
    redactor = Redactor()
    redactor.hide(hidden)

    assert redactor.mask(text) == expected


def test_a_record_without_a_sensitive_value_is_left_as_it_was(
    caplog: pytest.LogCaptureFixture,
) -> None:
    from ocean.monitor.sensitive import hide_sensitive

    hide_sensitive(["another-secret-value"])
    logging.getLogger("my_integration").warning("%s items", 3)

    (record,) = caplog.records
    assert (record.msg, record.args) == ("%s items", (3,))
