"""The public API is what ``ocean.__all__`` says, on purpose."""

from __future__ import annotations

import pytest

import ocean


def test_exported_members_are_exactly_the_public_names() -> None:
    public = sorted(name for name in dir(ocean) if not name.startswith("_") and name[0].isupper())

    assert sorted(ocean.__all__) == public
    assert all(getattr(ocean, name) is not None for name in public)  # each one imports


def test_an_unknown_name_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="no attribute 'Integrashun'"):
        ocean.Integrashun  # noqa: B018


def test_importing_ocean_has_no_side_effects_on_warnings() -> None:
    import warnings

    assert not any(
        str(entry[2]).endswith("FutureWarning") and entry[0] == "ignore"
        for entry in warnings.filters
    )
