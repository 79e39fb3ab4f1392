"""What every command prints through: the answer on stdout, everything else on stderr, one way to fail.

stdout carries only the answer (text, or one JSON object with --json), so it can be piped; progress,
notes, rejected rows and errors go to stderr. Bad input exits 2 with a message naming what was wrong;
anything else that stops a command exits 1.
"""

from __future__ import annotations

import json
from datetime import datetime, tzinfo
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape

EXIT_BAD_INPUT = 2
# The --json flag of a command whose answer is one JSON object.
JsonFlag = Annotated[bool, typer.Option("--json", help="Print one JSON object.")]

out = Console(soft_wrap=True, highlight=False, emoji=False)
err = Console(stderr=True, soft_wrap=True, highlight=False, emoji=False)


def fail(message: str, code: int = 1) -> typer.Exit:
    """Print `error: message` on stderr; raise what this returns to end the command with `code`."""
    err.print(f"[red]error:[/red] {escape(message)}")
    return typer.Exit(code)


def say(text: str) -> None:
    """A line of the answer, printed as it is (no markup)."""
    out.print(text, markup=False)


def note(text: str) -> None:
    """A line for the person at the terminal, not part of the answer (stderr, no markup)."""
    err.print(text, markup=False)


def print_json(data: Any) -> None:
    """The answer as one JSON object on stdout."""
    print(json.dumps(data, ensure_ascii=False, default=str))


def local_time(at: datetime, zone: tzinfo) -> str:
    """A moment as the organisation reads it, labelled with the zone's name: "Thu 26 Nov 2026 12:00
    Europe/London" (every time the CLI prints has this one label, not UTC, GMT or an offset)."""
    name = getattr(zone, "key", None) or str(zone)
    return f"{at.astimezone(zone):%a %-d %b %Y %H:%M} {name}"
