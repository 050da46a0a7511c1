"""The author's guide in docs/ runs as written: each page's file blocks make its example
folder, then every ```python block of the page runs there, in order, offline."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

DOCS = Path(__file__).resolve().parents[1] / "docs"
PAGES = sorted(DOCS.glob("*.md"))
_BLOCK = re.compile(r"^```(?P<lang>[\w-]*)\n(?P<body>.*?)^```$", re.M | re.S)
_FILE = re.compile(r"^(?:#|//) file: (?P<path>\S+)\n")


def _blocks(page: Path) -> list[tuple[str, str | None, str]]:
    """(language, file path or None, text) of each fenced block, in order."""
    found = []
    for block in _BLOCK.finditer(page.read_text()):
        body, target = block["body"], _FILE.match(block["body"])
        found.append(
            (
                block["lang"],
                target["path"] if target else None,
                body[target.end() :] if target else body,
            )
        )
    return found


def test_every_page_is_checked_and_has_python() -> None:
    assert {page.name for page in PAGES} >= {"folder-format.md", "decorators.md", "mapping.md",
                                             "testing.md", "live-events.md", "deploying.md"}  # fmt: skip
    assert sum(lang == "python" for page in PAGES for lang, _, _ in _blocks(page)) >= 10


@pytest.mark.parametrize("page", PAGES, ids=lambda page: page.name)
def test_the_page_s_python_blocks_run(page: Path, tmp_path: Path) -> None:
    blocks = _blocks(page)
    for _, target, text in blocks:
        if target is not None:
            (tmp_path / target).parent.mkdir(parents=True, exist_ok=True)
            (tmp_path / target).write_text(text)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OCEAN__", "PORT_"))}
    env |= {
        "HOME": str(tmp_path),
        "NO_PROXY": "*",
        "HTTPS_PROXY": "http://127.0.0.1:9",
        "HTTP_PROXY": "http://127.0.0.1:9",
    }  # offline
    for number, (lang, target, text) in enumerate(blocks):
        if lang != "python":
            continue
        command = [sys.executable, target] if target else [sys.executable, "-c", text]
        ran = subprocess.run(
            command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120
        )
        assert ran.returncode == 0, (
            f"{page.name}, block {number} ({target or 'snippet'}):\n{ran.stderr}"
        )


_COMMAND = re.compile(r"`ocean ((?:[a-z]+ ?)+[^`]*)`")
_OPTION = re.compile(r"(?<![\w-])(--?[a-z][a-z-]*)")


def _named_commands() -> list[tuple[str, str]]:
    """(page, command) for every inline `ocean ...` of the README and the guide."""
    pages = [DOCS.parent / "README.md", *PAGES]
    named = {(page.name, " ".join(found[1].split())) for page in pages
             for found in _COMMAND.finditer(page.read_text())}  # fmt: skip
    return sorted(named)


@pytest.mark.parametrize(("page", "command"), _named_commands())
def test_a_command_the_docs_name_exists_with_the_options_they_give_it(
    page: str, command: str
) -> None:
    import click

    from ocean.cli.main import cli

    found: click.Command = cli
    for word in command.split():
        sub = (
            found.get_command(click.Context(found), word)
            if isinstance(found, click.Group)
            else None
        )
        if sub is None:
            break
        found = sub
    assert found is not cli, f"{page}: `ocean {command}` names no command"
    if isinstance(found, click.Group):
        return
    known = {"--help"} | {
        name for param in found.params for name in (*param.opts, *param.secondary_opts)
    }
    unknown = [option for option in _OPTION.findall(command) if option not in known]
    assert not unknown, f"{page}: `ocean {command}`: {found.name} has no {unknown}"
