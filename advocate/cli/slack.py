"""`advocate serve`, `advocate advocates add|remove|list`, `advocate decisions list`: the Slack app and what it
records."""

from __future__ import annotations

import logging
from typing import Annotated

import typer

from advocate.cli.console import EXIT_BAD_INPUT, JsonFlag, fail, local_time, print_json, say
from advocate.cli.context import services
from advocate.cli.records import input_errors

app = typer.Typer()
advocates_app = typer.Typer(no_args_is_help=True, help="The customer advocate roster, per function.")
decisions_app = typer.Typer(no_args_is_help=True, help="Decisions briefed in Slack.")
app.add_typer(advocates_app, name="advocates")
app.add_typer(decisions_app, name="decisions")


@app.command()
def serve(
    ctx: typer.Context,
    http: Annotated[bool, typer.Option("--http", help="HTTP Events API instead of Socket Mode.")] = False,
    port: Annotated[int, typer.Option(min=1, max=65535, help="Port for --http.")] = 3000,
    host: Annotated[str, typer.Option(help="Interface for --http.")] = "0.0.0.0",
) -> None:
    """Run the Slack app: Socket Mode (SLACK_BOT_TOKEN, SLACK_APP_TOKEN) or --http (SLACK_SIGNING_SECRET)."""
    from bot.app import SlackSetupError, build_app
    from bot.server import TokenError, check_tokens, limit_malloc_arenas, prepare, run_http, run_socket_mode
    from knowledge.chroma import StoreMismatch

    limit_malloc_arenas()  # before the threads start
    svc = services(ctx)
    try:
        check_tokens(svc.settings, http=http)
    except TokenError as exc:
        raise fail(str(exc), EXIT_BAD_INPUT) from None
    try:
        svc.store.count()  # a collection built with another embedding model: say so now (run advocate reindex)
    except StoreMismatch as exc:
        raise fail(str(exc)) from None
    except Exception:  # noqa: BLE001 - a store that does not answer yet is /healthz's to report
        pass
    logging.getLogger("bot").setLevel(min(logging.getLogger().level, logging.INFO))
    try:
        bolt_app, bot = build_app(svc.bot_parts(), verify_requests=http)
    except SlackSetupError as exc:
        raise fail(str(exc)) from None
    if not http:  # HTTP mode listens first (/healthz: live) and warms up beside it (/readyz: ready)
        prepare(bot)  # load the model and write one brief now, not on the first question
        bot.open(bolt_app)  # and answer what a previous run acknowledged but did not finish
    if svc.settings.scheduler_in_serve:
        # ADVOCATE_SCHEDULER_IN_SERVE: digests and reminders from this process (else `advocate jobs`).
        from jobs.scheduler import start as start_scheduler

        start_scheduler(svc.scheduler, svc.settings)
    try:
        if http:
            run_http(bolt_app, bot, host=host, port=port)
        else:
            run_socket_mode(bolt_app, bot, app_token=svc.settings.slack_app_token.get_secret_value())
    finally:
        bot.close()


@advocates_app.command("list")
def advocates_list(ctx: typer.Context, as_json: JsonFlag = False) -> None:
    """Active advocates by function."""
    records = services(ctx).records
    active = records.advocates.active()
    if as_json:
        print_json([{"slack_user_id": a.slack_user_id, "function": a.function, "staff_handle": a.staff_handle,
                     "last_mentioned_at": a.last_mentioned_at.isoformat() if a.last_mentioned_at else None}
                    for a in active])
        return
    if not active:
        say("no advocates yet: advocate advocates add SLACK_USER_ID FUNCTION")
        return
    for a in active:
        last = local_time(a.last_mentioned_at, records.timezone) if a.last_mentioned_at else "never"
        say(f"{a.function:<12} {a.slack_user_id:<12} {a.staff_handle or '-':<20} last looped in {last}")


@advocates_app.command("add")
def advocates_add(
    ctx: typer.Context,
    slack_user_id: Annotated[str, typer.Argument(help="Their Slack user id, e.g. U012ABCDEF.")],
    function: Annotated[str, typer.Argument(help="The function they advocate in (ADVOCATE_FUNCTIONS).")],
    handle: Annotated[str | None, typer.Option(help="Their staff handle, if staff are imported.")] = None,
) -> None:
    """Name (or re-activate) a customer advocate."""
    svc = services(ctx)
    known = [f.id for f in svc.functions]
    if function.strip().lower() not in known:
        raise fail(f"unknown function {function!r}; use one of {', '.join(known)}", EXIT_BAD_INPUT)
    with input_errors():
        added = svc.records.advocates.add(slack_user_id=slack_user_id, function=function, staff_handle=handle)
    say(f"{added.slack_user_id} advocates for {added.function}")


@advocates_app.command("remove")
def advocates_remove(
    ctx: typer.Context, slack_user_id: Annotated[str, typer.Argument(help="Their Slack user id.")]
) -> None:
    """Take someone off the roster (their past decisions keep them)."""
    if not services(ctx).records.advocates.deactivate(slack_user_id):
        raise fail(f"{slack_user_id} is not an active advocate; `advocate advocates list` shows who is",
                   EXIT_BAD_INPUT)
    say(f"{slack_user_id} removed from the roster")


@decisions_app.command("list")
def decisions_list(
    ctx: typer.Context,
    limit: Annotated[int, typer.Option(min=1, max=1000, help="How many, newest first.")] = 20,
    channel: Annotated[str | None, typer.Option(help="Only this channel id.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON array on stdout.")] = False,
) -> None:
    """Decisions recorded from Slack: question, lenses, advocates, concerns, feedback."""
    records = services(ctx).records
    found = records.slack.decisions(limit=limit, channel=channel)
    if as_json:
        print_json([d.as_json() for d in found])
        return
    if not found:
        say("no decisions recorded yet: they are recorded when a brief is given in Slack")
        return
    for d in found:
        say(f"#{d.id} {local_time(d.created_at, records.timezone)} {d.channel} thread {d.thread_ts}"
            f" · {d.function or 'no function'}")
        say(f"    {d.question[:200]}")
        if d.lenses:
            say(f"    lenses: {', '.join(d.lenses[:3])}")
        say(f"    advocates: {', '.join(d.advocates) or 'none'} · helpful {d.helpful} / not helpful "
            f"{d.not_helpful} · concerns {len(d.concerns)}")
        for who, text in d.concerns:
            say(f"      concern by {who}: {text[:200]}")
