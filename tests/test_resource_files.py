"""The files of ``.port/resources/`` besides the mapping (:mod:`ocean.resource_files`)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ocean.errors import IntegrationLoadError
from ocean.resource_files import ExtraResources, load_extras

ACTION = {"identifier": "restart", "title": "Restart"}
CARD = {"identifier": "ready", "title": "Ready", "rules": []}
PAGE = {"identifier": "services_page", "title": "Services"}


def test_actions_scorecards_and_pages_are_read_from_json_and_yaml(tmp_path: Path) -> None:
    (tmp_path / "actions.json").write_text('[{"identifier": "restart", "title": "Restart"}]')
    (tmp_path / "scorecards.yaml").write_text(
        "- blueprint: service\n  data:\n    - {identifier: ready, title: Ready, rules: []}\n"
    )
    (tmp_path / "pages.yml").write_text("- {identifier: services_page, title: Services}\n")

    extras = load_extras(tmp_path)

    assert extras == ExtraResources([ACTION], [("service", CARD)], [PAGE])


def test_a_folder_without_them_has_none(tmp_path: Path) -> None:
    assert load_extras(tmp_path) == ExtraResources()


@pytest.mark.parametrize(
    ("name", "text", "said"),
    [
        ("actions.json", '{"identifier": "restart"}', "must be a list of actions"),
        ("actions.json", "[{", "is not valid"),
        ("pages.yaml", "- just text\n", "must be a list of pages"),
        ("scorecards.json", '[{"blueprint": "service", "data": {}}]', '"blueprint": BLUEPRINT'),
        ("scorecards.json", '[{"data": []}]', '"blueprint": BLUEPRINT'),
        ("scorecards.yml", "blueprint: service\n", '"blueprint": BLUEPRINT'),
    ],
    ids=[
        "action-object",
        "broken-json",
        "page-text",
        "scorecard-data",
        "scorecard-without-blueprint",
        "scorecards-object",
    ],  # fmt: skip
)
def test_a_file_of_the_wrong_shape_is_refused_naming_it(
    tmp_path: Path, name: str, text: str, said: str
) -> None:
    (tmp_path / name).write_text(text)

    with pytest.raises(IntegrationLoadError, match=name.replace(".", r"\.")) as raised:
        load_extras(tmp_path)

    assert said in str(raised.value)


def test_actions_and_pages_without_an_identifier_are_read_as_the_originals(
    tmp_path: Path,
) -> None:
    """The original reads them as lists of objects (a page's identifier is optional in
    Port, which makes one up; an action Port refuses is logged at its creation): refusing
    them here failed ``ocean sail`` at load."""
    page = {"title": "Services", "type": "dashboard", "widgets": []}
    (tmp_path / "pages.json").write_text(json.dumps([page]))
    (tmp_path / "actions.yml").write_text("- {title: Untitled}\n")

    assert load_extras(tmp_path) == ExtraResources([{"title": "Untitled"}], [], [page])
