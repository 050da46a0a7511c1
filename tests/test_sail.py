"""Which catalog a run writes to: ``--catalog`` first, then a ``port:`` section with
credentials (the original's ``config.yaml``), then the embedded catalog."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from ocean.sail import DEFAULT_CATALOG, prepare

MAIN = """
from ocean import Integration

ocean = Integration()

@ocean.on_resync("thing")
async def things(kind):
    return []
"""
PORT_SECTION = """
port:
  clientId: "{{ from env PORT_CLIENT_ID }}"
  clientSecret: "{{ from env PORT_CLIENT_SECRET }}"
  baseUrl: "{{ from env PORT_BASE_URL }}"
"""
PORT = {"PORT_BASE_URL": "http://127.0.0.1:9", "PORT_CLIENT_ID": "id"}


@pytest.mark.parametrize(
    ("environ", "overrides", "catalog", "credentials"),
    [
        (PORT | {"PORT_CLIENT_SECRET": "s"}, {"catalog": {"url": "sqlite:///c.db"}},
         "sqlite:///c.db", ("id", "s")),
        (PORT | {"PORT_CLIENT_SECRET": "s", "OCEAN__CATALOG__URL": "sqlite:///e.db"}, {},
         "sqlite:///e.db", ("id", "s")),
        (PORT | {"PORT_CLIENT_SECRET": "s"}, {}, "http://127.0.0.1:9", ("id", "s")),
        (PORT, {}, DEFAULT_CATALOG, None),
    ],
    ids=["--catalog", "environment", "port-section", "port-section-without-secret"],
)  # fmt: skip
def test_the_catalog_named_on_the_command_line_wins_over_the_port_section(
    tmp_path: Path,
    environ: dict[str, str],
    overrides: dict[str, Any],
    catalog: str,
    credentials: tuple[str, str] | None,
) -> None:
    (tmp_path / ".port" / "resources").mkdir(parents=True)
    (tmp_path / "main.py").write_text(MAIN)
    (tmp_path / "config.yaml").write_text(PORT_SECTION)
    (tmp_path / ".port" / "resources" / "port-app-config.yml").write_text("resources: []\n")

    sail = prepare(tmp_path, environ=environ, overrides=overrides)

    assert (sail.catalog_url, sail.credentials) == (catalog, credentials)
