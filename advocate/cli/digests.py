"""`advocate digest preview|send|status|retry` and `advocate jobs` (the scheduler in the foreground)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated

import typer

from advocate.cli.console import EXIT_BAD_INPUT, JsonFlag, fail, local_time, note, out, print_json, say
from advocate.cli.context import services

KIND_HELP = "manager, advocate or reminders."

app = typer.Typer()
digest_app = typer.Typer(no_args_is_help=True, help="Digests: preview, send now, see what is pending.")
app.add_typer(digest_app, name="digest")


@contextmanager
def digest_errors(kind: str) -> Iterator[None]:
    """An unknown --kind or recipient ends the command with exit code 2, Slack not set up with 1."""
    from jobs.digests import KINDS, UnknownRecipient
    from outbound.client import SlackNotConfigured

    if kind not in KINDS:
        raise fail(f"--kind {kind!r}: use one of {', '.join(KINDS)}", EXIT_BAD_INPUT)
    try:
        yield
    except UnknownRecipient as exc:
        raise fail(str(exc), EXIT_BAD_INPUT) from None
    except SlackNotConfigured as exc:
        raise fail(str(exc)) from None


@digest_app.command("preview")
def preview(
    ctx: typer.Context,
    kind: Annotated[str, typer.Option("--kind", help=KIND_HELP)],
    who: Annotated[str, typer.Option("--for", help="Staff handle or Slack user id.")],
    as_json: Annotated[bool, typer.Option("--json", help="The Block Kit payload(s) as sent.")] = False,
) -> None:
    """Show what would be sent now, as Slack shows it; nothing is recorded or sent (--json: the payloads)."""
    from advocate.cli.mrkdwn import blocks
    from jobs.digests import preview as build
    from records.clock import now_utc

    with digest_errors(kind):
        messages = build(services(ctx).job_parts(), kind=kind, who=who, now=now_utc())
    if as_json:
        print_json({"kind": kind, "for": who, "messages": [m.payload() for m in messages]})
        return
    if not messages:
        say(f"nothing to send to {who} now")
    for number, message in enumerate(messages):
        if number:
            out.rule(style="bold")
        for part in blocks(message.payload()):
            out.print(part)


@digest_app.command("send")
def send(
    ctx: typer.Context,
    kind: Annotated[str, typer.Option("--kind", help=KIND_HELP)],
    who: Annotated[str | None, typer.Option("--for", help="Only this person (default: everyone).")] = None,
) -> None:
    """Send now, through the same exactly-once ledger as the scheduler (a repeat sends nothing twice)."""
    from jobs.digests import send as deliver
    from records.clock import now_utc

    with digest_errors(kind):
        report = deliver(services(ctx).job_parts(), kind=kind, who=who, now=now_utc())
    for outcome in report.outcomes:
        if outcome.status in ("failed", "pending", "busy"):
            note(f"{outcome.status}: {outcome.key}: {outcome.detail}")
    say(report.line())
    if report.count("failed"):
        raise typer.Exit(1)


@digest_app.command("status")
def status(
    ctx: typer.Context,
    show_sent: Annotated[bool, typer.Option("--sent", help="Also list recently sent deliveries.")] = False,
    as_json: JsonFlag = False,
) -> None:
    """Deliveries still pending or failed (and why), newest first."""
    statuses = ["pending", "failed", "sent"] if show_sent else ["pending", "failed"]
    rows = services(ctx).records.deliveries.listing(statuses=statuses)
    if as_json:
        print_json({"deliveries": [
            {"key": r.key, "status": r.status, "attempts": r.attempts, "last_error": r.last_error,
             "created_at": r.created_at.isoformat(), "sent_at": r.sent_at.isoformat() if r.sent_at else None}
            for r in rows
        ]})
        return
    if not rows:
        say("nothing pending or failed")
    zone = services(ctx).records.timezone
    for row in rows:
        detail = f"  {row.last_error}" if row.last_error else ""
        say(f"{row.status:<8} {row.key}  attempts {row.attempts}  {local_time(row.created_at, zone)}{detail}")


@digest_app.command("retry")
def retry(
    ctx: typer.Context,
    key: Annotated[str, typer.Argument(help="Delivery key from `advocate digest status`.")],
) -> None:
    """Put a failed delivery back in the queue and try it now (after fixing the cause)."""
    from outbound.client import SlackNotConfigured
    from records.clock import now_utc

    svc = services(ctx)
    row = svc.records.deliveries.get(key)
    if row is None:
        raise fail(f"no delivery {key!r}; `advocate digest status` lists them", EXIT_BAD_INPUT)
    if row.status == "failed" and not row.payload.get("user"):
        raise fail(f"{row.recipient} had no Slack user id when it was recorded; fix the staff list, then "
                   "`advocate digest send` records it again next period", EXIT_BAD_INPUT)
    svc.records.deliveries.retry(key)
    try:
        outcome = svc.deliverer.attempt(key, now=now_utc())
    except SlackNotConfigured as exc:
        raise fail(str(exc)) from None
    say(f"{outcome.status}: {outcome.key}" + (f" ({outcome.detail})" if outcome.detail else ""))
    if outcome.status == "failed":
        raise typer.Exit(1)


@app.command("jobs")
def jobs(ctx: typer.Context) -> None:
    """Run the scheduler alone, in the foreground, until Ctrl-C."""
    from jobs.scheduler import JOBS, run_forever
    from outbound.client import SlackNotConfigured

    svc = services(ctx)
    try:
        _ = svc.slack  # refuse to start a scheduler that could not deliver anything
    except SlackNotConfigured as exc:
        raise fail(str(exc)) from None

    def started(scheduler) -> None:  # type: ignore[no-untyped-def]
        for spec in JOBS:
            job = scheduler.get_job(spec.id)
            when = job.next_run_time.isoformat() if job and job.next_run_time else "paused"
            note(f"{spec.id}: next run {when}")
        note("scheduler running; Ctrl-C stops it")

    run_forever(svc.job_parts(), engine=svc.engine, on_started=started)
