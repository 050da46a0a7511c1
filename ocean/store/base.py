"""The store interface every catalog backend implements (SQLite now; PostgreSQL, Port API later)."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from ocean.store.blocked import Causes
from ocean.store.lease import Fence
from ocean.types import Entity, EntityKey

if TYPE_CHECKING:
    from ocean.store.entity_rules import EntityRules


def now_iso() -> str:
    """Port's timestamp format: ISO-8601 UTC with milliseconds and ``Z``."""
    return iso_at(dt.datetime.now(dt.UTC))


def iso_at(moment: dt.datetime) -> str:
    """``moment`` (aware) in :func:`now_iso`'s format."""
    return moment.astimezone(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


ABANDONED_ERROR = "the process running it stopped without ending it (its resync lease lapsed)"
"""What a run still recorded ``running`` says once the next resync takes its lease."""


def does_not_exist(key: EntityKey) -> str:
    """Why an update-only write of an entity that is not stored failed (404 on the catalog
    server): it was deleted meanwhile, or never made."""
    return (
        f"not_found: entity {key[1]!r} of blueprint {key[0]!r} does not exist: create it "
        "with POST (upsert=true replaces it if it exists)"
    )


def already_exists(key: EntityKey) -> str:
    """Why a create-only write of an entity that exists failed (409 on the catalog server)."""
    return (
        f"conflict: entity {key[1]!r} of blueprint {key[0]!r} already exists: send "
        "upsert=true to replace it (merge=true to update only the fields sent)"
    )


@dataclass(frozen=True)
class Owner:
    """The integration writing entities; Port calls its User-Agent string the datasource."""

    integration_type: str
    identifier: str
    version: str = "0.1.0"
    user_agent_type: str = "exporter"

    @property
    def datasource(self) -> str:
        return (
            f"port-ocean/{self.integration_type}/{self.version}/"
            f"{self.identifier}/{self.user_agent_type}"
        )

    @property
    def key(self) -> str:
        """What ownership matches on: the datasource without the version, as Port does."""
        return f"{self.integration_type}/{self.identifier}/{self.user_agent_type}"


@dataclass(slots=True)
class WriteOutcome:
    """One entity's result in a bulk upsert: ``created``, ``updated``, ``unchanged`` or ``failed``."""

    index: int
    identifier: Any
    blueprint: str
    status: str
    error: str | None = None
    version: int | None = None
    """The entity's stored version after the write, where the store keeps one (SQLite and
    PostgreSQL: a random number each write transaction gives what it writes); the pages
    a catalog remembers (:class:`RemembersPages`) hold it for each of their entities."""
    unavailable: bool = False
    """It failed because the catalog could not take it now (the Port API answered 5xx, or
    nothing, after its client's retries): a live event waits and writes it again."""

    @property
    def ok(self) -> bool:
        return self.error is None


@dataclass(frozen=True)
class DeleteResult:
    """What a delete removed, and what it kept because other entities still relate to it
    (each with those), or because they were written after ``written_before``, or because
    what a cascade took them for was (``causes``)."""

    deleted: list[EntityKey]
    blocked: dict[EntityKey, list[EntityKey]]
    written: list[EntityKey] = field(default_factory=list)
    spared: list[EntityKey] = field(default_factory=list)


@dataclass(frozen=True)
class Dependents:
    """Who relates to some entities: each target's dependents (itself excluded), and which
    of those were written after a given time (a resync keeps what was written while it ran)."""

    of: dict[EntityKey, set[EntityKey]] = field(default_factory=dict)
    fresh: set[EntityKey] = field(default_factory=set)


@dataclass(frozen=True)
class RunRecord:
    """One resync run as the catalog keeps it."""

    integration: str
    trigger: str
    started_at: str
    ended_at: str | None
    status: str
    report: dict[str, Any]
    id: int | None = None
    """Set to update the record :meth:`Store.record_run` returned (running → final)."""
    next_resync: str | None = None
    interval_minutes: float | None = None


class Store(Protocol):
    """An async catalog. Every method is safe to call concurrently on one instance."""

    async def close(self) -> None: ...

    async def create_blueprints(self, blueprints: list[dict[str, Any]]) -> list[str]:
        """Create the blueprints that do not exist yet; return the identifiers created."""
        ...

    async def list_blueprints(self) -> list[dict[str, Any]]: ...

    async def now(self) -> str:
        """The time by the clock the catalog stamps its writes with (:func:`now_iso`'s
        format): a resync's start, compared with what was written since, is read here."""
        ...

    async def get_entities(self, blueprint: str, identifiers: list[str]) -> dict[str, Entity]:
        """The stored entities of one blueprint among ``identifiers``, keyed by identifier."""
        ...

    async def upsert_entities(
        self,
        entities: list[Entity],
        *,
        owner: Owner,
        merge: bool,
        only_changed: bool = False,
        create_missing_related: bool = True,
    ) -> list[WriteOutcome]:
        """Create or update; one bad entity fails alone, with its reason.

        With ``only_changed``, entities equal to what is stored (in the fields they carry)
        are not written and come back ``unchanged``. A relation to a missing entity creates
        a placeholder of it with ``create_missing_related``, else fails the entity
        (``not_found``).
        """
        ...

    async def search(
        self,
        query: dict[str, Any],
        *,
        include: list[str] | None = None,
        exclude: list[str] | None = None,
    ) -> list[dict[str, Any]]:
        """Entities matching a Port search query (see :mod:`ocean.store.search`)."""
        ...

    async def owned_keys(self, owner: Owner, *, before: str | None = None) -> set[EntityKey]:
        """Keys of the entities ``owner`` wrote, optionally only those not updated after ``before``."""
        ...

    async def owned_page(
        self,
        owner: Owner,
        *,
        before: str | None = None,
        after: EntityKey | None = None,
        limit: int = 5000,
    ) -> tuple[list[EntityKey], EntityKey | None]:
        """A page of the keys ``owner`` owns, and the cursor of the next page (None at the end)."""
        ...

    async def dependents(self, keys: list[EntityKey], *, after: str) -> Dependents:
        """The entities relating to each of ``keys``, and which of them were written after
        ``after`` (stale deletion walks this graph; see :mod:`ocean.load.deletion`)."""
        ...

    async def request_resync(self, integration: str) -> str:
        """Ask a polling integration to resync; returns the request's time (the watermark)."""
        ...

    async def resync_requested_at(self, integration: str) -> str | None:
        """When a resync of ``integration`` was last requested, if ever."""
        ...

    async def create_credentials(self, name: str) -> tuple[str, str]:
        """A new machine client id and secret (only the secret's hash is kept)."""
        ...

    async def save_integration(self, identifier: str, record: dict[str, Any]) -> None:
        """Keep an integration record (what the catalog server's ``/v1/integration`` serves)."""
        ...

    async def get_integration(self, identifier: str) -> dict[str, Any] | None: ...

    async def update_integration(
        self, identifier: str, change: Callable[[dict[str, Any] | None], dict[str, Any] | None]
    ) -> dict[str, Any] | None:
        """Read, change and keep an integration record in one transaction, so that two
        updates at once run one after the other rather than one undoing the other:
        ``change`` gets the stored record (None: there is none) and returns the record to
        keep (None: keep nothing new). Returns what ``change`` returned. ``change`` may run
        more than once, and in the catalog's own process (a module's function, or a
        :func:`functools.partial` of one, that pickle can carry)."""
        ...

    async def update_blueprint(
        self, identifier: str, patch: dict[str, Any]
    ) -> dict[str, Any] | None:
        """Merge top-level keys into a blueprint; None when it does not exist."""
        ...

    async def change_blueprint(
        self, identifier: str, change: Callable[[dict[str, Any]], dict[str, Any]]
    ) -> dict[str, Any] | None:
        """Read a blueprint and merge in the top-level keys ``change`` makes of it, in one
        transaction, so that a change made meanwhile by another writer is not undone (a
        property added is kept); None when it does not exist. ``change`` may run in the
        catalog's own process, as :meth:`update_integration`'s."""
        ...

    async def count_owned(self, owner: Owner) -> int:
        """How many entities ``owner`` owns."""
        ...

    async def delete_entities(
        self,
        keys: list[EntityKey],
        *,
        delete_dependents: bool = True,
        fence: Fence | None = None,
        written_before: str | None = None,
        causes: Causes | None = None,
    ) -> DeleteResult:
        """Delete entities (and, with ``delete_dependents``, every entity relating to them).
        With ``fence``, a catalog that keeps leases (:class:`LeasesResyncs`) deletes only
        while the fence's holder holds the lease, else raises
        :class:`~ocean.errors.LeaseLostError` having deleted nothing. With
        ``written_before`` (a :func:`now_iso` time; deletions without dependents only),
        those of ``keys`` written at it or after are kept, and what they relate to (a
        resync's stale entities that a live event wrote meanwhile). ``causes`` (with
        ``written_before``) names, for those of ``keys`` that a resync's cascade takes, what
        the cascade takes them for: such a key is kept (``spared``) when none of those,
        followed through other cascade entities, leads to a stale entity that goes, one
        neither written at that time or after nor related to by something written then
        (see :func:`~ocean.store.blocked.spared`)."""
        ...

    def iter_entities(self, blueprint: str | None = None) -> AsyncIterator[Entity]: ...

    async def count_entities(self) -> dict[str, int]:
        """Entity counts per blueprint."""
        ...

    async def record_run(self, run: RunRecord) -> int:
        """Record a run (or, with ``run.id``, update it); returns its id."""
        ...

    async def list_runs(self, limit: int = 20, integration: str | None = None) -> list[RunRecord]:
        """The ``limit`` latest runs (of ``integration`` only, if given), newest first."""
        ...

    async def last_completed_run(self, integration: str) -> RunRecord | None:
        """The newest full resync of ``integration`` that completed (None: none)."""
        ...

    async def get_run(self, run_id: int) -> RunRecord | None:
        """One run by its id (None when there is none)."""
        ...

    async def run_integrations(self) -> list[str]:
        """The identifiers of the integrations that have recorded runs, sorted."""
        ...


@runtime_checkable
class HoldsRules(Protocol):
    """A catalog that keeps the blueprint rules its writes were prepared by (SQLite,
    PostgreSQL): read again after a write that found them older, so that after a write
    they are those it was made under (or newer)."""

    def rules_held(self) -> Mapping[str, EntityRules]:
        """The rules last read, by blueprint (empty while they must be read again)."""
        ...


@runtime_checkable
class CreatesOnly(Protocol):
    """A catalog that creates entities only, deciding in the write's own transaction (under
    its lock) whether each exists (SQLite, PostgreSQL): of two writes creating one key at
    once, one creates it and the other fails, rather than both succeeding, the later over."""

    async def create_entities(
        self,
        entities: list[Entity],
        *,
        owner: Owner,
        merge: bool = False,
        only_changed: bool = False,
        create_missing_related: bool = True,
    ) -> list[WriteOutcome]:
        """As :meth:`Store.upsert_entities`, but an entity stored when the write reads it
        fails (:func:`already_exists`) and is left as it is (a key sent twice: the later
        copy over the earlier, as in an upsert)."""
        ...


@runtime_checkable
class UpdatesOnly(Protocol):
    """A catalog that updates stored entities only, deciding in the write's own transaction
    (under its lock) whether each exists (SQLite, PostgreSQL): an update racing a delete
    fails rather than making the entity again."""

    async def update_entities(
        self, entities: list[Entity], *, owner: Owner, merge: bool,
        create_missing_related: bool = True,
    ) -> list[WriteOutcome]:  # fmt: skip
        """As :meth:`Store.upsert_entities`, but an entity not stored when the write reads
        it fails (:func:`does_not_exist`) and is not made."""
        ...


@dataclass(frozen=True)
class PageRecord:
    """A raw page a resync synced cleanly: its digest, the entities it produced with the
    versions it left them at, its mapping counts and the fields that came out null in it
    (path -> JQ text), reported again when the page is skipped."""

    digest: bytes
    keys: list[EntityKey]
    versions: list[int]
    counts: dict[str, int]
    misconfigured: dict[str, str] = field(default_factory=dict)


@runtime_checkable
class RemembersPages(Protocol):
    """A catalog that keeps page records between resyncs (SQLite, PostgreSQL, and Ocean's
    catalog server through its client), so that an unchanged page is not mapped again
    (see :mod:`ocean.load.page_memo`)."""

    def remembers_pages(self) -> bool:
        """Whether it keeps them (a Port API client: only when Ocean's server answers)."""
        ...

    async def recall_pages(self, owner: Owner, slot: str, fingerprint: str) -> list[PageRecord]:
        """The records ``owner`` kept of ``slot`` under ``fingerprint`` whose entities are
        still at the versions recorded (nobody has written or deleted them since)."""
        ...

    async def remember_pages(
        self, owner: Owner, slot: str, fingerprint: str, records: list[PageRecord]
    ) -> None:
        """Replace the records of ``slot`` with ``records``."""
        ...


@runtime_checkable
class RechecksOwnership(Protocol):
    """A catalog that answers cheaply which of a few keys an owner still owns (SQLite,
    PostgreSQL): a resync then reads the whole ownership while its kinds run, and checks
    again only the keys it did not produce."""

    async def owned_among(
        self, owner: Owner, keys: list[EntityKey], *, before: str | None = None
    ) -> set[EntityKey]:
        """Which of ``keys`` ``owner`` owns, optionally only those not updated after ``before``."""
        ...


@runtime_checkable
class RemovesIntegrations(Protocol):
    """A catalog whose integration records can be deleted (SQLite, PostgreSQL)."""

    async def delete_integration(self, identifier: str) -> bool:
        """Delete the integration's record and its incremental-sync cursors, in one
        transaction; whether it had a record."""
        ...


@runtime_checkable
class KeepsCursors(Protocol):
    """A catalog that keeps incremental-sync cursors, one per integration, kind and
    resource index (SQLite, PostgreSQL, and the Port API's cursor routes): where the next
    incremental run of that kind starts (see :mod:`ocean.incremental`)."""

    async def get_cursor(self, integration: str, kind: str, index: int) -> str | None:
        """The stored cursor (an ISO-8601 time), or None before the first incremental run."""
        ...

    async def save_cursor(self, integration: str, kind: str, index: int, value: str) -> None:
        """Store ``value`` as the cursor (after that kind's incremental run finished cleanly)."""
        ...


@runtime_checkable
class StopsBetweenCalls(Protocol):
    """A catalog whose call, cancelled, stops between the requests it is made of and leaves
    the rest unsent (a Port API: a deletion is one request after another): a stopped resync
    need not wait for it, as it waits for a catalog that runs a call to its end."""

    def stops_between_calls(self) -> bool: ...


@runtime_checkable
class KnowsOrganization(Protocol):
    """A catalog that belongs to an organization it describes (a Port API: ``GET
    /v1/organization``); an embedded catalog is its own (see :mod:`ocean.installation`)."""

    async def organization(self) -> dict[str, Any]:
        """``{id, name, featureFlags}``."""
        ...


@runtime_checkable
class InstallsIntegrations(Protocol):
    """A catalog that keeps integration records (a Port API): the runner installs its
    integration there on start."""

    async def register_integration(
        self,
        owner: Owner,
        *,
        changelog_destination: dict[str, Any] | None,
        config: dict[str, Any],
        features: dict[str, bool] | None = None,
    ) -> dict[str, Any]:
        """Install the integration (``config``: its mapping; ``features``: the record's
        flags such as ``incrementalSyncEnabled``) or bring its record up to date; the
        record as the catalog holds it."""

    async def patch_integration(self, identifier: str, change: dict[str, Any]) -> dict[str, Any]:
        """Change fields of the integration's record; the record after."""

    async def get_integration(self, identifier: str) -> dict[str, Any] | None:
        """The integration's record (its ``config``: the mapping of record); None if not
        installed."""
