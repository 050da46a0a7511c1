"""Kinds weighed against what they produced in the last completed full resync."""

from __future__ import annotations

from typing import Any

import pytest

from ocean.load.shrinkage import weigh
from ocean.monitor.report import KindReport


def _kind(
    unchanged: int, *, blueprints: tuple[str, ...] = ("service",), status: str = "completed"
) -> KindReport:
    return KindReport(kind="service", index=0, unchanged=unchanged, status=status,
                      blueprints=list(blueprints))  # fmt: skip


def _recorded(produced: int, **more: Any) -> dict[str, Any]:
    return {"kind": "service", "index": 0, "created": produced, "blueprints": ["service"]} | more


@pytest.mark.parametrize(
    ("previous", "kind", "held", "baseline"),
    [
        pytest.param(None, _kind(0), [], 0, id="a-first-resync-has-no-past"),
        pytest.param([_recorded(100)], _kind(10), [], 10, id="at-the-threshold"),
        pytest.param([_recorded(100)], _kind(9), ["service"], 100, id="past-the-threshold"),
        pytest.param(
            [_recorded(100)],
            _kind(0, blueprints=()),
            ["service"],
            100,
            id="a-computed-blueprint-known-from-last-time",
        ),  # fmt: skip
        pytest.param(
            [_recorded(0, baseline=100)],
            _kind(5),
            ["service"],
            100,
            id="still-shrunk-against-the-carried-baseline",
        ),  # fmt: skip
        pytest.param(
            [_recorded(100)], _kind(0, status="failed"), [], 0, id="a-failed-kind-is-kept-anyway"
        ),  # fmt: skip
        pytest.param([_recorded(100) | {"index": 1}], _kind(0), [], 0, id="another-kind"),
        pytest.param([_recorded(0)], _kind(0), [], 0, id="nothing-before"),
    ],
)
def test_a_kind_that_lost_more_than_the_threshold_holds_its_blueprints(
    previous: list[dict[str, Any]] | None, kind: KindReport, held: list[str], baseline: int
) -> None:
    shrunk = weigh(previous, [kind], 0.9)

    assert sorted(shrunk.blueprints) == held
    assert kind.baseline == baseline
    assert shrunk.blocked is None


def test_a_kind_that_shrank_with_no_blueprint_known_blocks_the_deletion() -> None:
    recorded = _recorded(100)
    del recorded["blueprints"]  # recorded before kinds named their blueprints

    shrunk = weigh([recorded], [_kind(0, blueprints=())], 0.9)

    assert shrunk.blocked is not None
    assert "kind 'service' (#0) produced 0 entities against 100 before" in shrunk.blocked
    assert "entityDeletionThreshold" in shrunk.blocked


def test_a_threshold_of_1_accepts_the_new_size() -> None:
    kind = _kind(0)

    shrunk = weigh([_recorded(100)], [kind], 1.0)

    assert shrunk.blueprints == {} and kind.baseline == 0
