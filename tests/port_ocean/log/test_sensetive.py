"""``port_ocean.log.sensetive``: strings an integration hides (gitlab's tokens) are masked
by ``sensitive_log_filter`` and, through Ocean's masking, in Ocean's log."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import pytest
from loguru import logger

from ocean.monitor import sensitive
from port_ocean.log.sensetive import SensitiveLogFilter, sensitive_log_filter

TOKEN = "glpat-secret-token-123456"


@pytest.fixture(autouse=True)
def masking(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Ocean's masking with nothing hidden yet, and what a test hides forgotten after it."""
    redactor = sensitive.Redactor()
    log_filter = sensitive.SensitiveFilter(redactor)
    monkeypatch.setattr(sensitive, "REDACTOR", redactor)
    monkeypatch.setattr(sensitive, "_FILTER", log_filter)
    yield
    for handler in [*logging.getLogger().handlers, logging.lastResort]:
        if handler is not None:
            handler.removeFilter(log_filter)


def test_a_hidden_string_is_masked_keeping_its_first_characters_or_entirely() -> None:
    sensitive_log_filter.hide_sensitive_strings(f"  {TOKEN} ", "", " ")

    assert sensitive_log_filter.mask_string(f"token {TOKEN} used") == "token glpat-[REDACTED] used"
    assert SensitiveLogFilter().mask_string(f"{TOKEN}!", full_hide=True) == "[REDACTED]!"
    assert sensitive_log_filter.mask_string("nothing hidden here") == "nothing hidden here"


def test_objects_are_masked_in_new_lists_and_dicts() -> None:
    sensitive_log_filter.hide_sensitive_strings(TOKEN)
    original: dict[str, Any] = {"url": f"https://x/{TOKEN}", "n": 3, "all": [{"t": TOKEN}]}

    masked = sensitive_log_filter.mask_object(original, full_hide=True)

    assert masked == {"url": "https://x/[REDACTED]", "n": 3, "all": [{"t": "[REDACTED]"}]}
    assert original["all"][0]["t"] == TOKEN


def test_a_hidden_string_is_masked_in_ocean_s_log(caplog: pytest.LogCaptureFixture) -> None:
    sensitive_log_filter.hide_sensitive_strings(TOKEN)

    with caplog.at_level(logging.WARNING):
        logging.getLogger("gitlab").warning("calling with %s", TOKEN)

    assert caplog.messages == ["calling with glpat-[REDACTED]"]


def test_the_loguru_filter_masks_each_message() -> None:
    sensitive_log_filter.hide_sensitive_strings(TOKEN)
    seen: list[str] = []
    sink = logger.add(
        lambda message: seen.append(str(message).strip()),
        format="{message}",
        filter=sensitive_log_filter.create_filter(full_hide=True),
    )
    try:
        logger.warning(f"token {TOKEN}")
    finally:
        logger.remove(sink)

    assert seen == ["token [REDACTED]"]
