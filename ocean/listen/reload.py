"""The mapping a resync uses: an edited mapping file, or the one a Port API keeps.

With the embedded catalog, a long-running sail reads its mapping file again before each
resync; when its text changed it is validated as at start (its structure, the
integration's own mapping model, every JQ expression). A valid edit replaces the mapping
from that resync on, for live events and ``register_raw`` too; an invalid one is logged
with its problems and the mapping in use stays.

Against a Port API the mapping of record is the integration's own there (its ``config``,
which Port's UI edits; the folder's is only what a first install sends), read before every
resync as the original reads it (:func:`mapping_of_record`).
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from msgspec.structs import fields

from ocean.errors import MappingError, OceanError
from ocean.mapping import PortAppConfig, load_mapping, parse_mapping, to_document
from ocean.sail import Sail
from ocean.store.base import InstallsIntegrations
from ocean.transform.mapper import CompiledResource, compile_resources

_log = logging.getLogger(__name__)
MAPPING_FILES = ("port-app-config.yml", "port-app-config.yaml", "port-app-config.json")
"""The names a folder's mapping may have, in the order they are looked for."""


class MappingReload:
    """Watches one integration's mapping file; calling it applies an edit, if any."""

    def __init__(self, sail: Sail) -> None:
        self.sail = sail
        resources = sail.folder.path / sail.settings.resources_path
        self.path = next(
            (resources / name for name in MAPPING_FILES if (resources / name).is_file()), None
        )
        self.seen = _read(self.path)

    def __call__(self) -> bool:
        """Apply the mapping file if its text changed since it was last read; True when
        a new mapping was applied."""
        text = _read(self.path)
        if text is None or text == self.seen or self.path is None:
            return False
        self.seen = text
        integration = self.sail.folder.integration
        try:
            mapping = load_mapping(self.path, model=integration.mapping_model)
            resources = compile_resources(
                mapping.resources, env=self.sail.env, resolver=integration.field_resolver()
            )
        except OceanError as error:
            _log.error(
                "the mapping %s was edited but is not valid, so the previous one stays in "
                "use; fix it and the next resync applies it:\n%s",
                self.path,
                error,
            )
            return False
        _replace(self.sail, mapping, resources)
        _log.info(
            "the mapping %s was edited: applied from this resync on (kinds: %s)",
            self.path,
            ", ".join(mapping.kinds) or "none",
        )
        return True


async def mapping_of_record(sail: Sail, store: InstallsIntegrations) -> dict[str, Any]:
    """Apply the mapping the integration's record in ``store`` holds (see
    :func:`use_mapping_of`). The record, as read."""
    record = await store.get_integration(sail.owner.identifier) or {}
    use_mapping_of(sail, record)
    return record


def use_mapping_of(sail: Sail, record: dict[str, Any]) -> None:
    """Apply the mapping the integration's ``record`` holds, if it differs from the one in
    use. An empty one, or one that does not validate, raises :class:`MappingError`: the
    resync fails before it writes or deletes anything, as the original's does (its
    ``EmptyPortAppConfigError``)."""
    identifier = sail.owner.identifier
    document = record.get("config")
    where = f"the mapping of integration {identifier!r} in the catalog"
    if not document:
        raise MappingError(
            f"{where} is empty, so nothing was synced (nor deleted): give it a mapping in "
            "Port (the integration's data source), or reinstall it with the folder's"
        )
    in_use = to_document(sail.folder.mapping)
    if document == in_use:
        return
    integration = sail.folder.integration
    mapping = parse_mapping(document, source=where, model=integration.mapping_model)
    if to_document(mapping) == in_use:
        return
    resources = compile_resources(
        mapping.resources, env=sail.env, resolver=integration.field_resolver(), strict=False
    )
    _replace(sail, mapping, resources)
    _log.info(
        "%s differs from the one in use, and is used from this resync on (kinds: %s), as "
        "the original uses it (to sync by the folder's port-app-config.yml instead, apply it "
        "there with `ocean defaults dock`, which replaces the catalog's)",
        where,
        ", ".join(mapping.kinds) or "none",
    )


def _read(path: Path | None) -> bytes | None:
    try:
        return None if path is None else path.read_bytes()
    except OSError:
        return None  # being replaced: the next resync reads it


def _replace(sail: Sail, mapping: PortAppConfig, resources: list[CompiledResource]) -> None:
    """Swap the mapping in place: live events and ``register_raw`` hold the very objects
    the sail started with (its mapping and its list of compiled resources)."""
    current = sail.folder.mapping
    for name in fields(PortAppConfig):
        setattr(current, name.name, getattr(mapping, name.name))
    sail.resources[:] = resources
