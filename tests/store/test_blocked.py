"""What a deletion without dependents keeps: what staying entities relate to, in turn."""

from __future__ import annotations

import pytest

from ocean.store.blocked import kept_in_use
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
