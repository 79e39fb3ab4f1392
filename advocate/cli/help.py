"""Help that reads naturally: `--due TEXT`, `--json` with nothing after it, `advocate ask QUESTION`.

Typer's Rich help prints a parameter's Python type after it (`--json <bool>`, `--due <str>`, a
`text <str>` argument). Here every command of the tree gets, once when the root group is built:

- flags (`--json`, `--help`): nothing after them, as they take no value;
- options that take a value: their `metavar=` if one is given, else the value's kind in capitals (TEXT,
  INTEGER, NUMBER, PATH), as click has always printed it;
- arguments: their name in capitals (QUESTION, PATHS...) in the usage line and the table, no type.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any, get_args, get_origin

import typer
from typer.core import TyperArgument, TyperCommand, TyperGroup, TyperOption

KIND_NAMES: dict[Any, str] = {str: "TEXT", int: "INTEGER", float: "NUMBER", Path: "PATH", datetime: "DATETIME"}


def value_kind(param: TyperOption | TyperArgument) -> str:
    """TEXT, INTEGER, NUMBER, PATH or DATETIME: what the parameter's value is (one element of a list)."""
    annotation = param.type_descriptor.annotation
    if get_origin(annotation) is list:
        annotation = get_args(annotation)[0]
    return KIND_NAMES.get(annotation, "VALUE")


class PlainOption(TyperOption):
    """An option whose help shows its metavar, or nothing when it is a flag."""

    def display_type_rich(self, ctx: typer.Context) -> str | None:
        if self.is_flag or self.count:
            return None
        return self.metavar or value_kind(self)


class PlainArgument(TyperArgument):
    """An argument shown by its name in capitals, without a type beside it."""

    def display_type_rich(self, ctx: typer.Context) -> str | None:
        return None

    def get_usage_pieces(self, ctx: typer.Context) -> list[str]:
        name = self.display_name_raw
        return [name if self.required else f"[{name}]"]


def plain(params: list[Any]) -> list[Any]:
    """The same parameters, shown plainly (their class swapped in place; idempotent)."""
    for param in params:
        if isinstance(param, TyperOption) and not isinstance(param, PlainOption):
            param.__class__ = PlainOption
        elif isinstance(param, TyperArgument) and not isinstance(param, PlainArgument):
            if param.metavar is None:
                param.metavar = (param.name or "value").upper() + ("..." if param.nargs != 1 else "")
            param.__class__ = PlainArgument
    return params


class PlainHelpCommand(TyperCommand):
    def get_params(self, ctx: typer.Context) -> list[Any]:
        return plain(super().get_params(ctx))  # the help option is made here, on first use


class PlainHelpGroup(TyperGroup):
    """The root group: every command below it shows its parameters plainly."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        plain_tree(self)

    def get_params(self, ctx: typer.Context) -> list[Any]:
        return plain(super().get_params(ctx))


def plain_tree(group: TyperGroup) -> None:
    for command in group.commands.values():
        if isinstance(command, TyperGroup):
            command.__class__ = PlainHelpGroup if type(command) is TyperGroup else command.__class__
            plain_tree(command)
        elif type(command) is TyperCommand:
            command.__class__ = PlainHelpCommand
