"""Ocean's own settings: ``OCEAN__*`` environment variables over ``config.yaml``, as the original.

msgspec structs, converted leniently: an environment variable's ``"60"`` is a number and
``"false"`` a boolean; unknown keys are ignored (config.yaml carries the original's too).
"""

from __future__ import annotations

import json
import os
import typing
from collections.abc import Mapping
from types import UnionType
from typing import Annotated, Any

import msgspec
from msgspec import Meta, Struct, field

from ocean.config.naming import snake_case
from ocean.config.problems import located
from ocean.errors import ConfigError
from ocean.masked_url import passwords

DEFAULT_CATALOG = "sqlite:///.ocean/catalog.db"
BOOLEAN_WORDS = {"true": True, "t": True, "1": True, "yes": True, "y": True, "on": True}
BOOLEAN_WORDS |= {"false": False, "f": False, "0": False, "no": False, "n": False, "off": False}
"""How a boolean may be spelled in the environment or config.yaml, as the original reads it
(pydantic v1's words, in any case)."""


class _Section(Struct, kw_only=True):
    pass


class IntegrationSettings(_Section):
    identifier: str | None = None
    type: str | None = None
    config: dict[str, Any] = field(default_factory=dict)
    incremental_sync_enabled: bool = False
    """``ocean sail --once`` runs an incremental sync instead of a full resync (as the
    original's incremental cron job), and a long-running sail runs one every interval."""
    incremental_sync_interval: str = "15"
    """Minutes between incremental syncs (``15``, ``15m``, ``1h``); a kind with no cursor yet
    fetches changes since this long ago."""

    def incremental_minutes(self) -> int:
        """:attr:`incremental_sync_interval` in minutes."""
        text = str(self.incremental_sync_interval).strip().lower() or "15"  # (an unset Helm value)
        unit = {"m": 1, "h": 60, "d": 1440}.get(text[-1:], 0)
        number = text[:-1] if unit else text
        if not number.isdigit() or int(number) < 1:
            raise ConfigError(
                f"OCEAN__INTEGRATION__INCREMENTAL_SYNC_INTERVAL is {self.incremental_sync_interval!r}: "
                "give whole minutes (15), or minutes, hours or days with a unit (15m, 1h, 1d)"
            )
        return int(number) * (unit or 1)


class EventListenerSettings(_Section):
    type: str = "POLLING"
    interval: float = 60
    token: str | None = None
    """Bearer token for the integration's POST /resync (the WEBHOOK trigger)."""
    resync_on_start: bool = True
    app_host: str | None = None
    """WEBHOOK: this integration's public URL; Port is told to POST ``{app_host}/resync``."""
    # KAFKA (the original's names and defaults, except where noted)
    brokers: str = "localhost:9092"
    """Comma-separated host:port list, or a JSON array (the original: Port's brokers)."""
    security_protocol: str = "SASL_SSL"
    authentication_mechanism: str = "SCRAM-SHA-512"
    kafka_security_enabled: bool = True
    consumer_poll_timeout: float = 1
    username: str | None = None
    password: str | None = None
    """SASL credentials; by default asked from the Port API (``/v1/kafka-credentials``)."""
    org_id: str | None = None
    """Names the topic and group; by default the Port API's organization id."""
    session_timeout_ms: int = 45_000


class CatalogSettings(_Section):
    url: str | None = None
    feature_flags: list[str] = field(default_factory=list)
    """The organization's feature flags as the embedded catalog and Ocean's catalog server
    answer them (``GET /v1/organization``, ``get_organization_feature_flags()``), a JSON
    array: ``OCEAN__CATALOG__FEATURE_FLAGS='["AWS_V3_LIVE_EVENTS_ENABLED"]'``; default none.
    Port answers its own."""
    audit_retention_days: Annotated[float, Meta(ge=0)] = 90
    """How long ``ocean catalog serve`` keeps its audit log's entries, in days (older ones
    are deleted within the hour); 0 keeps them all."""


class LiveEventsSettings(_Section):
    queue_url: str | None = None
    """Where live events wait: ``sqlite:///PATH`` or ``redis://HOST:PORT/DB``; by default
    a file beside the embedded catalog (``.ocean/live-events.db`` for another catalog)."""
    max_body_bytes: Annotated[int, Meta(ge=1)] = 10 * 1024 * 1024
    consumer: str | None = None
    """This replica's name in the Redis consumer group (default: the host name, or the host
    name and the process id when another process on the host holds it)."""
    retry_max_seconds: Annotated[float, Meta(gt=0)] = 10.0
    """While the queue is unreachable the workers retry with exponential backoff up to this
    wait; the route's 503 answers ``Retry-After`` with it (rounded up, at least 1).
    A catalog write that fails is made again with the same backoff."""
    write_patience_seconds: Annotated[float, Meta(ge=0)] = 60.0
    """How long an event's catalog write is made again while the catalog fails, before the
    event is buried in the dead-letter list (``ocean events retry`` revives it)."""
    acceptors: Annotated[int, Meta(ge=0)] = 0
    """Extra processes that accept live events on the integration's port (checks,
    signature, queue insert), leaving this process to apply them; 0: it does both."""


class PortSettings(_Section):
    """The original's ``port:`` section: a Port API and its machine credentials."""

    base_url: str | None = None
    client_id: str | None = None
    client_secret: str | None = None


class ActionsProcessorSettings(_Section):
    """``OCEAN__ACTIONS_PROCESSOR__*``, the original's names (see ``ocean.actions.manager``):
    under ACTIONS_ONLY the integration's executors always run; under another long-running
    listener they run alongside resyncs when ``enabled``."""

    enabled: bool = False
    runs_buffer_high_watermark: Annotated[int, Meta(ge=1, le=1000)] = 300
    visibility_timeout_ms: Annotated[int, Meta(ge=1, le=600_000)] = 60_000
    poll_check_interval_seconds: Annotated[float, Meta(gt=0)] = 10.0
    workers_count: Annotated[int, Meta(ge=1)] = 3
    max_runs_buffer_util_pct_per_action: Annotated[int, Meta(ge=1, le=100)] | None = 30


class Settings(_Section):
    """The settings ``ocean sail`` runs with; read once, passed down explicitly."""

    integration: IntegrationSettings = field(default_factory=IntegrationSettings)
    event_listener: EventListenerSettings = field(default_factory=EventListenerSettings)
    catalog: CatalogSettings = field(default_factory=CatalogSettings)
    port: PortSettings = field(default_factory=PortSettings)
    base_url: str | None = None
    """This integration's public URL, for the webhooks integrations create (``ocean.app.base_url``
    in the original's API)."""
    allow_environment_variables_jq_access: bool = True
    max_concurrent_kinds: Annotated[int, Meta(ge=1)] = 1
    """Resources synced at the same time (the original: one after another)."""
    scheduled_resync_interval: float | None = None
    """Minutes between scheduled resyncs on top of the listener (None: no schedule)."""
    transform_workers: Annotated[int, Meta(ge=0)] = field(
        default_factory=lambda: os.cpu_count() or 1
    )
    """Processes that map jq-heavy batches (0 or 1: map in-process)."""
    skip_unchanged_pages: bool = True
    """Skip raw pages the last resync synced cleanly when they and their entities are
    unchanged (the embedded and PostgreSQL catalogs; see ``ocean.load.page_memo``)."""
    resources_path: str = ".port/resources"
    client_timeout: Annotated[int, Meta(gt=0)] = 60
    """Seconds the integration's third-party client (``http_async_client``) waits for an
    answer, as the original's ``OCEAN__CLIENT_TIMEOUT``; ``ocean.config.client_timeout``."""
    send_raw_data_examples: bool = True
    """Against a Port API: give its mapping editor each kind's first raw items, masked, with
    every resync (``ocean.extract.examples``)."""
    status_heartbeat_interval_seconds: Annotated[float, Meta(gt=0)] = 10.0
    """Against a Port API that takes sync metrics: seconds between the heartbeats a running
    resync sends it (``ocean.monitor.port_sync_metrics``)."""
    enable_http_logging: bool = True
    """Against a Port API whose integration record names ``logAttributes.ingestUrl``: ship
    the log there, as the original's ``enable_http_logging`` (``ocean.monitor.port_logs``)."""
    initialize_port_resources: bool = True
    """Against a Port API: create the folder's blueprints when the integration is first
    set up there (not once it is: blueprints are then Port's to edit); false, never."""
    live_events: LiveEventsSettings = field(default_factory=LiveEventsSettings)
    event_workers_count: Annotated[int, Meta(ge=1)] = 4
    """Live events applied at once (in order per resource key; the original: 1)."""
    max_event_processing_seconds: Annotated[float, Meta(gt=0)] = 90.0
    resync_lease_seconds: Annotated[float, Meta(ge=1)] = 30.0
    """How long a resync's lease on its integration lasts unless renewed (it is renewed every
    third of it): a holder killed without releasing it blocks others at most this long."""
    resync_lease_wait_seconds: Annotated[float, Meta(ge=0)] = 0.0
    """How long ``ocean sail --once`` waits for a resync of the same integration that holds
    the lease to end before refusing (0: refuse at once)."""
    actions_processor: ActionsProcessorSettings = field(default_factory=ActionsProcessorSettings)
    max_wait_seconds_before_shutdown: Annotated[float, Meta(ge=0)] = 30.0
    """How long running action runs may take to end when the integration stops."""

    def secrets(self) -> list[str]:
        """The credentials among the settings, kept out of the log and the resync report."""
        port, listener = self.port, self.event_listener
        given = (port.client_id, port.client_secret, listener.token, listener.password)
        urls = (self.catalog.url or "", self.live_events.queue_url or "")
        return [value for value in given if value] + [p for url in urls for p in passwords(url)]


def load_settings(
    *, environ: Mapping[str, str], from_file: Mapping[str, Any], overrides: Mapping[str, Any]
) -> Settings:
    """Merge config.yaml < environment < command-line overrides and validate."""
    merged = deep_merge(deep_merge(dict(from_file), environ_settings(environ)), dict(overrides))
    try:
        return msgspec.convert(_lenient(merged, Settings), Settings, strict=False)
    except msgspec.ValidationError as error:
        name, message = located(error)
        if not name:
            raise ConfigError(f"invalid Ocean settings: {message}") from None
        variable = f"OCEAN__{name.upper().replace('.', '__')}"
        where = f"as {variable}"
        if _is_structured(_type_at(name.split("."))):
            where = f"as JSON in {variable}, or key by key as {variable}__KEY"
        raise ConfigError(
            f"invalid Ocean settings: {name}: {message} (set it in config.yaml or {where})"
        ) from None


def _lenient(data: dict[str, Any], kind: type[Struct]) -> dict[str, Any]:
    """``data`` as the original's pydantic reads it: a boolean setting spelled as a word
    (``yes``, ``off``) a boolean, a number given for a text setting (config.yaml's
    ``incrementalSyncInterval: 30``) its text, and the spaces around a number's text
    (a trailing newline) and its plus sign dropped."""
    fixed = dict(data)
    for info in msgspec.structs.fields(kind):
        value, base = fixed.get(info.name), _plain(info.type)
        if base is bool and isinstance(value, str):
            fixed[info.name] = BOOLEAN_WORDS.get(value.strip().lower(), value)
        elif base in (int, float) and isinstance(value, str):
            fixed[info.name] = _unsigned(value.strip())  # int("+50"), as pydantic
        elif base is str and isinstance(value, int | float) and not isinstance(value, bool):
            fixed[info.name] = str(value)
        elif isinstance(value, dict) and isinstance(base, type) and issubclass(base, Struct):
            fixed[info.name] = _lenient(value, base)
    return fixed


def _unsigned(text: str) -> str:
    """A number's text without its plus sign (``+50``; ``+-5`` stays, and is refused)."""
    return text[1:] if text[:1] == "+" and text[1:2].isdigit() else text


def _plain(kind: Any) -> Any:
    """``kind`` without its constraints (``Annotated``) and without ``| None``."""
    if typing.get_origin(kind) is Annotated:
        return _plain(typing.get_args(kind)[0])
    if isinstance(kind, UnionType):
        others = [arg for arg in typing.get_args(kind) if arg is not type(None)]
        return _plain(others[0]) if len(others) == 1 else kind
    return kind


def environ_settings(environ: Mapping[str, str]) -> dict[str, Any]:
    """The ``OCEAN__*`` variables as nested settings, as the original reads them: ``A__B``
    is key ``b`` of section ``a``; a variable naming a section, or another object or array
    setting (``OCEAN__EVENT_LISTENER``, ``OCEAN__INTEGRATION__CONFIG``), holds JSON; a
    nested variable wins over the same key of its section's JSON."""
    found: list[tuple[list[str], Any]] = []
    for name, text in environ.items():
        if not name.upper().startswith("OCEAN__"):
            continue
        path = name[len("OCEAN__") :].lower().split("__")
        if not _is_structured(_type_at(path)):
            found.append((path, text))
        elif text.strip():  # an empty one (an unset Helm value) sets nothing
            found.append((path, settings_keys(_json_of(name, text), _type_at(path))))
    nested: dict[str, Any] = {}
    for path, value in sorted(found, key=lambda item: len(item[0])):  # sections first
        for part in reversed(path):
            value = {part: value}
        nested = deep_merge(nested, value)
    return nested


def _json_of(name: str, text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError as error:
        raise ConfigError(
            f"{name} is not valid JSON ({error}): give it a JSON object such as "
            f'{name}=\'{{"key": "value"}}\', or set its keys one by one as {name}__KEY'
        ) from None


def settings_keys(value: Any, kind: Any = None) -> Any:
    """``value`` (a setting of type ``kind``) with the names the settings know snake_cased,
    as the original's ``decamelize_config``: every key of a section (``kind`` a struct, or
    None for a section Ocean does not have), only the top-level names of an object setting
    (``integration.config``); what those hold, and any other value, is kept as written."""
    if not isinstance(value, dict):
        return value
    if typing.get_origin(kind) is dict or kind is dict:
        return {snake_case(str(key)): item for key, item in value.items()}
    if kind is not None and not (isinstance(kind, type) and issubclass(kind, Struct)):
        return value
    types = {f.name: f.type for f in msgspec.structs.fields(kind)} if kind else {}
    named = ((snake_case(str(key)), item) for key, item in value.items())
    return {name: settings_keys(item, types.get(name)) for name, item in named}


def _type_at(path: list[str]) -> Any:
    """The type of the setting at ``path`` (None where the settings do not say)."""
    kind: Any = Settings
    for part in path:
        if not (isinstance(kind, type) and issubclass(kind, Struct)):
            return None
        kind = next((f.type for f in msgspec.structs.fields(kind) if f.name == part), None)
    return kind


def _is_structured(kind: Any) -> bool:
    """Whether a setting of type ``kind`` holds an object or an array (a section included)."""
    if isinstance(kind, type):
        return issubclass(kind, Struct | dict | list)
    return typing.get_origin(kind) in (dict, list)


def deep_merge(base: dict[str, Any], top: dict[str, Any]) -> dict[str, Any]:
    """``top`` over ``base``: objects merged key by key, anything else replaced."""
    merged = dict(base)
    for key, value in top.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged
