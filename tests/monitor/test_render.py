"""The resync summary shows what errors and notes say as it is: text in square brackets
(a URL path, pydantic's ``[type=...]``, Ocean's own ``yield [item]``) is no markup."""

from __future__ import annotations

import io

import pytest
from rich.console import Console

from ocean.monitor.render import render_report
from ocean.monitor.report import KindReport, ResyncReport

TEXTS = [
    pytest.param("GET [/api/v2/things] answered 500 [bold]boom", id="closing-tag"),
    pytest.param("Input should be a valid string [type=string_type, input=3]", id="pydantic"),
    pytest.param("yield (or return) a list of dicts, e.g. `yield [item]`.", id="lowercase-tag"),
    pytest.param("a trailing backslash \\", id="backslash"),
]


def _rendered(report: ResyncReport) -> str:
    output = io.StringIO()
    render_report(report, Console(file=output, width=400, color_system=None))
    return output.getvalue()


@pytest.mark.parametrize("text", TEXTS)
@pytest.mark.parametrize(
    "where",
    ["kind error", "run error", "deletion note", "blueprint note", "kind name", "null field"],
)
def test_a_reports_text_is_shown_as_it_is(text: str, where: str) -> None:
    kind = KindReport(kind=text if where == "kind name" else "thing", index=0, status="failed")
    report = ResyncReport(integration="it", trigger="manual", started_at="x", kinds=[kind])
    {
        "kind error": kind.errors,
        "run error": report.errors,
        "deletion note": report.deletion_notes,
        "blueprint note": report.blueprint_notes,
        "kind name": kind.errors,
        "null field": [],
    }[where].append(text)
    if where == "null field":
        kind.misconfigurations[text] = ".x"

    assert text in _rendered(report)


def test_a_blueprint_note_reads_once_as_a_blueprint_s() -> None:
    report = ResyncReport(integration="it", trigger="manual", started_at="x")
    report.blueprint_notes.append("blueprint 'service': property 'stars' ...: not applied")

    assert "blueprint blueprint" not in _rendered(report)
    assert "blueprint 'service': property 'stars'" in _rendered(report)
