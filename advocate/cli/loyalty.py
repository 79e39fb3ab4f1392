"""`advocate thanks|customer|keep-rate`: treasure loyalty, keep promises — who to thank, and how we keep our word."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Annotated

import typer

from advocate.cli.console import EXIT_BAD_INPUT, JsonFlag, fail, note, print_json, say
from advocate.cli.context import services
from advocate.cli.records import input_errors, promise_line

if TYPE_CHECKING:
    from datetime import datetime, tzinfo

    from records.database import Records
    from records.keep_rate import KeepRateReport, PeriodRate
    from records.loyalty import CustomerCard, FeedbackItem, ThankYou

app = typer.Typer()
thanks_app = typer.Typer(no_args_is_help=True, help="Thank long-standing customers.")
app.add_typer(thanks_app, name="thanks")


def staff_handle(records: Records, who: str, *, option: str) -> str:
    """The staff handle `who` names (a handle or a Slack user id), or exit 2 naming the option."""
    person = records.staff.resolve(who)
    if person is None:
        raise fail(f"{option} {who!r} is not in staff", EXIT_BAD_INPUT)
    return person.handle


@thanks_app.command("due")
def thanks_due(
    ctx: typer.Context,
    days: Annotated[int | None, typer.Option("--days", min=1, max=366, help="Look this many days ahead.")] = None,
    sender: Annotated[str | None, typer.Option("--for", help="Only those this person should thank.")] = None,
    limit: Annotated[int, typer.Option("--limit", min=1, max=100_000)] = 200,
    as_json: JsonFlag = False,
) -> None:
    """Customers reaching a tenure milestone soon, not yet thanked, with a suggested thank-you."""
    from records.clock import now_utc, today_in

    svc = services(ctx)
    handle = staff_handle(svc.records, sender, option="--for") if sender else None
    now = now_utc()
    window = days or svc.settings.thanks_window_days
    loyalty = svc.loyalty
    due = loyalty.thanks_due(today=today_in(svc.records.timezone, now), days=window, sender=handle, now=now,
                             limit=limit)
    # Who thanks which milestones, in the one line the manager digest shows above its thank-yous.
    rule = loyalty.rule.describe()
    if as_json:
        print_json({"days": window, "rule": rule, "thanks": [t.as_json() for t in due]})
        return
    if not due:
        say(f"no milestones to thank in the next {window} days")
        return
    say(rule + "\n")
    for item in due:
        say(thank_you_text(item))


@thanks_app.command("mark")
def thanks_mark(
    ctx: typer.Context,
    customer_id: Annotated[str, typer.Argument(help="The customer id.")],
    milestone: Annotated[int, typer.Option("--milestone", help="Years the thank-you was for.")],
    by: Annotated[str, typer.Option("--by", help="Who thanked them.")] = "",
    note_: Annotated[str, typer.Option("--note")] = "",
) -> None:
    """Record that a customer was thanked for a milestone (never suggested again)."""
    from records.clock import now_utc

    with input_errors():
        record = services(ctx).records.thanks.mark(customer_id, milestone=milestone, by=by, note=note_, now=now_utc())
    if record.new:
        say(f"recorded: {record.customer_id} thanked for {record.milestone} years")
    else:
        say(f"already recorded: {record.customer_id} thanked for {record.milestone} years on "
            f"{record.thanked_at:%Y-%m-%d}{' by ' + record.thanked_by if record.thanked_by else ''}")


@app.command("customer")
def customer(
    ctx: typer.Context,
    query: Annotated[str, typer.Argument(help="Customer id (C00105) or name (or the start of it).")],
    as_json: JsonFlag = False,
) -> None:
    """Tenure, next milestone, recent feedback and open promises: what you need to say thanks."""
    from records.clock import now_utc, today_in

    if not query.strip():
        raise fail("the customer is empty; give an id like C00105 or a name", EXIT_BAD_INPUT)
    svc = services(ctx)
    now = now_utc()
    lookup = svc.loyalty.lookup(query, today=today_in(svc.records.timezone, now), now=now)
    if lookup.card is None:
        if as_json:
            print_json({"query": query, "customer": None,
                        "candidates": [{"id": c.id, "name": c.name} for c in lookup.candidates]})
        for candidate in lookup.candidates:
            note(f"  {candidate.id}  {candidate.name} (since {candidate.customer_since:%Y})")
        raise fail(f"{query!r}: {lookup.message}", EXIT_BAD_INPUT)
    if as_json:
        print_json(lookup.card.as_json())
        return
    say(card_text(lookup.card, svc.records.timezone, now=now))


@app.command("keep-rate")
def keep_rate(
    ctx: typer.Context,
    by: Annotated[str, typer.Option("--by", help="owner, team or org.")] = "org",
    period: Annotated[str, typer.Option("--period", help="week or month.")] = "week",
    periods: Annotated[int | None, typer.Option("--periods", min=2, max=104, help="Past periods.")] = None,
    only: Annotated[str | None, typer.Option("--for", help="Only this owner or manager.")] = None,
    as_json: JsonFlag = False,
) -> None:
    """Promises kept on time, against the best past period (not the average); a period counts as the best
    once 3 or more of its promises are closed."""
    from records.clock import now_utc
    from records.keep_rate import MIN_CLOSED

    if by not in ("owner", "team", "org"):
        raise fail(f"--by {by!r}: use owner, team or org", EXIT_BAD_INPUT)
    if period not in ("week", "month"):
        raise fail(f"--period {period!r}: use week or month", EXIT_BAD_INPUT)
    records = services(ctx).records
    now = now_utc()
    handle = staff_handle(records, only, option="--for") if only else None
    rates = records.keep_rates
    if by == "org":
        reports = [rates.report(period=period, periods=periods, now=now)]  # type: ignore[arg-type]
    else:
        reports = rates.reports_by(by=by, chart=records.staff.chart(), period=period,  # type: ignore[arg-type]
                                   periods=periods, now=now, only=[handle] if handle else None)
    if as_json:
        print_json({"by": by, "period": period, "best_past_needs_closed": MIN_CLOSED,
                    "reports": [r.as_json() for r in reports]})
        return
    if not reports:
        say("no promises fell due in these periods")
    for number, report in enumerate(reports):
        say(("\n" if number else "") + keep_rate_text(report, name=scope_name(report.scope, records),
                                                     timezone=records.timezone))


# -- text shown in the terminal --------------------------------------------------------------------------
def feedback_line(feedback: FeedbackItem) -> str:
    score = f"score {feedback.score}, " if feedback.score is not None else ""
    return f"\"{feedback.text}\" ({score}{feedback.channel}, {feedback.date})"


def thank_you_text(item: ThankYou) -> str:
    lines = [
        f"{item.on:%Y-%m-%d}  {item.customer.name} ({item.customer.id}, {item.customer.segment or 'no segment'}): "
        f"{item.milestone} years, customer since {item.customer.customer_since:%b %Y}",
        f"  thanked by: {item.sender_name} ({item.sender}); owner {item.owner_name}",
    ]
    if item.fix_first:
        lines.append("  FIX FIRST, THANK AFTER: " + "; ".join(item.fix_first))
    lines.extend(f"  {feedback_line(feedback)}" for feedback in item.feedback)
    lines.extend(f"  open promise {promise.id}: {promise.text}" for promise in item.open_promises)
    lines.append(f"  suggested: {item.message}")
    return "\n".join(lines) + "\n"


def card_text(card: CustomerCard, timezone: tzinfo, *, now: datetime) -> str:
    c = card.customer
    lines = [
        f"{c.name} ({c.id})",
        f"  customer since {c.customer_since:%-d %B %Y}: {card.tenure_years} years {card.tenure_months} months",
        f"  segment {c.segment or '-'}; owner {card.owner_name} ({c.owner}); thanked by {card.sender_name}",
    ]
    if card.next_milestone:
        lines.append(f"  next milestone: {card.next_milestone.years} years on {card.next_milestone.on:%-d %B %Y}")
    if card.thanked:
        lines.append("  already thanked for: " + ", ".join(f"{m} years" for m in card.thanked))
    if card.fix_first:
        lines.append("  FIX FIRST, THANK AFTER: " + "; ".join(card.fix_first))
    lines.append("  recent feedback:" if card.feedback else "  no feedback from this customer in the knowledge base")
    lines.extend(f"    {feedback_line(feedback)}" for feedback in card.feedback)
    lines.append("  open promises:" if card.open_promises else "  no open promises")
    lines.extend(f"    {promise_line(promise, timezone, now=now)}" for promise in card.open_promises)
    return "\n".join(lines)


def scope_name(scope: str, records: Records) -> str:
    """ "org" → "Whole organisation"; "team:ruth.okafor" → "Ruth Okafor's team"; "owner:x" → "Name (x)"."""
    if scope == "org":
        return "Whole organisation"
    by, _, handle = scope.partition(":")
    person = records.staff.resolve(handle)
    name = person.name if person else handle
    return f"{name}'s team" if by == "team" else f"{name} ({handle})"


def period_name(period: PeriodRate, kind: str, timezone: tzinfo) -> str:
    """ "November 2026", or "week 48, 23–29 Nov 2026"."""
    first = period.start.astimezone(timezone)
    if kind == "month":
        return f"{first:%B %Y}"
    last = period.end.astimezone(timezone) - timedelta(days=1)
    days = f"{first:%-d}–{last:%-d %b %Y}" if first.month == last.month else f"{first:%-d %b}–{last:%-d %b %Y}"
    return f"week {first.isocalendar().week}, {days}"


def rate_text(period: PeriodRate) -> str:
    if period.rate is None:
        return "none closed yet"
    return (f"{period.rate:.0%} ({period.kept_on_time} of {period.closed} closed; "
            f"{period.kept_late} kept late, {period.broken} broken)")


def keep_rate_text(report: KeepRateReport, *, name: str, timezone: tzinfo) -> str:
    """One scope's keep rate as a few labelled lines: last period, its customers, the best past period it is
    held to (or why there is none), and the period so far."""
    latest, unit = report.latest, report.period_kind
    if latest is None or (latest.rate is None and not latest.overdue_open):
        lines = [f"{name}: no promises fell due last {unit}"]
    else:
        lines = [f"{name}, last {unit}: {period_name(latest, unit, timezone)}",
                 f"  kept on time: {rate_text(latest)}"]
        if latest.overdue_open:
            lines.append(f"  still open past due: {latest.overdue_open} (not in the rate until closed)")
        if latest.customers:
            lines.append(f"  customers with every promise kept on time: {latest.customers_all_kept} of "
                         f"{latest.customers}")
    # The standard and its rule in the words App Home and the manager digest use, from the one place.
    verdict = f" Last {unit} is below it." if report.below_best else ""
    lines.append(f"  {report.best_past_text()}{verdict}")
    current = report.current
    if current.rate is not None:
        lines.append(f"  this {unit} so far: {current.rate:.0%} kept on time ({current.kept_on_time} of "
                     f"{current.closed} closed)")
    return "\n".join(lines)
