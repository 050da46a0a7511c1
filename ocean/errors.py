"""Every error Ocean raises, by stage. Each message says what happened and what to do.

OceanError
 ├── ConfigError              fatal: fix the settings, spec.yaml or config.yaml
 │    └── MissingExtraError   a setting needs a library that an extra installs
 ├── IntegrationLoadError     fatal: the integration folder cannot be loaded
 ├── MappingError             fatal: the mapping (port-app-config) is invalid
 ├── ExtractError             per kind: a handler raised or yielded bad data
 │    ├── KindNotImplementedError
 │    └── RawDataError
 ├── StoreError               the catalog could not be read or written
 │    ├── CatalogUnavailableError  the catalog's database cannot be reached (for now; 503)
 │    ├── QueueUnavailableError  the live-event queue cannot be reached (for now)
 │    ├── RequestError        a request to the catalog server is malformed (422)
 │    │    └── RequestTooLargeError  a body or entity count over the route's limit (413)
 │    ├── NotFoundError       a blueprint or entity a request names does not exist (404)
 │    └── ConflictError       a request conflicts with what the catalog holds (409)
 ├── ResyncLeaseError         another resync of the same integration holds its lease
 │    ├── LeaseHeldError      refused: it was held when this resync wanted to start
 │    └── LeaseLostError      aborted: another took it while this resync ran
 ├── ResyncAbortedError       aborted: the integration stopped its own resync
 ├── CredentialError          a catalog credential named does not exist or cannot change so
 └── AccessError              the catalog server refused a request for its credential
      ├── ForbiddenError      the credential's role or integration does not allow it (403)
      └── RateLimitedError    too many failed token requests; retry later (429)
"""

from __future__ import annotations


class OceanError(Exception):
    """Root of every error Ocean raises on purpose."""


class ConfigError(OceanError):
    """Settings, spec.yaml or config.yaml are wrong or incomplete."""


class MissingExtraError(ConfigError):
    """What the settings ask for needs a library that is not installed: the message names
    the ``pip install 'ocean-sync[EXTRA]'`` that brings it."""


class IntegrationLoadError(OceanError):
    """The integration folder is missing a file or its main.py cannot be imported."""


class MappingError(OceanError):
    """The mapping does not validate or one of its JQ expressions does not compile."""


class ExtractError(OceanError):
    """A kind's handlers failed; its entities are kept and nothing of it is deleted."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(f"kind {kind!r}: {message}")
        self.kind = kind


class KindNotImplementedError(ExtractError):
    """The mapping names a kind no handler is registered for."""

    def __init__(self, kind: str, known: list[str]) -> None:
        super().__init__(
            kind,
            f"no @on_resync handler is registered for it; registered kinds: {sorted(known)}. "
            "Add a handler for it in main.py or remove it from the mapping.",
        )


class RawDataError(ExtractError):
    """A handler returned or yielded something other than a list of dicts."""


class StoreError(OceanError):
    """The catalog store failed or was given something it cannot hold."""


class NewerSchemaError(StoreError):
    """The catalog was migrated by a newer Ocean than this one: it is refused before
    anything is read or written, as this version's writes may break what the newer one
    keeps (a rolling upgrade: stop the older processes, or upgrade them first)."""

    def __init__(self, version: int, known: int) -> None:
        super().__init__(
            f"the catalog's schema is at version {version}, and this Ocean knows versions up "
            f"to {known}: a newer Ocean migrated it. Upgrade this Ocean (pip install -U "
            "ocean-sync) before it uses the catalog."
        )
        self.version, self.known = version, known

    def __reduce__(self) -> tuple[type[NewerSchemaError], tuple[int, int]]:
        return type(self), (self.version, self.known)  # crosses from the catalog's process


class QueueUnavailableError(StoreError):
    """The live-event queue cannot be reached or refuses writes (Redis down, restarting or
    out of memory): events are refused with 503 and the workers wait until it is back."""


class CatalogUnavailableError(StoreError):
    """The catalog's database cannot be reached or does not answer (PostgreSQL down,
    restarting or out of connections; the embedded catalog's process gone, or its file
    held by another writer past the busy timeout): no request is at fault, so the catalog
    server answers 503 with ``Retry-After`` and does not retry a failed group of writes
    one request at a time (as :class:`~ocean.errors.QueueUnavailableError` for the queue)."""


class RequestError(StoreError):
    """A request to the catalog server is malformed: the message names the field, what it
    holds and what is expected (answered 422 with that message)."""


class RequestTooLargeError(RequestError):
    """A request body, or its number of entities, is over the route's limit (answered 413):
    the message names the limit and how to stay under it."""


class NotFoundError(StoreError):
    """A blueprint or entity a request names does not exist (answered 404 ``not_found``):
    the message names it."""


class ConflictError(StoreError):
    """A request conflicts with what the catalog holds (answered 409): an entity created
    twice, a blueprint deleted while it has entities; the message says what to do instead."""


class CredentialError(OceanError):
    """A catalog server credential named by a command does not exist, or cannot take the
    change asked (a revoked one rotated, an integration role without its integration)."""


class AccessError(OceanError):
    """The catalog server refused a request because of the credential it carries."""


class ForbiddenError(AccessError):
    """The credential's role, or the integration it is bound to, does not allow the request
    (answered 403): the message names what it may do, the owner of what it tried to
    change, and which credential would be allowed."""


class RateLimitedError(AccessError):
    """Too many failed token requests for a client id or from an address (answered 429
    with ``Retry-After``): retry after ``retry_after`` seconds."""

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class ResyncLeaseError(OceanError):
    """One resync of an integration runs at a time per catalog (see
    :mod:`ocean.resync_lease`); this one could not hold the lease."""


class LeaseHeldError(ResyncLeaseError):
    """Another process holds the integration's resync lease: nothing was written."""

    def __init__(self, message: str, held_since: str | None) -> None:
        super().__init__(message)
        self.held_since = held_since
        """When the holder that refused it took the lease: a resync that took it later
        started after the refusal (see :class:`~ocean.resync_lease.Standby`)."""


class LeaseLostError(ResyncLeaseError):
    """The lease could not be renewed (another took it after it expired, or the catalog
    did not answer in time): the resync stopped writing, recorded ``aborted``."""

    held_since: str | None = None
    """When the lost resync took the lease: a resync that took it later started after it."""


class ResyncAbortedError(OceanError):
    """The integration aborted the resync under way (the compatibility layer's
    ``event.abort()``): it stopped at its next await, recorded ``aborted``; what it wrote
    stays, and nothing more is deleted (an abort during its deletions stops them there)."""


class ActionError(OceanError):
    """A self-service action or one of its runs cannot be used as asked (see
    :mod:`ocean.actions`): the message names the action or run and what to do."""

    def __init__(self, message: str, status: int = 422) -> None:
        super().__init__(message)
        self.status = status
        """How the catalog server answers it: 403 (the credential may not touch these
        runs), 404 (no such action or run), 409 (the run was acknowledged or ended already),
        422 (a malformed request)."""

    def __reduce__(self) -> tuple[type[ActionError], tuple[str, int]]:
        return type(self), (str(self), self.status)  # the status survives a child process


class RunAlreadyAcknowledgedError(ActionError):
    """Another runner acknowledged the action run first (answered 409): this one must not
    execute it."""

    def __init__(self, message: str, status: int = 409) -> None:
        super().__init__(message, status)


class ActionFailedError(OceanError):
    """Raised by an executor for an expected failure of its action (bad input, a refusal
    upstream): the run ends ``FAILURE`` with this message as its last log line, and no
    traceback is logged. ``status_label`` (two words at most: Port shows it as a label on
    the run) says which step failed; without one, a subclass's ``DEFAULT_STATUS_LABEL``,
    else the execution manager's ``Execution failed``."""

    DEFAULT_STATUS_LABEL: str | None = None

    def __init__(self, message: str, status_label: str | None = None) -> None:
        super().__init__(message)
        self.status_label = status_label or self.DEFAULT_STATUS_LABEL

    def __reduce__(self) -> tuple[type[ActionFailedError], tuple[str, str | None]]:
        return type(self), (str(self), self.status_label)  # the label survives a child process
