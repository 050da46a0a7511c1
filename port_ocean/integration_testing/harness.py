"""Run an integration's full resync against recorded third-party answers, through Ocean's
own engine, into an embedded catalog, and tell what it wrote.

:class:`IntegrationTestHarness` loads the integration folder as ``ocean sail`` does (its
spec, its configuration, a fresh import of main.py), with the test's mapping instead of
``port-app-config.yml``, routes its third-party HTTP calls to a transport (see
:mod:`port_ocean.integration_testing.clients`), and resyncs into a temporary SQLite catalog
(see :mod:`port_ocean.integration_testing.catalog`): the entities a :class:`ResyncResult`
holds are those Ocean's mapping, diff and load wrote there. As with the original's harness,
no ``on_start`` hook runs; the ``on_resync_start`` and ``on_resync_complete`` hooks do.
"""

from __future__ import annotations

import asyncio
import logging
import os
import re
import shutil
import sys
import tempfile
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, cast

from ocean.errors import StoreError
from ocean.job import SilentObserver
from ocean.listen.once import bind_writes, resync
from ocean.mapping import parse_mapping
from ocean.monitor.report import ResyncReport
from ocean.sail import Sail, prepare
from ocean.transform.mapper import compile_resources
from port_ocean.integration_testing.catalog import TestCatalog, loosened
from port_ocean.integration_testing.clients import InterceptedClients
from port_ocean.integration_testing.port_mock import PortMockResponder
from port_ocean.integration_testing.transport import InterceptTransport, RecordingTransport

_log = logging.getLogger(__name__)


@dataclass
class ResyncResult:
    """What one resync wrote and deleted, what went wrong, and whether it completed."""

    upserted_entities: list[dict[str, Any]] = field(default_factory=list)
    """Every entity written, as the resync sent it, in order (one per write: an entity two
    resources map is there twice)."""
    deleted_entities: list[dict[str, Any]] = field(default_factory=list)
    """``{"identifier", "blueprint"}`` of each entity deleted (stale ones)."""
    errors: list[Exception] = field(default_factory=list)
    """The exceptions the handlers raised, and a :class:`ResyncError` for every other
    problem (an entity the catalog refused, a hook that failed)."""
    reconciliation_success: bool = True
    report: ResyncReport | None = None
    """Ocean's own report of the run (per-kind counts, deletion notes)."""


class ResyncError(Exception):
    """A problem of the resync that no exception of the integration stands behind."""


class IntegrationTestHarness:
    """Boots an integration with intercepted HTTP, triggers resyncs and collects results."""

    def __init__(
        self,
        integration_path: str,
        port_mapping_config: dict[str, Any],
        third_party_transport: InterceptTransport | RecordingTransport,
        port_blueprints: dict[str, dict[str, Any]] | None = None,
        config_overrides: dict[str, Any] | None = None,
        port_search_entities_response: list[dict[str, Any]] | None = None,
    ) -> None:
        self.integration_path = str(Path(integration_path).resolve())
        self.port_mapping_config = port_mapping_config
        self.third_party_transport = third_party_transport
        self.port_blueprints = port_blueprints or {}
        self.port_mock = PortMockResponder(
            mapping_config=port_mapping_config,
            blueprints=self.port_blueprints,
            search_entities_response=port_search_entities_response or [],
        )
        self.config_overrides = config_overrides or {}
        self.sail: Sail | None = None
        self.catalog: TestCatalog | None = None
        self._clients = InterceptedClients(third_party_transport)
        self._directory: str | None = None
        self._inserted_sys_path = False

    @property
    def catalog_path(self) -> Path | None:
        """The catalog's SQLite file (``ocean catalog entities --catalog`` reads it)."""
        return self.catalog.path if self.catalog is not None else None

    async def start(self) -> None:
        """Load the integration, open its catalog and route its HTTP calls."""
        self._directory = tempfile.mkdtemp(prefix="ocean-integration-test-")
        self._inserted_sys_path = self.integration_path not in sys.path
        claim_module_names(Path(self.integration_path))
        environ = {k: v for k, v in os.environ.items() if not k.upper().startswith("OCEAN__")}
        catalog_file = Path(self._directory) / "catalog.db"
        overrides = self._settings(f"sqlite:///{catalog_file}")
        _forget_reloaded_validators()
        sail = prepare(Path(self.integration_path), environ=environ, overrides=overrides)
        self.sail = self._with_mapping(sail)
        catalog = cast(TestCatalog, await TestCatalog.open(catalog_file))
        self.catalog = catalog
        await _create_blueprints(catalog, self._blueprints())
        bind_writes(self.sail, catalog)
        self._clients.start()

    def _settings(self, catalog_url: str) -> dict[str, Any]:
        """The test's settings over the harness's defaults, as the original's harness
        (a top-level key the test gives replaces the default's whole)."""
        given: dict[str, Any] = {
            "event_listener": {"type": "POLLING"},
            "integration": {"identifier": "test-integration", "type": "test"},
            **self.config_overrides,
        }
        return given | {
            "catalog": {"url": catalog_url},
            "transform_workers": 1,
            "skip_unchanged_pages": False,
            "scheduled_resync_interval": None,
        }

    def _with_mapping(self, sail: Sail) -> Sail:
        """``sail`` with the test's mapping in place of the folder's."""
        integration = sail.folder.integration
        mapping = parse_mapping(
            self.port_mapping_config, source="port_mapping_config", model=integration.mapping_model
        )
        folder = replace(sail.folder, mapping=mapping)
        resolver = integration.field_resolver()
        resources = compile_resources(
            mapping.resources, env=sail.env, resolver=resolver, strict=False
        )
        return replace(sail, folder=folder, resources=resources)

    def _blueprints(self) -> list[dict[str, Any]]:
        """The folder's blueprints, those the test gives replacing them by identifier."""
        assert self.sail is not None
        given = {bp["identifier"]: bp for bp in self.sail.folder.blueprints}
        given |= {name: {"identifier": name, **bp} for name, bp in self.port_blueprints.items()}
        return [loosened(blueprint) for blueprint in given.values()]

    async def trigger_resync(self) -> ResyncResult:
        """Resync every kind of the mapping and collect what it wrote and deleted."""
        sail, catalog = self._started()
        catalog.upserted.clear()
        catalog.deleted.clear()
        self.port_mock.upserted_entities.clear()
        self.port_mock.deleted_entity_ids.clear()
        self.port_mock.deleted_entities.clear()
        seeding = await self._seed(catalog, sail)
        try:
            report = await resync(sail, catalog, SilentObserver(), trigger="machine")
            if report is None:
                raise ResyncError("the resync did not run")
        except Exception as error:  # the catalog (or Ocean) failed: the run is over
            _log.warning("the resync raised: %s", error)
            return self._result([*seeding, error], success=False)
        return self._result([*seeding, *errors_of(report)], report.status == "completed", report)

    async def _seed(self, catalog: TestCatalog, sail: Sail) -> list[Exception]:
        """Put the entities that 'exist in Port' in the catalog, as the integration's."""
        documents = self.port_mock.search_entities_response
        if not documents:
            return []
        problems = await catalog.seed(documents, sail.owner)
        await asyncio.sleep(0.002)  # the resync starts after them, to the millisecond
        return [ResyncError(f"seeding an existing entity failed: {p}") for p in problems]

    def _result(
        self, errors: list[Exception], success: bool, report: ResyncReport | None = None
    ) -> ResyncResult:
        _, catalog = self._started()
        self.port_mock.upserted_entities.extend(catalog.upserted)
        for blueprint, identifier in catalog.deleted:
            self.port_mock.record_deleted(blueprint, identifier)
        return ResyncResult(
            upserted_entities=list(catalog.upserted),
            deleted_entities=list(self.port_mock.deleted_entities),
            errors=errors,
            reconciliation_success=success and not errors,
            report=report,
        )

    async def discover_requests(self) -> str:
        """Resync, then print (and return) each distinct third-party request made, marking
        those no route answered: what a new test has to record."""
        self._started()
        try:
            await self.trigger_resync()
        except Exception as error:
            _log.warning("the discovery resync raised: %s", error)
        lines: list[str] = []
        seen: set[tuple[str, str]] = set()
        for entry in self.third_party_transport.calls:
            key = (entry.request.method, str(entry.request.url))
            if key not in seen:
                seen.add(key)
                status = entry.response.status_code
                unmatched = " ← UNMATCHED (404)" if status == 404 else ""
                lines.append(f"  {key[0]} {key[1]} → {status}{unmatched}")
        header = f"Discovered {len(lines)} unique third-party requests:"
        output = "\n".join([header, *(lines or ["  (no requests)"])])
        print(output)
        return output

    async def shutdown(self) -> None:
        """Undo the HTTP routing, close and remove the catalog."""
        self._clients.stop()
        if self.catalog is not None:
            await self.catalog.close()
            self.catalog = None
        if self._directory is not None:
            shutil.rmtree(self._directory, ignore_errors=True)
            self._directory = None
        if self._inserted_sys_path and self.integration_path in sys.path:
            sys.path.remove(self.integration_path)
        self.sail = None

    def _started(self) -> tuple[Sail, TestCatalog]:
        if self.sail is None or self.catalog is None:
            raise RuntimeError("Harness not started. Call start() first.")
        return self.sail, self.catalog


def claim_module_names(folder: Path) -> None:
    """Make the folder's own modules the ones its imports find: it goes first on
    ``sys.path``, and modules of the same names imported from elsewhere (another
    integration's ``client.py`` or ``integration.py``, tested earlier in the same process)
    are forgotten."""
    if str(folder) in sys.path:
        sys.path.remove(str(folder))
    sys.path.insert(0, str(folder))
    names = {path.stem for path in folder.glob("*.py")}
    names |= {path.name for path in folder.iterdir() if (path / "__init__.py").is_file()}
    for name in list(sys.modules):
        top = name.partition(".")[0]
        if top in names and not _defined_under(sys.modules[name], folder):
            del sys.modules[name]


def _defined_under(module: Any, folder: Path) -> bool:
    file = getattr(module, "__file__", None)
    return file is not None and Path(file).resolve().is_relative_to(folder)


_RELOADED = re.compile(r"integration_\d+\.")


def _forget_reloaded_validators() -> None:
    """Let ``integration.py`` be imported again: each start loads the folder afresh (its
    own copy of ``integration.py`` included), and pydantic v1 refuses a validator whose
    module and name it has seen, so the names of earlier loads' copies are forgotten."""
    try:
        from pydantic.v1 import class_validators
    except ImportError:
        return
    seen: Any = getattr(class_validators, "_FUNCS", None)
    if isinstance(seen, set):
        seen -= {name for name in seen if isinstance(name, str) and _RELOADED.match(name)}


def errors_of(report: ResyncReport) -> list[Exception]:
    """The run's problems: each kind's errors (as the exception raised, where there was
    one), then the run's own."""
    found: list[Exception] = []
    for kind in report.kinds:
        for message in kind.errors:
            raised = kind.raised.get(message)
            found.append(raised if isinstance(raised, Exception) else ResyncError(message))
    return found + [ResyncError(message) for message in report.errors]


async def _create_blueprints(catalog: TestCatalog, blueprints: list[dict[str, Any]]) -> None:
    """Create the blueprints; relations to blueprints neither they nor the catalog define
    (Port's own, say) are left out rather than failing them all."""
    known = {bp["identifier"] for bp in blueprints}
    known |= {bp["identifier"] for bp in await catalog.list_blueprints()}
    for blueprint in blueprints:
        relations = blueprint.get("relations") or {}
        blueprint["relations"] = {
            name: relation
            for name, relation in relations.items()
            if isinstance(relation, dict) and relation.get("target") in known
        }
    try:
        await catalog.create_blueprints(blueprints)
    except StoreError as error:
        _log.warning("the integration's blueprints were not all accepted: %s", error)
        for blueprint in blueprints:
            try:
                await catalog.create_blueprints([blueprint])
            except StoreError:
                pass  # its entities get a blueprint widened from nothing
