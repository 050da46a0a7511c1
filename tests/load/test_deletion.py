"""Stale deletion planning: protected kinds, what kept entities use, cascades, thresholds."""

from __future__ import annotations

import pytest

from ocean.load.deletion import Graph, Stale, causes_for, in_chunks, plan_deletion
from ocean.types import EntityKey

OWNED = {("svc", f"s{i}") for i in range(10)} | {("team", "t1"), ("team", "t2")}


def _pkg(name: str) -> EntityKey:
    return ("package", name)


def _plan(
    produced: set[EntityKey],
    *,
    owned: set[EntityKey] = OWNED,
    graph: Graph | None = None,
    fresh: frozenset[EntityKey] = frozenset(),
    threshold: float = 1.0,
    dependents: bool = False,
    **blueprints: set[str],
):  # type: ignore[no-untyped-def]
    """``blueprints``: ``protected_blueprints`` and ``mapped_blueprints`` of :class:`Stale`."""
    stale = Stale(owned - produced, produced, total_owned=len(owned), **blueprints)
    return plan_deletion(
        stale, graph or {}, set(fresh), delete_dependents=dependents, threshold=threshold
    )


def test_stale_entities_are_planned_for_deletion() -> None:
    plan = _plan(OWNED - {("svc", "s3")})

    assert plan.delete == [("svc", "s3")]
    assert plan.blocked is None and not plan.cascade


def test_protected_blueprints_and_what_kept_entities_relate_to_are_kept() -> None:
    plan = _plan(
        {("svc", "s0")}, protected_blueprints={"svc"}, graph={("team", "t1"): {("svc", "s0")}}
    )

    assert plan.delete == [("team", "t2")]
    assert plan.kept_protected == 9
    assert plan.kept_in_use == {("team", "t1"): ("svc", "s0")}


def test_a_cascade_keeps_a_failed_kinds_entity_and_so_what_it_relates_to() -> None:
    plan = _plan(
        {("svc", f"s{i}") for i in range(1, 10)},  # s0 is stale, and its kind failed
        protected_blueprints={"svc"},
        graph={("team", "t1"): {("svc", "s0")}},
        dependents=True,
    )

    assert plan.delete == [("team", "t2")]
    assert plan.kept_in_use == {("team", "t1"): ("svc", "s0")}


# A package graph: each arrow "x -> y" is x dependsOn y, so x is among y's dependents.
#   stale-root <- stale-mid <- fresh-a, fresh-b     (stale-mid is used by what the resync produced)
#   lonely (stale, nobody relates to it)
#   gone-a <- gone-b                                (both stale, only each other)
PACKAGES = {
    _pkg(n) for n in ("stale-root", "stale-mid", "fresh-a", "fresh-b", "lonely", "gone-a", "gone-b")
}
PRODUCED = {_pkg("fresh-a"), _pkg("fresh-b")}
GRAPH: Graph = {
    _pkg("stale-root"): {_pkg("stale-mid")},
    _pkg("stale-mid"): {_pkg("fresh-a"), _pkg("fresh-b")},
    _pkg("gone-a"): {_pkg("gone-b")},
}


@pytest.mark.parametrize("dependents", [True, False], ids=["delete-dependents", "keep-dependents"])
def test_a_cascade_never_reaches_what_the_resync_produced(dependents: bool) -> None:
    plan = _plan(PRODUCED, owned=PACKAGES, graph=GRAPH, dependents=dependents)

    assert plan.delete == [_pkg("gone-a"), _pkg("gone-b"), _pkg("lonely")]
    assert plan.kept_in_use == {
        _pkg("stale-mid"): _pkg("fresh-a"),
        _pkg("stale-root"): _pkg("stale-mid"),
    }


def test_a_cascade_takes_dependents_that_nothing_kept_uses_and_names_them() -> None:
    others = {("svc", "uses-lonely"), ("svc", "uses-user")}
    graph = GRAPH | {
        _pkg("lonely"): {("svc", "uses-lonely")},
        ("svc", "uses-lonely"): {("svc", "uses-user")},
    }

    plan = _plan(PRODUCED, owned=PACKAGES, graph=graph, dependents=True)

    assert set(plan.delete) == {_pkg("gone-a"), _pkg("gone-b"), _pkg("lonely")} | others
    assert plan.cascade == {
        ("svc", "uses-lonely"): _pkg("lonely"),
        ("svc", "uses-user"): ("svc", "uses-lonely"),
    }
    assert causes_for([("svc", "uses-user")], plan.causes) == {  # what the catalog checks
        ("svc", "uses-user"): [("svc", "uses-lonely")],
        ("svc", "uses-lonely"): [_pkg("lonely")],
    }
    assert causes_for([_pkg("lonely")], plan.causes) == {}  # stale itself: goes whatever


def test_the_causes_a_chunk_checks_are_the_nearest_up_to_a_limit() -> None:
    chain = {_pkg(f"d{i}"): [_pkg(f"d{i - 1}") if i else _pkg("root")] for i in range(10)}

    found = causes_for([_pkg("d9")], chain, limit=3)

    assert list(found) == [_pkg("d9"), _pkg("d8"), _pkg("d7")]  # d6 and beyond: unchecked


@pytest.mark.parametrize(
    ("dependents", "fresh", "deleted"),
    [
        pytest.param(False, frozenset(), [], id="without-cascade-a-dependent-keeps-its-target"),
        pytest.param(True, frozenset({("svc", "x")}), [], id="written-during-the-resync-is-kept"),
        pytest.param(True, frozenset(), [("svc", "x"), ("team", "t1")], id="cascade"),
    ],
)
def test_dependents_outside_the_stale_set(
    dependents: bool, fresh: frozenset[EntityKey], deleted: list[EntityKey]
) -> None:
    plan = _plan(OWNED - {("team", "t1")}, graph={("team", "t1"): {("svc", "x")}},
                 fresh=fresh, dependents=dependents)  # fmt: skip

    assert plan.delete == deleted


def test_a_cycle_of_stale_entities_goes_together_unless_a_kept_one_uses_it() -> None:
    cycle: Graph = {_pkg("a"): {_pkg("b")}, _pkg("b"): {_pkg("a")}}
    owned = {_pkg("a"), _pkg("b"), _pkg("c")}

    assert _plan({_pkg("c")}, owned=owned, graph=cycle, dependents=True).delete == [
        _pkg("a"),
        _pkg("b"),
    ]
    used = cycle | {_pkg("b"): {_pkg("a"), _pkg("c")}}
    assert _plan({_pkg("c")}, owned=owned, graph=used, dependents=True).delete == []


@pytest.mark.parametrize(
    ("threshold", "produced_count", "blocked"),
    [
        pytest.param(0.9, 1, True, id="11-of-12-over-0.9"),
        pytest.param(0.9, 2, False, id="10-of-12-under-0.9"),
        pytest.param(0.0, 11, True, id="zero-never-deletes"),
        pytest.param(1.0, 0, False, id="one-always-deletes"),
    ],
)
def test_threshold_of_the_whole(threshold: float, produced_count: int, blocked: bool) -> None:
    plan = _plan(set(sorted(OWNED)[:produced_count]), threshold=threshold)

    assert (plan.blocked is not None) is blocked
    assert (plan.delete == []) is blocked


@pytest.mark.parametrize(
    ("threshold", "mapped", "kept_blueprints"),
    [
        pytest.param(0.9, {"svc", "team"}, {"svc"}, id="an-emptied-kind-is-kept"),
        pytest.param(1.0, {"svc", "team"}, set(), id="threshold-1-lets-it-go"),
        pytest.param(0.9, {"team"}, set(), id="a-kind-no-longer-mapped-goes"),
    ],
)
def test_each_mapped_blueprint_keeps_its_own_threshold(
    threshold: float, mapped: set[str], kept_blueprints: set[str]
) -> None:
    owned = OWNED | {("team", f"t{i}") for i in range(3, 100)}
    produced = {key for key in owned if key[0] == "team"}

    plan = _plan(produced, owned=owned, threshold=threshold, mapped_blueprints=mapped)

    assert set(plan.blocked_blueprints) == kept_blueprints
    assert plan.blocked is None
    assert len(plan.delete) == (0 if kept_blueprints else 10)


def _keys(*names: str) -> list[EntityKey]:
    return [_pkg(name) for name in names]


def _graph(*edges: str) -> Graph:
    """``"b>a"``: b relates to a."""
    graph: Graph = {}
    for edge in edges:
        user, target = edge.split(">")
        graph.setdefault(_pkg(target), set()).add(_pkg(user))
    return graph


@pytest.mark.parametrize(
    ("plan", "edges", "size", "chunks"),
    [
        pytest.param("abcde", [], 2, ["ab", "cd", "e"], id="unrelated-by-size"),
        pytest.param("abc", ["b>a", "c>b"], 1, ["c", "b", "a"], id="a-chain-dependents-first"),
        pytest.param("abc", ["b>a", "c>a"], 2, ["bc", "a"], id="a-target-after-both-users"),
        pytest.param("ab", ["a>a", "b>a"], 1, ["b", "a"], id="a-self-relation-waits-for-nothing"),
        pytest.param("abcd", ["a>b", "b>a", "c>d"], 1, ["c", "d", "ab"], id="a-cycle-in-one-chunk"),
        pytest.param("abcd", ["a>b", "b>a", "c>d", "d>c"], 2, ["ab", "cd"], id="cycles-by-size"),
        pytest.param("abc", ["a>b", "b>a", "a>c"], 2, ["ab", "c"], id="what-a-cycle-uses-after-it"),
        pytest.param(
            "abcd", ["d>a", "a>b", "b>c", "c>b"], 1, ["d", "a", "bc"], id="a-cycle-behind-a-chain"
        ),
        pytest.param("ab", ["x>a", "b>y"], 1, ["a", "b"], id="relations-outside-the-plan-ignored"),
        pytest.param("", [], 3, [], id="nothing"),
    ],
)
def test_a_plan_is_deleted_in_chunks_each_after_what_relates_to_it(
    plan: str, edges: list[str], size: int, chunks: list[str]
) -> None:
    found = in_chunks(_keys(*plan), _graph(*edges), size)

    assert ["".join(name for _, name in chunk) for chunk in found] == chunks


def test_a_long_chain_and_a_long_cycle_are_ordered_without_recursion() -> None:
    chain = [_pkg(f"c{i:05}") for i in range(20000)]  # c1 relates to c0, c2 to c1, ...
    ring = [_pkg(f"r{i:05}") for i in range(20000)]  # each relates to the next, the last to r0
    graph: Graph = {}
    for user, target in [
        *zip(chain[1:], chain[:-1], strict=True),
        *zip(ring, ring[1:] + ring[:1], strict=True),
    ]:
        graph.setdefault(target, set()).add(user)

    chunks = in_chunks(sorted(chain + ring), graph, 1000)

    order = [key for chunk in chunks for key in chunk]
    assert order[:20000] == chain[::-1] and sorted(order[20000:]) == ring
    assert [len(chunk) for chunk in chunks] == [1000] * 20 + [20000]
