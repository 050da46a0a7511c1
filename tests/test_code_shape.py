"""The package keeps the size budgets of the style guide: modules under 500 lines,
functions under 60, blocks nested at most 3 deep."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
MODULES = sorted(
    [*ROOT.joinpath("ocean").rglob("*.py"), *ROOT.joinpath("port_ocean").rglob("*.py")]
)
BLOCKS = (ast.If, ast.For, ast.AsyncFor, ast.While, ast.With, ast.AsyncWith, ast.Try)
SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)


def _nesting(statements: list[ast.stmt], depth: int = 0) -> int:
    deepest = depth
    for statement in statements:
        if isinstance(statement, SCOPES):
            continue
        if isinstance(statement, BLOCKS):
            inner = depth + 1
            deepest = max(deepest, _nesting(getattr(statement, "body", []), inner))
            orelse = getattr(statement, "orelse", [])
            is_elif = (
                isinstance(statement, ast.If) and len(orelse) == 1 and isinstance(orelse[0], ast.If)
            )
            deepest = max(deepest, _nesting(orelse, depth if is_elif else inner))
            for handler in getattr(statement, "handlers", []):
                deepest = max(deepest, _nesting(handler.body, inner))
            deepest = max(deepest, _nesting(getattr(statement, "finalbody", []), inner))
    return deepest


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(ROOT)))
def test_module_keeps_the_size_budget(path: Path) -> None:
    text = path.read_text()
    assert text.count("\n") <= 500, f"{path.name} is over 500 lines: split it by concept"
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            length = (node.end_lineno or node.lineno) - node.lineno + 1
            assert length <= 60, f"{node.name} is {length} lines"
            assert _nesting(node.body) <= 3, f"{node.name} nests blocks deeper than 3"


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path, known: set[str]) -> set[str]:
    """The project modules ``path`` imports anywhere (top level, functions, TYPE_CHECKING)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return {name for name in found if name in known}


def test_no_two_modules_import_each_other() -> None:
    names = {_module_name(path): path for path in MODULES}
    graph = {name: _imports(path, set(names)) - {name} for name, path in names.items()}
    pairs = sorted(
        (a, b) for a, targets in graph.items() for b in targets if a < b and a in graph[b]
    )
    assert not pairs, f"these modules import each other (move the shared type down): {pairs}"
