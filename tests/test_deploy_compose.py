"""deploy/compose.yaml (no Docker engine runs here): it parses, runs N replicas of one
image against one PostgreSQL catalog and one Redis queue, and sets only settings Ocean has."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import msgspec
import yaml

from ocean.config.settings import Settings, load_settings

ROOT = Path(__file__).resolve().parents[1]
COMPOSE = ROOT / "deploy" / "compose.yaml"


def _compose() -> dict[str, Any]:
    loaded = yaml.safe_load(COMPOSE.read_text())
    assert isinstance(loaded, dict)
    return loaded


def _substituted(value: str) -> str:
    """``${NAME:-default}`` as compose reads it with NAME unset."""
    return re.sub(r"\$\{\w+:-([^}]*)\}", r"\1", value)


def _known(path: list[str], kind: type[msgspec.Struct] = Settings) -> bool:
    fields = {info.name: info.type for info in msgspec.structs.fields(kind)}
    head, *rest = path
    if head not in fields:
        return False
    if not rest:
        return True
    inner = fields[head]
    return isinstance(inner, type) and issubclass(inner, msgspec.Struct) and _known(rest, inner)


def test_replicas_of_one_image_share_one_catalog_and_one_queue() -> None:
    services = _compose()["services"]
    ocean = services["ocean"]

    assert ocean["deploy"]["replicas"] >= 2
    build = ocean["build"]
    assert (COMPOSE.parent / build["context"] / build["dockerfile"]).is_file()
    environment = ocean["environment"]
    assert environment["OCEAN__CATALOG__URL"].startswith("postgresql://")
    assert environment["OCEAN__LIVE_EVENTS__QUEUE_URL"].startswith("redis://")
    assert environment["OCEAN__INTEGRATION__IDENTIFIER"]  # the same for every replica
    assert "OCEAN__LIVE_EVENTS__CONSUMER" not in environment  # each its host name
    for needed in ("postgres", "redis"):
        assert ocean["depends_on"][needed]["condition"] == "service_healthy"
        assert "healthcheck" in services[needed]
    assert services["kafka"]["profiles"] == ["kafka"]
    assert ocean["depends_on"]["kafka"]["required"] is False
    (ports,) = ocean["ports"]
    assert re.fullmatch(r"(\d+)-(\d+):8000", ports)  # one host port per replica
    low, high = (int(n) for n in ports.split(":")[0].split("-"))
    assert high - low + 1 == ocean["deploy"]["replicas"]


def test_every_setting_it_sets_is_one_ocean_reads() -> None:
    environment = {
        name: _substituted(str(value))
        for name, value in _compose()["services"]["ocean"]["environment"].items()
    }

    for name in environment:
        path = name.removeprefix("OCEAN__").lower().split("__")
        read_apart = name == "OCEAN__LOG_LEVEL" or path[:2] == ["integration", "config"]
        assert read_apart or _known(path), name
    settings = load_settings(environ=environment, from_file={}, overrides={})
    assert settings.event_listener.type == "POLLING"
    assert settings.catalog.url == environment["OCEAN__CATALOG__URL"]
    assert settings.live_events.queue_url == "redis://redis:6379/0"
    assert settings.event_listener.kafka_security_enabled is False
