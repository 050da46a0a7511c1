"""Kinds weighed against what they produced in the last completed full resync."""

from __future__ import annotations

from typing import Any

import pytest

from ocean.load.shrinkage import weigh
from ocean.monitor.report import KindReport


def _kind(
    unchanged: int,
    *,
    blueprints: tuple[str, ...] = ("service",),
    status: str = "completed",
    index: int = 0,
    shape: str | None = "s1",
) -> KindReport:
    return KindReport(kind="service", index=index, unchanged=unchanged, status=status,
                      blueprints=list(blueprints), shape=shape)  # fmt: skip


def _recorded(produced: int, **more: Any) -> dict[str, Any]:
    recorded = {"kind": "service", "index": 0, "created": produced, "blueprints": ["service"]}
    return recorded | {"shape": "s1"} | more


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
        pytest.param([_recorded(0)], _kind(0), [], 0, id="nothing-before"),
        pytest.param(
            [_recorded(100, shape="s0")],
            _kind(0),
            ["service"],
            100,
            id="its-mapping-edited-at-its-place",
        ),  # fmt: skip
        pytest.param(
            [_recorded(100, shape="s0", index=1)], _kind(0), [], 0, id="another-block"
        ),  # fmt: skip
        pytest.param([_recorded(100)], _kind(0, index=1), ["service"], 100, id="moved"),
        pytest.param(
            [_recorded(100, index=1, shape="s0"), _recorded(100)],
            _kind(0, index=1),
            ["service"],
            100,
            id="blocks-reordered",
        ),  # fmt: skip
        pytest.param(
            [_recorded(100) | {"shape": None}],
            _kind(0),
            ["service"],
            100,
            id="recorded-before-shapes-at-its-place",
        ),  # fmt: skip
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


def test_a_threshold_of_0_holds_nothing_and_keeps_the_past_for_when_it_is_raised() -> None:
    kind = _kind(0)

    shrunk = weigh([_recorded(100)], [kind], 0.0)

    assert shrunk.blueprints == {} and kind.baseline == 100


def test_the_blueprints_held_are_carried_while_the_kind_stays_small() -> None:
    """A computed blueprint: the kind filled a and b, then only a; the next resync still
    holds b (whose stale entities are the kind's lost ones)."""
    first = _kind(5, blueprints=("a",))
    weigh([_recorded(1000, blueprints=["a", "b"])], [first], 0.9)
    recorded = {**_recorded(first.unchanged), "baseline": first.baseline,
                "blueprints": first.blueprints}  # fmt: skip

    shrunk = weigh([recorded], [_kind(5, blueprints=("a",))], 0.9)

    assert sorted(shrunk.blueprints) == ["a", "b"]


def test_accepting_takes_the_kinds_new_size_and_blueprints() -> None:
    kind = _kind(5, blueprints=("a",))
    shrunk = weigh([_recorded(1000, blueprints=["a", "b"])], [kind], 0.9)
    assert kind.baseline == 1000 and kind.blueprints == ["a", "b"]

    shrunk.accept()

    assert kind.baseline == 5 and kind.blueprints == ["a"]


def test_a_block_at_its_own_place_keeps_its_past_before_a_copy_of_it_takes_one() -> None:
    """Two identical blocks now, one before: the one at the recorded block's place takes its
    past; the other is weighed against the block that was at its own place."""
    previous = [_recorded(100, shape="x"), _recorded(10, index=1)]
    first, second = _kind(10, index=0), _kind(10, index=1)

    shrunk = weigh(previous, [first, second], 0.5)

    assert (first.baseline, second.baseline) == (100, 10)  # #0 held against the x block's
    assert sorted(shrunk.blueprints) == ["service"]
