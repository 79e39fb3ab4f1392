"""The `advocate` command line (advocate/cli/main.py builds it from one sub-app per area of work)."""

from advocate.cli.main import app, main

__all__ = ["app", "main"]
