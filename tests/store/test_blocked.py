"""What a deletion without dependents keeps: what staying entities relate to, in turn."""

from __future__ import annotations

import pytest

from ocean.store.blocked import kept_in_use, spared
from ocean.types import EntityKey


def _key(name: str) -> EntityKey:
    return ("svc", name)


@pytest.mark.parametrize(
    ("doomed", "edges", "kept"),
    [
        pytest.param("ab", [], {}, id="nothing-relates"),
        pytest.param("ab", ["x>a"], {"a": "x"}, id="an-outsider-keeps-its-target"),
        pytest.param("ab", ["b>a"], {}, id="relations-among-the-doomed-keep-nothing"),
        pytest.param("abc", ["x>a", "a>b", "b>c"], {"a": "x", "b": "a", "c": "b"}, id="in-turn"),
        pytest.param("a", ["a>a"], {}, id="a-self-relation-keeps-nothing"),
        pytest.param("ab", ["x>a", "a>a", "a>b"], {"a": "ax", "b": "a"}, id="kept-self-relation"),
    ],
)
def test_what_a_staying_entity_relates_to_is_kept_in_turn(
    doomed: str, edges: list[str], kept: dict[str, str]
) -> None:
    dependents: dict[EntityKey, set[EntityKey]] = {}
    for edge in edges:
        user, target = edge.split(">")
        dependents.setdefault(_key(target), set()).add(_key(user))
    going = {_key(name) for name in doomed}

    blocked = kept_in_use(going, dependents)

    assert blocked == {_key(k): [_key(u) for u in users] for k, users in kept.items()}
    assert going == {_key(name) for name in doomed} - blocked.keys()


def test_a_long_chain_behind_a_kept_entity_is_kept_whole() -> None:
    chain = [_key(f"c{i:05}") for i in range(20000)]  # each relates to the next
    dependents = {target: {user} for user, target in zip(chain, chain[1:], strict=False)}
    dependents[chain[0]] = {_key("outsider")}
    going = set(chain)

    blocked = kept_in_use(going, dependents)

    assert not going and len(blocked) == 20000


@pytest.mark.parametrize(
    ("keys", "causes", "touched", "kept"),
    [
        pytest.param("x", ["x>a"], "a", "x", id="its-cause-touched"),
        pytest.param("x", ["x>a"], "", "", id="nothing-touched"),
        pytest.param("x", ["x>a"], "b", "", id="another-touched"),
        pytest.param("y", ["y>x", "x>a"], "a", "y", id="its-cause-in-turn-touched"),
        pytest.param("y", ["y>x", "x>a"], "x", "y", id="its-cause-touched-on-the-way"),
        pytest.param("xy", ["x>a", "y>b"], "b", "y", id="each-by-its-own"),
        pytest.param("x", ["x>a", "x>b"], "b", "", id="one-of-two-causes-goes-so-it-goes"),
        pytest.param("x", ["x>a", "x>b"], "ab", "x", id="both-causes-touched"),
        pytest.param("de", ["d>x", "d>y", "e>y"], "x", "", id="a-sibling's-cause-goes"),
        pytest.param("xy", ["x>y", "y>x", "y>a"], "b", "", id="a-cycle-reaching-what-goes"),
        pytest.param("xy", ["x>y", "y>x", "y>a"], "a", "xy", id="a-cycle-reaching-nothing-going"),
    ],
)
def test_what_a_cascade_takes_stays_unless_it_leads_to_something_going(
    keys: str, causes: list[str], touched: str, kept: str
) -> None:
    found: dict[EntityKey, list[EntityKey]] = {}
    for edge in causes:
        user, target = edge.split(">")
        found.setdefault(_key(user), []).append(_key(target))

    result = spared([_key(k) for k in keys], found, {_key(t) for t in touched})

    assert result == [_key(k) for k in kept]
