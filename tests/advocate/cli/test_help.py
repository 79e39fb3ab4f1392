"""`--help` of every command reads as a person reads it: no Python types beside the options."""

from __future__ import annotations

import re

import typer.main
from typer.core import TyperGroup

from advocate.cli import app
from tests.conftest import run_cli

PYTHON_TYPE = re.compile(r"<(bool|str|int|float|Path|list\[[^\]]*\])>|\{\w+\}")


def command_paths() -> list[list[str]]:
    """Every command and group of the CLI, as the words that reach it."""
    paths: list[list[str]] = [[]]
    stack: list[tuple[list[str], TyperGroup]] = [([], typer.main.get_command(app))]  # type: ignore[list-item]
    while stack:
        prefix, group = stack.pop()
        for name, command in group.commands.items():
            paths.append([*prefix, name])
            if isinstance(command, TyperGroup):
                stack.append(([*prefix, name], command))
    return paths


def test_no_help_page_shows_python_types() -> None:
    paths = command_paths()
    assert len(paths) > 30
    for path in paths:
        result = run_cli(*path, "--help")
        assert result.exit_code == 0, (path, result.output)
        assert not PYTHON_TYPE.search(result.output), (path, PYTHON_TYPE.search(result.output), result.output)


def test_flags_take_nothing_and_values_say_what_they_are() -> None:
    page = run_cli("promises", "add", "--help").output
    assert "promises add [OPTIONS] TEXT" in page
    assert re.search(r"--json\s+Print one JSON object", page)
    assert re.search(r"--customer\s+TEXT\s+Customer id", page)
    assert re.search(r"--tz\s+ZONE", page)
    ingest = run_cli("ingest", "--help").output
    assert "PATHS..." in ingest and re.search(r"--map\s+COLUMN=FIELD", ingest)
    assert re.search(r"--prune\s+Remove chunks", ingest)
