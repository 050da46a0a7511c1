"""``ocean new [PATH]``: scaffold a working integration in PATH/<slug>, as the original's
``ocean new`` does, written for Ocean's own API.

The scaffold reads an HTTP API page by page with httpx (``baseUrl`` in its spec; ``sample``,
the default, serves the bundled ``sample-data.json`` through an ``httpx.MockTransport`` so
that ``ocean sail --once`` works offline), applies live events with a webhook processor, and
has tests that fake the API and run a whole resync (:mod:`ocean.testing`).
"""

from __future__ import annotations

import json
import re
import shlex
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import click

TEMPLATE = Path(__file__).with_name("template")
SUFFIX = ".tmpl"
_SLUG = re.compile(r"^[a-z](?:[a-z0-9-]*[a-z0-9])?$")  # a valid project name too: no dash last


@dataclass(frozen=True)
class Answers:
    name: str = "Example"
    slug: str = "example"
    description: str = "Sync Example items into the software catalog"
    base_url: str = "sample"

    @property
    def blueprint(self) -> str:
        """``exampleItem``: the slug in camelCase, then ``Item``."""
        head, *rest = self.slug.split("-")
        return head + "".join(part.capitalize() for part in rest) + "Item"

    def placeholders(self) -> dict[str, str]:
        return {
            "name": self.name,
            "slug": self.slug,
            "description": self.description,
            "base_url": self.base_url,
            "blueprint": self.blueprint,
            "name_doc": _docstring_text(self.name),
            "description_doc": _docstring_text(self.description),
            "name_json": json.dumps(self.name),
            "description_json": json.dumps(self.description),
            "base_url_json": json.dumps(self.base_url),
            "blueprint_title_json": json.dumps(f"{self.name} item"),
        }


def _docstring_text(text: str) -> str:
    """``text`` as it may stand inside a Python docstring: backslashes and quotes escaped
    (a ``\\`` or ``\"\"\"`` would otherwise break the generated module)."""
    return text.replace("\\", "\\\\").replace('"', '\\"')


def slug_of(name: str) -> str:
    """``My API`` -> ``my-api``: the folder's name and the spec's ``type`` (accented
    letters without their accents: ``Café`` -> ``cafe``)."""
    plain = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", plain.lower()).strip("-")
    return slug if _SLUG.match(slug) else f"integration-{slug}".rstrip("-")


def _valid_slug(value: str) -> str:
    """The slug as typed, or a reason to ask again."""
    if not _SLUG.match(value):
        raise click.BadParameter(
            "use lower-case letters, digits and '-', starting with a letter and not ending "
            "with '-' (e.g. my-api)"
        )
    return value


@click.command()
@click.argument("path", default=".", type=click.Path(file_okay=False, path_type=Path))
@click.option("--no-input", is_flag=True, help="Ask nothing: use the defaults.")
def new(path: Path, no_input: bool) -> None:
    """Scaffold a new integration in PATH/<slug> (PATH defaults to the current folder)."""
    answers = Answers() if no_input else _ask(path)
    target = path / answers.slug
    choose = "choose another name or PATH"
    if no_input:
        choose = "choose another PATH, or drop --no-input to name it"
    if target.exists() and not target.is_dir():
        raise click.ClickException(f"{target} already exists and is a file; {choose}")
    if target.exists() and any(target.iterdir()):
        raise click.ClickException(f"{target} already exists and is not empty; {choose}")
    try:
        written = write_scaffold(target, answers)
    except OSError as error:
        raise click.ClickException(
            f"could not write {error.filename or target}: {error.strerror or error}; "
            "choose a PATH you can write to"
        ) from None
    for path_written in written:
        click.echo(f"  created {path_written}")
    click.echo(
        f"\nYour integration is in {target}. Next:\n"
        f"  cd {shlex.quote(str(target))}\n"
        "  ocean sail --once          # sync the sample data into .ocean/catalog.db\n"
        "  ocean catalog entities     # see what it wrote\n"
        "  python -m pytest           # its tests (after `pip install pytest`)\n"
        "Then point it at the real API: OCEAN__INTEGRATION__CONFIG__BASE_URL=https://..."
    )


def _ask(path: Path) -> Answers:
    defaults = Answers()
    name = click.prompt("Integration name", default=defaults.name)
    slug = click.prompt(
        "Slug (folder name and spec type)",
        default=slug_of(name),
        value_proc=lambda value: _free(path, _valid_slug(value)),
    )
    description = click.prompt(
        "Description", default=f"Sync {name} items into the software catalog"
    )
    base_url = click.prompt(
        "API base URL ('sample' reads the bundled sample data, offline)",
        default=defaults.base_url,
    )
    return Answers(name=name, slug=slug, description=description, base_url=base_url)


def _free(path: Path, slug: str) -> str:
    """The slug, or a reason to ask again when its folder in ``path`` is taken (asked
    before the other questions, not after them)."""
    target = path / slug
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise click.BadParameter(f"{target} already exists: choose another slug")
    return slug


def write_scaffold(target: Path, answers: Answers) -> list[Path]:
    """Write the template into ``target`` with ``answers`` filled in; the files written."""
    values = answers.placeholders()
    written = []
    for source in sorted(TEMPLATE.rglob(f"*{SUFFIX}")):
        relative = source.relative_to(TEMPLATE)
        parts = [_dotted(part) for part in relative.parts]
        destination = target.joinpath(*parts).with_name(parts[-1].removesuffix(SUFFIX))
        text = source.read_text(encoding="utf-8")
        for key, value in values.items():
            text = text.replace("{{" + key + "}}", value)
        destination.parent.mkdir(parents=True, exist_ok=True)
        destination.write_text(text, encoding="utf-8")  # a name may be 日本語, whatever the locale
        written.append(destination)
    return written


def _dotted(part: str) -> str:
    """``dot-port`` -> ``.port`` (packaging tools skip names that start with a dot)."""
    return "." + part.removeprefix("dot-") if part.startswith("dot-") else part
