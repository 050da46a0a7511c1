"""The files of an integration's ``.port/resources/``, besides its mapping: ``blueprints``,
and the original's optional defaults ``actions``, ``scorecards`` and ``pages``, each
``.json``, ``.yaml`` or ``.yml``.

The first setup in a Port API creates the defaults after the blueprints, as the original
does (see :mod:`ocean.port_resources`); the embedded catalog takes the actions (it keeps
no scorecards or pages). ``scorecards`` is the original's format: a list of
``{"blueprint": ID, "data": [scorecard, ...]}``; ``actions`` and ``pages`` are lists of
Port API objects.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from ocean.config.yaml_text import read_utf8, read_yaml
from ocean.errors import IntegrationLoadError

SUFFIXES = (".json", ".yaml", ".yml")


@dataclass(frozen=True)
class ExtraResources:
    """The defaults a folder ships besides its blueprints."""

    actions: list[dict[str, Any]] = field(default_factory=list)
    scorecards: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    """Each scorecard with the blueprint it is of."""
    pages: list[dict[str, Any]] = field(default_factory=list)


def resource_path(resources: Path, stem: str) -> Path | None:
    """The file ``stem`` there is (the first of :data:`SUFFIXES`), if any."""
    return next((resources / f"{stem}{suffix}" for suffix in SUFFIXES
                 if (resources / f"{stem}{suffix}").is_file()), None)  # fmt: skip


def read_resource(resources: Path, stem: str) -> tuple[Path, Any] | None:
    """The file ``stem`` (:func:`resource_path`) and what it holds."""
    path = resource_path(resources, stem)
    if path is None:
        return None
    text = read_utf8(path, IntegrationLoadError)
    try:
        return path, json.loads(text) if path.suffix == ".json" else read_yaml(text)
    except (ValueError, yaml.YAMLError) as error:
        raise IntegrationLoadError(f"{path} is not valid: {error}") from None


def load_extras(resources: Path) -> ExtraResources:
    """The folder's actions, scorecards and pages (none where a file is absent): lists of
    objects, as the original's (one Port refuses, lacking an identifier say, is logged
    when it is created, not refused here: it would stop the start)."""
    return ExtraResources(
        actions=read_objects(resources, "actions", "actions, each an object", identified=False),
        scorecards=_scorecards(resources),
        pages=read_objects(resources, "pages", "pages, each an object", identified=False),
    )


def read_objects(
    resources: Path, stem: str, shape: str, *, identified: bool = True
) -> list[dict[str, Any]]:
    """The objects of the file ``stem``, each with an identifier when ``identified``
    (``shape`` says what they are in the error that refuses others); none where it is
    absent."""
    read = read_resource(resources, stem)
    if read is None:
        return []
    path, data = read
    if not isinstance(data, list) or not all(
        isinstance(item, dict) and ("identifier" in item or not identified) for item in data
    ):
        raise IntegrationLoadError(f"{path} must be a list of {shape}")
    return data


def _scorecards(resources: Path) -> list[tuple[str, dict[str, Any]]]:
    read = read_resource(resources, "scorecards")
    if read is None:
        return []
    path, data = read
    shaped = isinstance(data, list) and all(
        isinstance(entry, dict)
        and isinstance(entry.get("blueprint"), str)
        and isinstance(entry.get("data"), list)
        and all(isinstance(scorecard, dict) for scorecard in entry["data"])
        for entry in data
    )
    if not shaped:
        raise IntegrationLoadError(
            f'{path} must be a list of {{"blueprint": BLUEPRINT, "data": [scorecard, ...]}}, '
            "as the original's"
        )
    return [(entry["blueprint"], scorecard) for entry in data for scorecard in entry["data"]]
