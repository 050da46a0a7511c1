"""YAML reading: the fast loader gives what the safe loader gives, and refuses what it refuses."""

from __future__ import annotations

import pytest
import yaml

from ocean.config.yaml_text import read_yaml

DOCUMENTS = [
    "resources:\n  - kind: repo\n    selector: {query: 'true'}\n",
    "on: yes\nport: 08\nwhen: 2024-01-01\nempty:\nlist: [1, 2.5, null, ~]\n",
    "identifier: '\"\\\\(.a)/\\\\(.b)\"'\ntext: |\n  two\n  lines\n",
    "",
]


@pytest.mark.parametrize("text", DOCUMENTS)
def test_documents_read_as_the_safe_loader_reads_them(text: str) -> None:
    assert read_yaml(text) == yaml.safe_load(text)


@pytest.mark.parametrize("text", ["a: [1, 2", "!!python/object:os.system x", "a: b: c"])
def test_what_the_safe_loader_refuses_is_refused(text: str) -> None:
    with pytest.raises(yaml.YAMLError):
        read_yaml(text)
