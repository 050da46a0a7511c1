"""Stale deletion planning: protected kinds, relation targets and the threshold."""

from __future__ import annotations

import pytest

from ocean.load.deletion import plan_deletion

OWNED = {("svc", f"s{i}") for i in range(10)} | {("team", "t1"), ("team", "t2")}


def _plan(
    generated: set[tuple[str, str]],
    *,
    threshold: float = 0.9,
    protected: set[str] = frozenset(),
    targets: set[tuple[str, str]] = frozenset(),
):  # type: ignore[no-untyped-def,assignment]
    return plan_deletion(
        owned=OWNED,
        total_owned=len(OWNED),
        generated=generated,
        protected_blueprints=set(protected),
        relation_targets=set(targets),
        threshold=threshold,
    )


def test_stale_entities_are_planned_for_deletion() -> None:
    plan = _plan(OWNED - {("svc", "s3")})

    assert plan.delete == [("svc", "s3")]
    assert plan.blocked is None


def test_protected_blueprints_and_relation_targets_are_kept() -> None:
    plan = _plan({("svc", "s0")}, protected={"svc"}, targets={("team", "t1")})

    assert plan.delete == [("team", "t2")]
    assert plan.kept_protected == 10


@pytest.mark.parametrize(
    ("threshold", "generated_count", "blocked"),
    [
        pytest.param(0.9, 1, True, id="11-of-12-over-0.9"),
        pytest.param(0.9, 2, False, id="10-of-12-under-0.9"),
        pytest.param(0.0, 11, True, id="zero-never-deletes"),
        pytest.param(1.0, 0, False, id="one-always-deletes"),
    ],
)
def test_threshold(threshold: float, generated_count: int, blocked: bool) -> None:
    plan = _plan(set(sorted(OWNED)[:generated_count]), threshold=threshold)

    assert (plan.blocked is not None) is blocked
    assert (plan.delete == []) is blocked
