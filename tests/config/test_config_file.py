"""config.yaml: the settings' names snake_cased, what the values hold kept as written."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from ocean.config.config_file import read_config_file
from ocean.errors import ConfigError

GITLAB = """
eventListener:
  type: POLLING
  resyncOnStart: false
integration:
  identifier: gitlab
  config:
    tokenMapping:
      glpat-AbCdEfGh: ["my-group/**"]
    customAuthRequest:
      endpoint: /oauth/token
      headers: {Content-Type: application/json, X-Api-Key: "{{ from env KEY }}"}
      body: {clientId: abc, grantType: client_credentials}
    pageSize: 10
metrics:
  webhookUrl: http://x
"""


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        pytest.param(("event_listener", "resync_on_start"), False, id="section-keys"),
        pytest.param(
            ("integration", "config", "token_mapping"),
            {"glpat-AbCdEfGh": ["my-group/**"]},
            id="token-mapping-tokens-verbatim",
        ),
        pytest.param(
            ("integration", "config", "custom_auth_request"),
            {
                "endpoint": "/oauth/token",
                "headers": {"Content-Type": "application/json", "X-Api-Key": "k"},
                "body": {"clientId": "abc", "grantType": "client_credentials"},
            },
            id="headers-and-body-verbatim-templates-resolved",
        ),
        pytest.param(("integration", "config", "page_size"), 10, id="config-field-names"),
        pytest.param(("metrics", "webhook_url"), "http://x", id="sections-ocean-lacks"),
    ],
)
def test_only_the_settings_names_are_snake_cased(
    tmp_path: Path, path: tuple[str, ...], expected: Any
) -> None:
    (tmp_path / "config.yaml").write_text(GITLAB)

    value: Any = read_config_file(tmp_path / "config.yaml", {"KEY": "k"}).values
    for key in path:
        value = value[key]

    assert value == expected


def test_a_config_file_that_is_not_utf8_is_named_with_its_first_bad_byte(tmp_path: Path) -> None:
    path = tmp_path / "config.yaml"
    path.write_bytes('integration:\n  config:\n    owner: "José"\n'.encode("latin-1"))

    with pytest.raises(ConfigError) as raised:
        read_config_file(path, {})

    assert str(raised.value).startswith(f"{path} is not UTF-8: byte 38 (line 3) is 0xe9; ")
