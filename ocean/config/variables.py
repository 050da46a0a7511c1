"""``OCEAN__*`` variables (and config.yaml keys) that set nothing, named at start with the
name likely meant.

A variable naming no setting is ignored, as the original ignores it, so a misspelling
(``OCEAN__EVENT_LISTNER__TYPE``) would go unnoticed. ``OCEAN__INTEGRATION__CONFIG__X`` is
different: main.py may read keys the spec does not declare (the original passes them
through), so only a near miss of a declared field (``PAGESIZE`` for ``pageSize``) is named.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

import msgspec
from msgspec import Struct

from ocean.config.naming import snake_case
from ocean.config.settings import Settings

_PREFIX = "OCEAN__"
_ORIGINAL_ONLY = frozenset(
    {
        *(
            "create_port_resources_origin oauth_access_token_file_path "
            "path_prefix events_debug_logging runtime metrics caching_storage_mode "
            "upsert_entities_batch_max_length upsert_entities_batch_max_size_in_bytes "
            "lakehouse_enabled disable_ip_outbound_blocker lakehouse_buffer_interval_seconds "
            "lakehouse_buffer_max_count processing_mode yield_items_to_parse_batch_size "
            "process_in_queue_timeout process_in_queue_max_workers "
            "delete_entities_max_batch_size streaming ssl process_execution_mode"
        ).split(),
        "port.port_app_config_cache_ttl",
        "port.feature_flags_cache_ttl_seconds",
        "port.blueprint_cache_ttl_seconds",
        "event_listener.should_resync",
        "event_listener.should_process_webhooks",
        "event_listener.should_run_actions",
        "live_events.type",
        "live_events.is_redis_stream_consumer_enabled",
        "live_events.redis",
        "log_level",  # read by the log's set-up (ocean.monitor.logs)
    }
)
"""Settings of the original's that Ocean does without (a Helm chart of the original's sets
some of them), and the variables Ocean reads outside its settings: no warning."""


def unknown_variables(environ: Mapping[str, str], spec_fields: Iterable[str]) -> list[str]:
    """One sentence per ``OCEAN__*`` variable of ``environ`` that sets nothing: it names
    no setting, or is ``OCEAN__INTEGRATION__CONFIG__X`` for an ``X`` close to one of
    ``spec_fields`` (the spec's field names) without being it."""
    fields = {snake_case(name): name for name in spec_fields}
    found = []
    for name in sorted(environ):
        if not name.upper().startswith(_PREFIX):
            continue
        path = name[len(_PREFIX) :].lower().split("__")
        if path[:2] == ["integration", "config"]:
            problem = _config_problem(path[2:], fields)
        else:
            problem = _setting_problem(path)
        if problem:
            found.append(f"{name} {problem}")
    return found


def unknown_file_keys(values: Mapping[str, Any], spec_fields: Iterable[str]) -> list[str]:
    """One sentence per key of config.yaml that sets nothing and likely misspells one that
    does (``eventListner``: did you mean ``eventListener``?). Keys that match nothing
    close are left alone: the original's config.yaml holds keys Ocean does without."""
    fields = {snake_case(name): name for name in spec_fields}
    return list(_file_problems(values, Settings, [], fields))


def _file_problems(
    values: Mapping[str, Any], kind: Any, where: list[str], fields: dict[str, str]
) -> Iterator[str]:
    types = {f.name: f.type for f in msgspec.structs.fields(kind)}
    for key, value in values.items():
        name = snake_case(str(key))
        at = [*where, _camel(name)]  # (as the file writes it: its keys may come snake-cased)
        if name not in types:
            dotted = ".".join([*(snake_case(part) for part in where), name])
            meant = None if dotted in _ORIGINAL_ONLY else _closest(name, list(types), cutoff=0.7)
            if meant is not None:
                yield (f"config.yaml's {'.'.join(at)!r} sets nothing and is ignored; did you "
                       f"mean {_camel(meant)!r}?")  # fmt: skip
            continue
        inner = types[name]
        if (
            [snake_case(part) for part in where] == ["integration"]
            and name == "config"
            and (isinstance(value, dict))
        ):
            yield from _spec_key_problems(value, fields)
        elif isinstance(inner, type) and issubclass(inner, Struct) and isinstance(value, dict):
            yield from _file_problems(value, inner, at, fields)


def _spec_key_problems(values: Mapping[str, Any], fields: dict[str, str]) -> Iterator[str]:
    for key in values:
        name = snake_case(str(key))
        meant = None if name in fields else _closest(name, list(fields), cutoff=0.8)
        if meant is not None:
            yield (f"config.yaml's 'integration.config.{_camel(name)}' is not in "
                   f".port/spec.yaml; did you mean {fields[meant]!r}?")  # fmt: skip


def _camel(name: str) -> str:
    first, *rest = name.split("_")
    return first + "".join(part.title() for part in rest)


def _setting_problem(path: list[str]) -> str | None:
    kind: Any = Settings
    for depth, part in enumerate(path):
        if not (isinstance(kind, type) and issubclass(kind, Struct)):
            return f"sets nothing: OCEAN__{'__'.join(path[:depth]).upper()} has no keys"
        types = {f.name: f.type for f in msgspec.structs.fields(kind)}
        if part not in types:
            if ".".join(path[: depth + 1]) in _ORIGINAL_ONLY:
                return None
            meant = _closest(part, list(types), cutoff=0.7)
            if meant is None:
                return "matches no setting and is ignored"
            corrected = "__".join([*path[:depth], meant, *path[depth + 1 :]]).upper()
            return f"matches no setting and is ignored; did you mean {_PREFIX}{corrected}?"
        kind = types[part]
    return None


def _config_problem(path: list[str], fields: dict[str, str]) -> str | None:
    if not path or path[0] in fields:
        return None
    meant = _closest(path[0], list(fields), cutoff=0.8)
    if meant is None:
        return None  # a key of main.py's own
    corrected = "__".join([meant, *path[1:]]).upper()
    return (
        f"sets {path[0]!r}, which .port/spec.yaml does not declare; did you mean "
        f"{_PREFIX}INTEGRATION__CONFIG__{corrected} ({fields[meant]})?"
    )


def _closest(name: str, names: list[str], *, cutoff: float) -> str | None:
    """The one of ``names`` that ``name`` likely misspells: the same letters without
    underscores, else the closest above ``cutoff``."""
    bare = name.replace("_", "")
    same = [known for known in names if known.replace("_", "") == bare]
    if same:
        return same[0]
    close = difflib.get_close_matches(name, names, n=1, cutoff=cutoff)
    return close[0] if close else None
