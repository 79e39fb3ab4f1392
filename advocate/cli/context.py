"""How a command reaches the services: `services(ctx)`, through the `LazyServices` in `ctx.obj`.

The root callback (advocate/cli/main.py) puts a `LazyServices` there for every run; it builds the
services from the settings the first time a command asks, and closes them when the command ends. A
command that never asks (`--help`, a refused argument) builds nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import typer

from advocate.cli.console import EXIT_BAD_INPUT, fail

if TYPE_CHECKING:
    from advocate.services import Services


def services_from_settings() -> Services:
    """The services the settings (environment and .env) describe; a bad setting is one `error:` line."""
    from advocate.services import build_services
    from advocate.settings import SettingsError, load_settings

    try:
        settings = load_settings()
    except SettingsError as exc:
        raise fail(str(exc), EXIT_BAD_INPUT) from None
    return build_services(settings)


class LazyServices:
    """The services of one run of the CLI, built on first use."""

    def __init__(self, build: Callable[[], Services] = services_from_settings) -> None:
        # Builds the services when a command first asks for them.
        self.build = build
        self._built: Services | None = None
        self._owned = True

    @classmethod
    def of(cls, services: Services) -> LazyServices:
        """Services built elsewhere (a test's): handed to the commands as they are, and not closed here."""
        holder = cls(build=lambda: services)
        holder._built, holder._owned = services, False
        return holder

    @property
    def built(self) -> Services | None:
        """The services, if a command has asked for them."""
        return self._built

    def get(self) -> Services:
        if self._built is None:
            self._built = self.build()
        return self._built

    def close(self) -> None:
        """Release what was built here (database connections, a running scheduler)."""
        if self._built is not None and self._owned:
            self._built.close()


def services(ctx: typer.Context) -> Services:
    """The services for this command (built now if no command asked before)."""
    holder = ctx.find_object(LazyServices)
    assert holder is not None, "the root callback puts a LazyServices in ctx.obj"
    return holder.get()
