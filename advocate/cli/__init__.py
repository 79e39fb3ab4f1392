"""The `advocate` command line."""

from advocate.cli.main import _State, app, main

__all__ = ["_State", "app", "main"]
