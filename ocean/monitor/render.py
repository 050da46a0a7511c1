"""Show a resync report as a table, and resync progress while it runs."""

from __future__ import annotations

from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    Progress,
    SpinnerColumn,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table

from ocean.monitor.report import COUNTS, KindReport, ResyncReport


def render_report(report: ResyncReport, console: Console) -> None:
    """Print the per-kind summary table, then problems and the outcome."""
    mode = "incremental sync" if report.mode == "incremental" else "resync"
    table = Table(title=escape(f"{mode} of {report.integration}: {report.status}"))
    table.add_column("kind", no_wrap=True)
    for name in COUNTS:
        table.add_column(name.replace("_", " "), justify="right")
    table.add_column("seconds e/t/l", justify="right", no_wrap=True)
    for kind in report.kinds:
        table.add_row(_label(kind), *(str(getattr(kind, n)) for n in COUNTS), _durations(kind))
    console.print(table)
    for kind in report.kinds:
        _print_notes(kind, console)
    for error in report.errors:
        console.print(f"[red]error[/red] {escape(error)}")
    for kind in report.kinds:
        if kind.cursor_from:
            console.print(
                "[dim]cursor[/dim] "
                + escape(f"{kind.kind}: since {kind.cursor_from}, now {kind.cursor}")
            )
    for note in report.deletion_notes:
        console.print(f"[yellow]deletion[/yellow] {escape(note)}")
    for note in report.blueprint_notes:  # (each says "blueprint ...")
        console.print(f"[yellow]{escape(note)}[/yellow]")


def _print_notes(kind: KindReport, console: Console) -> None:
    """A kind's errors, skipped pages, dropped items and null fields, one line each
    (what they say is shown as it is: a ``[/path]`` in an error is no markup)."""
    name = escape(kind.kind)
    for error in kind.errors[:5]:
        console.print(f"[red]error[/red] {name}: {escape(error)}")
    if len(kind.errors) > 5:
        console.print(f"[red]error[/red] {name}: … and {len(kind.errors) - 5} more")
    if kind.unchanged_pages:
        console.print(
            f"[dim]unchanged[/dim] {name}: {kind.unchanged_pages} page(s) as the last "
            "resync left them, not mapped again (OCEAN__SKIP_UNCHANGED_PAGES=false maps all)"
        )
    if kind.dropped:
        console.print(
            f"[yellow]dropped[/yellow] {name}: {kind.dropped} raw item(s) whose "
            "itemsToParse value was not a list"
        )
    for path in kind.undefined:
        console.print(
            f"[yellow]not in the blueprint[/yellow] {name}: {escape(path)} is mapped but not "
            "defined: dropped (add it to the blueprint to keep it)"
        )
    for path, text in kind.misconfigurations.items():
        required = path in kind.required_misconfigured
        level = (
            "[red]misconfigured (required)[/red]" if required else "[yellow]misconfigured[/yellow]"
        )
        console.print(f"{level} {name}: {escape(f'{path} = {text!r} gave null')}")


def _label(kind: KindReport) -> str:
    mark = "[green]✓[/green]" if kind.status == "completed" else "[red]✗[/red]"
    return f"{mark} {escape(kind.kind)}"


def _durations(kind: KindReport) -> str:
    return f"{kind.extract_seconds:.2f}/{kind.transform_seconds:.2f}/{kind.load_seconds:.2f}"


class ProgressDisplay:
    """Live per-kind progress on a terminal; silent elsewhere."""

    def __init__(self, console: Console) -> None:
        self._progress = Progress(
            SpinnerColumn(),
            TextColumn("{task.description}"),
            BarColumn(bar_width=None),
            TextColumn("{task.completed} items"),
            TimeElapsedColumn(),
            console=console,
            transient=True,
            disable=not console.is_terminal,
        )
        self._tasks: dict[int, TaskID] = {}

    def __enter__(self) -> ProgressDisplay:
        self._progress.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self._progress.__exit__(None, None, None)

    def kind_started(self, kind: KindReport) -> None:
        self._tasks[kind.index] = self._progress.add_task(escape(kind.kind), total=None)

    def batch_done(self, kind: KindReport) -> None:
        self._progress.update(self._tasks[kind.index], completed=kind.extracted)

    def kind_finished(self, kind: KindReport) -> None:
        self._progress.update(
            self._tasks[kind.index], total=kind.extracted, completed=kind.extracted
        )
