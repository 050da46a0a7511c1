"""``ocean new``: a scaffold that passes its own tests and syncs straight away."""

from __future__ import annotations

import ast
import json
import os
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from ocean.cli.main import cli
from ocean.cli.new import TEMPLATE, Answers, slug_of

OCEAN = [sys.executable, "-m", "ocean"]


def _clean_env() -> dict[str, str]:
    """The environment without Ocean's own settings (the scaffold must not need any)."""
    return {k: v for k, v in os.environ.items() if not k.startswith(("OCEAN__", "PYTEST_"))}


def test_a_new_integration_passes_its_tests_and_syncs(tmp_path: Path) -> None:
    env = _clean_env()
    made = subprocess.run(
        [*OCEAN, "new", "--no-input", str(tmp_path)], env=env, capture_output=True, text=True
    )
    assert made.returncode == 0, made.stderr
    folder = tmp_path / "example"
    assert "ocean sail --once" in made.stdout

    tested = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
    )
    assert tested.returncode == 0, tested.stdout + tested.stderr
    assert "6 passed" in tested.stdout

    sailed = subprocess.run(
        [*OCEAN, "sail", "--once", "--quiet"], cwd=folder, env=env, capture_output=True, text=True
    )
    assert (sailed.returncode, sailed.stderr) == (0, "")

    listed = subprocess.run(
        [*OCEAN, "catalog", "entities", "--json"],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
    )
    entities = [json.loads(line) for line in listed.stdout.splitlines()]
    assert len(entities) == len(json.loads((folder / "sample-data.json").read_text()))
    assert {entity["blueprint"] for entity in entities} == {"exampleItem"}
    assert (folder / ".ocean" / "catalog.db").is_file()


def test_debug_py_runs_the_integration_as_sail_does(tmp_path: Path) -> None:
    """The original's scaffold has one too: `python debug.py` under an IDE's debugger."""
    CliRunner().invoke(cli, ["new", "--no-input", str(tmp_path)])
    folder = tmp_path / "example"
    env = _clean_env() | {"OCEAN__EVENT_LISTENER__TYPE": "ONCE"}

    ran = subprocess.run(
        [sys.executable, "debug.py"], cwd=folder, env=env, capture_output=True, text=True
    )

    assert ran.returncode == 0, ran.stderr
    assert "completed" in ran.stdout
    assert (folder / ".ocean" / "catalog.db").is_file()


def test_every_template_file_is_written_without_placeholders_left(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["new", "--no-input", str(tmp_path)])
    assert result.exit_code == 0, result.output

    folder = tmp_path / "example"
    written = sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())
    assert written == [
        ".env.example",
        ".gitignore",
        ".port/resources/blueprints.json",
        ".port/resources/port-app-config.yml",
        ".port/spec.yaml",
        "CHANGELOG.md",
        "Makefile",
        "README.md",
        "client.py",
        "debug.py",
        "main.py",
        "pyproject.toml",
        "sample-data.json",
        "tests/conftest.py",
        "tests/test_live_events.py",
        "tests/test_resync.py",
    ]
    assert len(written) == len(list(TEMPLATE.rglob("*.tmpl")))
    for path in folder.rglob("*"):
        if path.is_file():
            assert "{{" not in path.read_text(), path


def test_the_prompts_fill_the_names_in(tmp_path: Path) -> None:
    answers = "\n".join(["My Cool API", "", "", "https://api.example.com"]) + "\n"
    result = CliRunner().invoke(cli, ["new", str(tmp_path)], input=answers)
    assert result.exit_code == 0, result.output

    folder = tmp_path / "my-cool-api"
    spec = yaml.safe_load((folder / ".port" / "spec.yaml").read_text())
    assert (spec["type"], spec["title"]) == ("my-cool-api", "My Cool API")
    assert spec["description"] == "Sync My Cool API items into the software catalog"
    assert spec["configurations"][0] == {
        "name": "baseUrl",
        "type": "string",
        "required": False,
        "default": "https://api.example.com",
        "description": 'The API\'s address (https://...), or "sample" for the bundled sample-data.json.',
    }
    blueprints = json.loads((folder / ".port" / "resources" / "blueprints.json").read_text())
    assert blueprints[0]["identifier"] == "myCoolApiItem"
    assert blueprints[0]["title"] == "My Cool API item"
    mapping = yaml.safe_load((folder / ".port" / "resources" / "port-app-config.yml").read_text())
    assert mapping["resources"][0]["port"]["entity"]["mappings"]["blueprint"] == '"myCoolApiItem"'


def test_a_bad_slug_is_asked_again(tmp_path: Path) -> None:
    answers = "\n".join(["Thing", "Bad Slug!", "thing-two", "", ""]) + "\n"
    result = CliRunner().invoke(cli, ["new", str(tmp_path)], input=answers)

    assert result.exit_code == 0, result.output
    assert "use lower-case letters" in result.output
    assert (tmp_path / "thing-two" / "main.py").is_file()


def test_an_existing_folder_is_never_overwritten(tmp_path: Path) -> None:
    (tmp_path / "example").mkdir()
    (tmp_path / "example" / "main.py").write_text("# mine\n")

    result = CliRunner().invoke(cli, ["new", "--no-input", str(tmp_path)])

    assert result.exit_code == 1
    assert "already exists and is not empty" in result.output
    assert "drop --no-input to name it" in result.output  # ("another name": it asks none)
    assert (tmp_path / "example" / "main.py").read_text() == "# mine\n"


@pytest.mark.parametrize(
    ("name", "slug", "blueprint"),
    [
        ("Example", "example", "exampleItem"),
        ("My API", "my-api", "myApiItem"),
        ("  GitHub   Enterprise ", "github-enterprise", "githubEnterpriseItem"),
        ("jira_cloud", "jira-cloud", "jiraCloudItem"),
        ("42 things", "integration-42-things", "integration42ThingsItem"),
    ],
)
def test_slugs_and_blueprints_from_names(name: str, slug: str, blueprint: str) -> None:
    assert slug_of(name) == slug
    assert Answers(name=name, slug=slug).blueprint == blueprint


def test_the_readmes_quick_start_syncs_in_five_commands(tmp_path: Path) -> None:
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    section = readme.split("## Quick start", 1)[1]
    block = section.split("```bash\n", 1)[1].split("```", 1)[0]
    commands = [line.split("  #")[0].strip() for line in block.splitlines() if line.strip()]
    assert len(commands) == 5
    assert commands[0].startswith("pip install")  # Ocean is installed here already

    env = _clean_env() | {
        "HOME": str(tmp_path),
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
    }
    done = subprocess.run(
        ["bash", "-euc", " && ".join(commands[1:])],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert done.returncode == 0, done.stderr
    assert "completed" in done.stdout
    assert done.stdout.count("exampleItem") == 12


def test_a_file_where_the_folder_would_go_is_named_without_a_traceback(tmp_path: Path) -> None:
    (tmp_path / "example").write_text("# mine\n")

    result = CliRunner().invoke(cli, ["new", "--no-input", str(tmp_path)])

    assert result.exit_code == 1, result.output
    assert "already exists and is a file" in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert (tmp_path / "example").read_text() == "# mine\n"


@pytest.mark.parametrize(
    ("name", "description"),
    [
        pytest.param("Back\\slash", "Sync C:\\items\\ and \\N{x}", id="backslashes"),
        pytest.param('Triple """ quote', 'Ends in a quote"', id="quotes"),
    ],
)
def test_names_and_descriptions_with_quotes_or_backslashes_give_valid_modules(
    tmp_path: Path, name: str, description: str
) -> None:
    answers = "\n".join([name, "odd", description, ""]) + "\n"
    result = CliRunner().invoke(cli, ["new", str(tmp_path)], input=answers)
    assert result.exit_code == 0, result.output

    main, client = (ast.parse((tmp_path / "odd" / m).read_text()) for m in ("main.py", "client.py"))
    assert (ast.get_docstring(main) or "").startswith(f"{name}: {description}\n")
    assert (ast.get_docstring(client) or "").startswith(f"The {name} API over HTTP")


def test_install_with_groups_gives_the_scaffold_what_its_tests_need(tmp_path: Path) -> None:
    """The scaffold lists pytest as a PEP 621 extra: `ocean install . --with-groups` must
    install it, or `.venv/bin/python -m pytest` says "No module named pytest"."""
    CliRunner().invoke(cli, ["new", "--no-input", str(tmp_path)])
    folder = tmp_path / "example"

    printed = CliRunner().invoke(cli, ["install", str(folder), "--with-groups", "--dry-run"])

    assert printed.exit_code == 0, printed.output
    assert "pytest>=8" in shlex.split(printed.output)


def test_a_name_outside_ascii_is_written_whatever_the_locale(tmp_path: Path) -> None:
    env = _clean_env() | {"LC_ALL": "C", "LANG": "C", "PYTHONCOERCECLOCALE": "0", "PYTHONUTF8": "0"}
    env["PYTHONIOENCODING"] = "utf-8"  # the console speaks UTF-8, files the locale (as on Windows)
    made = subprocess.run(
        [*OCEAN, "new", str(tmp_path)],
        input="Café 日本\nkafe\n\n\n",
        env=env,
        capture_output=True,
        encoding="utf-8",
    )

    assert made.returncode == 0, made.stderr
    assert "Café 日本" in (tmp_path / "kafe" / "README.md").read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("name", "slug"),
    [("Café Ñandú", "cafe-nandu"), ("Señor Jira", "senor-jira"), ("Ölçüm", "olcum")],
)
def test_accented_letters_keep_their_place_in_the_slug(name: str, slug: str) -> None:
    assert slug_of(name) == slug


def test_the_next_steps_can_be_pasted_when_the_path_has_a_space(tmp_path: Path) -> None:
    where = tmp_path / "my work"

    result = CliRunner().invoke(cli, ["new", "--no-input", str(where)])

    assert result.exit_code == 0, result.output
    step = next(
        line.strip() for line in result.output.splitlines() if line.strip().startswith("cd ")
    )
    assert shlex.split(step) == ["cd", str(where / "example")]


def test_a_path_that_cannot_be_written_is_named_without_a_traceback(tmp_path: Path) -> None:
    (tmp_path / "a-file").write_text("")

    result = CliRunner().invoke(cli, ["new", "--no-input", str(tmp_path / "a-file" / "sub")])

    assert result.exit_code == 1, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert "could not write" in result.output and "a-file" in result.output


def test_a_slug_ending_in_a_dash_is_asked_again(tmp_path: Path) -> None:
    """`api-` would be pyproject.toml's name, which no packaging tool accepts (PEP 508)."""
    answers = "\n".join(["Thing", "api-", "api", "", ""]) + "\n"
    result = CliRunner().invoke(cli, ["new", str(tmp_path)], input=answers)

    assert result.exit_code == 0, result.output
    assert "use lower-case letters" in result.output
    assert not (tmp_path / "api-").exists()
    assert (tmp_path / "api" / "main.py").is_file()


def test_a_slug_whose_folder_is_taken_is_asked_again_before_the_other_questions(
    tmp_path: Path,
) -> None:
    (tmp_path / "taken").mkdir()
    (tmp_path / "taken" / "keep.txt").write_text("mine")
    answers = "\n".join(["Thing", "taken", "free", "", ""]) + "\n"

    result = CliRunner().invoke(cli, ["new", str(tmp_path)], input=answers)

    assert result.exit_code == 0, result.output
    assert f"{tmp_path / 'taken'} already exists: choose another slug" in result.output
    assert result.output.index("already exists") < result.output.index("Description")
    assert (tmp_path / "free" / "main.py").is_file()
    assert sorted(p.name for p in (tmp_path / "taken").iterdir()) == ["keep.txt"]
