"""What a PostgreSQL store knows exists among relation targets: learnt from its writes,
forgotten when the catalog's count of deleting statements moves or past its limit."""

from __future__ import annotations

import pytest

from ocean.store.postgres import known
from ocean.store.postgres.known import KnownTargets

TEAMS = {("team", "a"), ("team", "b")}
ASKED = {("team", "a"), ("team", "c"), ("office", "a")}


@pytest.fixture(params=[None, 0], ids=["plain sets", "packed"], autouse=True)
def small(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    if request.param is not None:
        monkeypatch.setattr(known, "SMALL", request.param)


@pytest.mark.parametrize(
    ("deletions_then", "unknown"),
    [
        pytest.param(7, {("team", "c"), ("office", "a")}, id="the count unchanged: known"),
        pytest.param(8, ASKED, id="an entity deleted since: all asked again"),
    ],
)
def test_targets_learnt_are_not_asked_again_while_nothing_was_deleted(
    deletions_then: int, unknown: set[tuple[str, str]]
) -> None:
    targets = KnownTargets()
    targets.learn(TEAMS, 7)

    if not targets.still(deletions_then):
        assert targets.unknown(ASKED) == ASKED
    assert targets.unknown(ASKED) == unknown


def test_past_the_limit_every_key_is_forgotten_and_learnt_again(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(known, "LIMIT", 3)
    targets = KnownTargets()
    targets.learn(TEAMS, 1)

    targets.learn({("team", "c"), ("team", "d")}, 1)

    assert targets.unknown(ASKED | TEAMS) == {("team", "a"), ("team", "b"), ("office", "a")}
    targets.learn({("team", f"{n}") for n in range(4)}, 1)  # more than the limit: none kept
    assert targets.unknown(ASKED) == ASKED


def test_a_store_s_known_targets_stay_in_plain_sets_up_to_the_bound_and_are_all_packed_past_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(known, "SMALL", 3)
    targets = KnownTargets()

    targets.learn(TEAMS | {("office", "a")}, 1)  # three in all: at the bound
    plain = [identifiers.packed for identifiers in targets.by_blueprint.values()]
    targets.learn({("office", "b")}, 1)  # four: past it

    assert plain == [False, False]
    assert all(identifiers.packed for identifiers in targets.by_blueprint.values())
    assert targets.unknown(ASKED | {("office", "b"), ("desk", "a")}) == {
        ("team", "c"),
        ("desk", "a"),
    }
