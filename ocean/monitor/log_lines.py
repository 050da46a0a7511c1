"""One INFO log line when a resync starts, when each kind ends, and when the resync ends, so
that a long-running ``ocean sail`` (or any log collector) shows what it is doing."""

from __future__ import annotations

import datetime as dt
import logging

from ocean.monitor.report import KindReport, ResyncReport

_log = logging.getLogger("ocean.resync")


def resync_started(report: ResyncReport, kinds: int) -> None:
    _log.info(
        "%s resync of %s started (trigger %s, %d kind(s))",
        report.mode,
        report.integration,
        report.trigger,
        kinds,
    )


def kind_finished(kind: KindReport) -> None:
    seconds = kind.extract_seconds + kind.transform_seconds + kind.load_seconds
    _log.info(
        "kind %s %s: %d extracted, %d created, %d updated, %d unchanged, %d failed, "
        "%d error(s) (%.2f s)",
        kind.kind,
        kind.status,
        kind.extracted,
        kind.created,
        kind.updated,
        kind.unchanged,
        kind.failed,
        len(kind.errors),
        seconds,
    )
    for path in kind.undefined:
        _log.warning(
            "kind %s maps %s, which the blueprint does not define: %s", kind.kind, path, _DROPPED
        )


_DROPPED = (
    "the catalog drops it (add it to the blueprint in .port/resources/blueprints.json to keep it)"
)


def resync_ended(report: ResyncReport) -> None:
    _log.info(
        "resync of %s %s in %s: %d created, %d updated, %d deleted, %d error(s)",
        report.integration,
        report.status,
        _took(report),
        report.total("created"),
        report.total("updated"),
        report.deleted,
        len(report.errors) + sum(len(kind.errors) for kind in report.kinds),
    )


def _took(report: ResyncReport) -> str:
    if report.ended_at is None:
        return "?"
    started = dt.datetime.fromisoformat(report.started_at.replace("Z", "+00:00"))
    ended = dt.datetime.fromisoformat(report.ended_at.replace("Z", "+00:00"))
    return f"{(ended - started).total_seconds():.2f} s"
