"""The `advocate` command line: the root app, its callback, and one sub-app per area of work.

Each area's commands live in a module of their own (advocate/cli/setup.py for `init`, knowledge.py,
records.py, loyalty.py, digests.py, slack.py, operations.py) as plain functions on a module-level Typer
app. They import their libraries when they run, so `advocate --help` loads none of them.
"""

from __future__ import annotations

from typing import Annotated

import typer

from advocate.cli import digests, knowledge, loyalty, operations, records, setup, slack
from advocate.cli.context import LazyServices
from advocate.cli.help import PlainHelpGroup

app = typer.Typer(
    cls=PlainHelpGroup,
    add_completion=False, no_args_is_help=True, help="Advocate: the customer's standpoint in every decision."
)
for area in (setup, knowledge, records, loyalty, digests, slack, operations):
    app.add_typer(area.app)


@app.callback()
def _root(
    ctx: typer.Context,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log debug detail to stderr.")] = False,
) -> None:
    from advocate import logging_setup

    # ADVOCATE_LOG_FORMAT (text or json), ids per request or job, tokens and secrets scrubbed.
    logging_setup.configure_cli_logging(verbose=verbose)
    if ctx.obj is None:
        ctx.obj = LazyServices()
    ctx.call_on_close(ctx.obj.close)


def main() -> None:
    app()


if __name__ == "__main__":
    main()
