"""``ocean map``: run a mapping on sample or live items and show what each one became."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.markup import escape

from ocean.cli.options import errors_reported, run
from ocean.config.yaml_text import read_yaml
from ocean.errors import ConfigError, MappingError
from ocean.extract.extract import extract
from ocean.extract.raw_values import text_keys
from ocean.mapping import parse_resource
from ocean.sail import prepare
from ocean.transform.explain import Blueprints, Explanation, KindSummary, explain
from ocean.transform.golden import run_case, summary
from ocean.transform.mapper import CompiledResource, compile_resources


@click.command("map")
@click.argument(
    "path", required=False, type=click.Path(exists=True, file_okay=False, path_type=Path)
)
@click.option("--kind", help="Only this kind of the integration's mapping.")
@click.option(
    "--sample",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Raw items (JSON array or JSON lines) instead of live data from the handlers.",
)
@click.option(
    "--limit", default=20, show_default=True, help="Live items to fetch per kind (0: all)."
)
@click.option(
    "--resource",
    "resource_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="One resource block (JSON or YAML) to run on --items.",
)
@click.option("--items", "items_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--case",
    "case_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="A compat case file: run it and compare with what the original produced.",
)
@click.option("--parse-all", is_flag=True, help="Map selector-rejected items too (into failed).")
@click.option(
    "--env-file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="A JSON object that is exactly the environment env/$ENV see.",
)
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.option(
    "--summary", "per_kind", is_flag=True, help="One line per kind instead of one per item."
)
def map_command(  # noqa: PLR0913
    path: Path | None,
    kind: str | None,
    sample: Path | None,
    limit: int,
    resource_file: Path | None,
    items_file: Path | None,
    case_file: Path | None,
    parse_all: bool,
    env_file: Path | None,
    as_json: bool,
    per_kind: bool,
) -> None:
    """Show what a mapping makes of raw items, item by item, and whether the catalog
    would take each entity under the integration's blueprints.

    Exits 1 when an entity breaks its blueprint or a selector fails."""
    if case_file is not None:
        with errors_reported():
            _check_case(case_file)
    elif resource_file is not None and items_file is not None:
        with errors_reported():
            resource = parse_resource(_read_document(resource_file), source=str(resource_file))
            (compiled,) = compile_resources([resource], env=_environment(env_file))
            result = compiled.map_items(_read_items(items_file), parse_all=parse_all)
        click.echo(json.dumps(summary(result), indent=None if as_json else 2, ensure_ascii=False))
    elif path is not None:
        shown = Shown(as_json=as_json, summary=per_kind)
        run(lambda: _explain_folder(path, Source(kind, sample, limit, env_file), shown))
        if shown.broken:
            raise SystemExit(1)
    else:
        raise click.UsageError("give an integration PATH, or --resource with --items, or --case")


_CASE_KEYS = ("name", "resource", "items", "parseAll", "expected")


def _read_case(case_file: Path) -> dict[str, Any]:
    """A compat case file: a JSON object with :data:`_CASE_KEYS` (``env``, ``config``)."""
    try:
        case = json.loads(case_file.read_text())
    except ValueError as error:
        raise ConfigError(f"{case_file} is not JSON ({error}); fix the case file") from None
    missing = [key for key in _CASE_KEYS if not isinstance(case, dict) or key not in case]
    if missing:
        raise ConfigError(
            f"{case_file} lacks {', '.join(missing)}: a case file is a JSON object with "
            f"{', '.join(_CASE_KEYS)} (and optionally env, config)"
        )
    return dict(case)


def _check_case(case_file: Path) -> None:
    case = _read_case(case_file)
    produced = run_case(case)
    if produced == case["expected"]:
        click.echo(f"{case['name']}: matches the original")
        return
    for key in produced:
        if produced[key] != case["expected"][key]:
            click.echo(
                f"{key}: ours {json.dumps(produced[key])}\n  original {json.dumps(case['expected'][key])}"
            )
    raise SystemExit(1)


@dataclass
class Source:
    """Where ``ocean map PATH`` takes its items from."""

    kind: str | None
    sample: Path | None
    limit: int
    env_file: Path | None


@dataclass
class Shown:
    """How explanations are shown, and whether any told of an entity the catalog would
    reject or a failing selector."""

    as_json: bool
    summary: bool
    broken: bool = False
    console: Console = field(default_factory=Console)


async def _explain_folder(path: Path, source: Source, shown: Shown) -> None:
    prepared = prepare(path, environ=os.environ, overrides={})
    resources = [r for r in prepared.resources if source.kind is None or r.kind == source.kind]
    if not resources:
        raise MappingError(
            f"kind {source.kind!r} is not in the mapping; its kinds: {prepared.folder.mapping.kinds}"
        )
    if source.env_file is not None:
        env = _environment(source.env_file)
        resources = [CompiledResource(r.resource, env=env, index=r.index) for r in resources]
    where = prepared.folder.path / prepared.settings.resources_path / "blueprints.json"
    blueprints = Blueprints(prepared.folder.blueprints, source=str(where))
    for resource in resources:
        items = (
            _read_items(source.sample)
            if source.sample
            else await _live_items(prepared.folder.integration, resource.kind, source.limit)
        )
        explanations = explain(resource, items, blueprints)
        shown.broken |= any(e.outcome in ("invalid", "selector-error") for e in explanations)
        if shown.summary:
            _show_summary(shown, resource, explanations)
        else:
            for explanation in explanations:
                _show(shown, resource, explanation)


async def _live_items(integration: Any, kind: str, limit: int) -> list[Any]:
    """The kind's first ``limit`` items from its handlers (``0``: every item)."""
    items: list[Any] = []
    async for batch in extract(integration, kind):
        items += batch if limit <= 0 else batch[: limit - len(items)]
        if 0 < limit <= len(items):
            break
    return [text_keys(item) for item in items]  # as a resync hands them to the mapping


def _show_summary(
    shown: Shown, resource: CompiledResource, explanations: list[Explanation]
) -> None:
    line = KindSummary(resource.kind, resource.index)
    for explanation in explanations:
        line.add(explanation)
    click.echo(json.dumps(line.as_json(), default=str) if shown.as_json else line.line())


def _show(shown: Shown, resource: CompiledResource, explanation: Explanation) -> None:
    if shown.as_json:
        body = {"kind": resource.kind, "resource": resource.index, **explanation.__dict__}
        click.echo(json.dumps(body, default=str))
        return
    console = shown.console
    head = f"[bold]{escape(resource.kind)}[/bold] #{explanation.position}"
    entity = explanation.entity
    if explanation.outcome in ("entity", "invalid") and entity is not None:
        colour = "green" if explanation.outcome == "entity" else "red"
        key = escape(f"{entity['blueprint']}/{entity['identifier']}")
        console.print(f"{head} → [{colour}]{key}[/{colour}]")
        console.print_json(json.dumps(entity, default=str))
        for problem in explanation.problems:
            console.print(f"    [red]rejected by the catalog[/red]: {escape(str(problem))}")
        for path in explanation.undefined:
            console.print(
                f"    [yellow]{escape(path)}[/yellow] not defined by the blueprint: the catalog "
                "drops it"
            )
    else:
        detail = escape(f"({explanation.outcome}): {explanation.detail}")
        console.print(f"{head} → [red]no entity[/red] {detail}")
    for field_path, text in explanation.misconfigured.items():
        why = explanation.failures.get(field_path, "gave null")
        console.print(
            f"    [yellow]{escape(field_path)}[/yellow] = {escape(repr(text))} {escape(why)}"
        )


def _environment(env_file: Path | None) -> dict[str, str] | None:
    """What ``env`` / ``$ENV`` see: the ``--env-file`` object, else the process's
    environment; nothing (both ``{}``) when OCEAN__ALLOW_ENVIRONMENT_VARIABLES_JQ_ACCESS
    is false, whatever the file holds."""
    allowed = os.environ.get("OCEAN__ALLOW_ENVIRONMENT_VARIABLES_JQ_ACCESS", "true")
    if allowed.strip().lower() in _FALSE:
        return None
    if env_file is None:
        return dict(os.environ)
    try:
        env = json.loads(env_file.read_text())
    except ValueError as error:
        raise click.BadParameter(
            f"{env_file} is not JSON ({error}); it must hold a JSON object of variables",
            param_hint="--env-file",
        ) from None
    if not isinstance(env, dict):
        raise click.BadParameter("must hold a JSON object of variables", param_hint="--env-file")
    return {str(k): str(v) for k, v in env.items()}


_FALSE = frozenset(("false", "0", "no", "off", "f", "n"))


def _read_document(path: Path) -> Any:
    import yaml

    try:
        return read_yaml(path.read_text())
    except yaml.YAMLError as error:
        raise ConfigError(f"{path} is neither JSON nor YAML: {error}") from None


def _read_items(path: Path) -> list[Any]:
    text = path.read_text()
    try:
        data = json.loads(text)
    except ValueError:
        try:
            data = [json.loads(line) for line in text.splitlines() if line.strip()]
        except ValueError as error:
            raise ConfigError(f"{path} is neither a JSON array nor JSON lines: {error}") from None
    return data if isinstance(data, list) else [data]
