"""A packed set of strings answers as a ``set`` of them does, kept as a plain set until
its owner packs it."""

from __future__ import annotations

import random
from collections.abc import Callable

import pytest

from ocean.store import packed_strings
from ocean.store.packed_strings import PackedStrings


class _PackedPast(PackedStrings):
    """A set its owner packs once it holds more than ``bound`` members (None: never)."""

    def __init__(self, bound: int | None) -> None:
        super().__init__()
        self.bound = bound
        if bound == 0:
            self.pack()

    def add(self, text: str) -> None:
        super().add(text)
        if self.bound is not None and len(self) > self.bound:
            self.pack()


@pytest.fixture(
    params=[None, 0, 2, 1_000],
    ids=["a plain set", "packed", "packed past 2", "packed past 1,000"],
)
def new_set(request: pytest.FixtureRequest) -> Callable[[], PackedStrings]:
    """Every test runs on a plain set, on one packed from the start, and on ones packed as
    they grow (past 2: in the middle of each table's list)."""
    return lambda: _PackedPast(request.param)


@pytest.mark.parametrize(
    ("added", "asked", "found"),
    [
        pytest.param(["team-1"], ["team-1", "team-10", "team-", "team-2"], [True, False, False, False], id="prefixes and extensions"),
        pytest.param(["", "a"], ["", "a", "b"], [True, True, False], id="the empty string"),
        pytest.param(["équipe", "チーム", "🐳"], ["équipe", "equipe", "チーム", "🐳"], [True, False, True, True], id="not ASCII"),
        pytest.param(["a", "a", "a"], ["a"], [True], id="added thrice"),
        pytest.param(["\ud800"], ["\ud800", "\ud801", "?"], [True, False, False], id="a lone surrogate"),
        pytest.param([], ["a", 1, None], [False, False, False], id="empty, and not strings"),
        pytest.param(["", "\ud800", "équipe", "a"], ["", "\ud800", "équipe", "a", "b"], [True, True, True, True, False], id="odd members packed together"),
    ],
)  # fmt: skip
def test_a_packed_set_finds_exactly_the_strings_added(
    new_set: Callable[[], PackedStrings], added: list[str], asked: list[object], found: list[bool]
) -> None:
    packed = new_set()
    for text in added:
        packed.add(text)

    assert [text in packed for text in asked] == found
    assert packed.absent(asked) == {
        text for text, there in zip(asked, found, strict=True) if not there
    }
    assert len(packed) == len(set(added))


def test_strings_longer_than_a_slot_describes_are_kept_too(
    new_set: Callable[[], PackedStrings], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(packed_strings, "_LONGEST", 4)
    packed = new_set()
    for text in ("long one", "long one", "tiny", "also long"):
        packed.add(text)

    assert ["long one" in packed, "long two" in packed, "tiny" in packed] == [True, False, True]
    assert packed.absent(["also long", "long two", "tiny"]) == {"long two"}
    assert len(packed) == 3


def test_a_packed_set_growing_past_many_sizes_answers_as_a_set(
    new_set: Callable[[], PackedStrings],
) -> None:
    rng = random.Random(25)
    packed, reference = new_set(), set()
    for _ in range(20_000):
        text = f"{rng.choice(['team', 'person', 'x'])}-{rng.randrange(8_000)}"
        assert (text in packed) == (text in reference)
        packed.add(text)
        reference.add(text)

    assert len(packed) == len(reference)
    assert all(text in packed for text in reference)
    asked = {f"team-{n}" for n in range(0, 9_000, 7)}
    assert packed.absent(asked) == asked - reference


def test_packing_keeps_every_member(new_set: Callable[[], PackedStrings]) -> None:
    packed = new_set()
    for text in ("team-1", "team-2", "équipe"):
        packed.add(text)

    packed.pack()
    packed.pack()  # (packed already: nothing)
    packed.add("team-3")

    assert packed.packed
    assert packed.absent(["team-1", "team-3", "équipe", "team-4"]) == {"team-4"}
    assert len(packed) == 4


def test_what_is_not_a_string_is_refused_and_nothing_is_lost(
    new_set: Callable[[], PackedStrings],
) -> None:
    packed = new_set()
    packed.add("team-1")

    with pytest.raises(TypeError, match="holds strings, not int"):
        packed.add(1)  # type: ignore[arg-type]
    packed.add("team-2")
    packed.add("team-3")  # (where sets pack past 2: packed here, with the two before it)

    assert packed.absent(["team-1", "team-2", "team-3", "1"]) == {"1"}
    assert len(packed) == 3
