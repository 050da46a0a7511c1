"""``ocean map``: run a mapping on sample or live items and show what each one became."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import click
from rich.console import Console

from ocean.cli.options import errors_reported, run
from ocean.config.yaml_text import read_yaml
from ocean.errors import ConfigError, MappingError
from ocean.extract.extract import extract
from ocean.mapping import parse_resource
from ocean.sail import prepare
from ocean.transform.explain import Explanation, explain
from ocean.transform.golden import run_case, summary
from ocean.transform.mapper import CompiledResource


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
@click.option("--limit", default=20, show_default=True, help="Live items to fetch per kind.")
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
) -> None:
    """Show what a mapping makes of raw items, item by item."""
    if case_file is not None:
        _check_case(case_file)
    elif resource_file is not None and items_file is not None:
        with errors_reported():
            resource = parse_resource(_read_document(resource_file), source=str(resource_file))
        compiled = CompiledResource(resource, env=_environment(env_file))
        result = compiled.map_items(_read_items(items_file), parse_all=parse_all)
        click.echo(json.dumps(summary(result), indent=None if as_json else 2, ensure_ascii=False))
    elif path is not None:
        run(lambda: _explain_folder(path, kind, sample, limit, as_json))
    else:
        raise click.UsageError("give an integration PATH, or --resource with --items, or --case")


def _check_case(case_file: Path) -> None:
    case = json.loads(case_file.read_text())
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


async def _explain_folder(
    path: Path, kind: str | None, sample: Path | None, limit: int, as_json: bool
) -> None:
    prepared = prepare(path, environ=os.environ, overrides={})
    resources = [r for r in prepared.resources if kind is None or r.kind == kind]
    if not resources:
        raise MappingError(
            f"kind {kind!r} is not in the mapping; its kinds: {prepared.folder.mapping.kinds}"
        )
    console = Console()
    for resource in resources:
        items = (
            _read_items(sample)
            if sample
            else await _live_items(prepared.folder.integration, resource.kind, limit)
        )
        for explanation in explain(resource, items):
            _show(console, resource, explanation, as_json)


async def _live_items(integration: Any, kind: str, limit: int) -> list[Any]:
    items: list[Any] = []
    async for batch in extract(integration, kind):
        items += batch[: limit - len(items)]
        if len(items) >= limit:
            break
    return items


def _show(
    console: Console, resource: CompiledResource, explanation: Explanation, as_json: bool
) -> None:
    if as_json:
        click.echo(
            json.dumps(
                {"kind": resource.kind, "resource": resource.index, **explanation.__dict__},
                default=str,
            )
        )
        return
    head = f"[bold]{resource.kind}[/bold] #{explanation.position}"
    if explanation.outcome == "entity" and explanation.entity is not None:
        console.print(
            f"{head} → [green]{explanation.entity['blueprint']}/{explanation.entity['identifier']}[/green]"
        )
        console.print_json(json.dumps(explanation.entity, default=str))
    else:
        console.print(
            f"{head} → [red]no entity[/red] ({explanation.outcome}): {explanation.detail}"
        )
    for field_path, text in explanation.misconfigured.items():
        console.print(f"    [yellow]{field_path}[/yellow] = {text!r} gave null")


def _environment(env_file: Path | None) -> dict[str, str] | None:
    if env_file is not None:
        env = json.loads(env_file.read_text())
        if not isinstance(env, dict):
            raise click.BadParameter(
                "must hold a JSON object of variables", param_hint="--env-file"
            )
        return {str(k): str(v) for k, v in env.items()}
    allowed = os.environ.get("OCEAN__ALLOW_ENVIRONMENT_VARIABLES_JQ_ACCESS", "true").lower()
    return dict(os.environ) if allowed not in ("false", "0", "no") else None


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
