"""`advocate customers|customer|staff|promises|thanks|keep-rate`: the records from the terminal.

Registered on the main app by `register`. As everywhere in the CLI, stdout carries only the answer
(text, or one JSON object with --json); errors go to stderr as `error: …`, with exit code 2 for bad
input (the message names the field) and 1 for everything else.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from advocate.services import Services
from records.csv_rows import ImportSummary, parse_mapping
from records.due_times import show_due
from records.errors import InputError, NotFound
from records.keep_rate import KeepRateReport
from records.loyalty import CustomerCard, ThankYou
from records.promises import PromiseView

EXIT_BAD_INPUT = 2
MAP_HELP = "Column mapping, COLUMN=FIELD (repeatable), for headers that are not recognised."

err = Console(stderr=True, soft_wrap=True)
out = Console(soft_wrap=True, highlight=False)

GetServices = Callable[[], Services]
Fail = Callable[..., typer.Exit]


def now_utc() -> datetime:
    return datetime.now(UTC)


def _print(text: str) -> None:
    out.print(text, markup=False, highlight=False)


def _json(data: Any) -> None:
    print(json.dumps(data, ensure_ascii=False, default=str))


def register(app: typer.Typer, *, services: GetServices, fail: Fail) -> None:
    """Add the records commands to `app`. `services` builds the services on first use; `fail` makes
    the `error: …` exit."""

    def bad(exc: Exception) -> typer.Exit:
        return fail(str(exc), EXIT_BAD_INPUT)

    def finish_import(summary: ImportSummary, as_json: bool) -> None:
        for problem in summary.problems:
            err.print(f"rejected {problem}", markup=False, highlight=False)
        if as_json:
            _json(summary.as_dict())
        else:
            _print(summary.line())
        if summary.rejected:
            raise typer.Exit(EXIT_BAD_INPUT)

    def mapping_of(pairs: list[str] | None, fields: tuple[str, ...]) -> dict[str, str]:
        try:
            return parse_mapping(pairs or [], fields)
        except InputError as exc:
            raise bad(exc) from None

    # -- customers --------------------------------------------------------------------------------------
    customers_app = typer.Typer(no_args_is_help=True, help="Customers: import the customer list.")
    app.add_typer(customers_app, name="customers")

    @customers_app.command("import")
    def customers_import(
        file: Annotated[Path, typer.Argument(help="CSV: id, name, customer_since, owner, segment, value.")],
        map_: Annotated[list[str] | None, typer.Option("--map", help=MAP_HELP)] = None,
        as_json: Annotated[bool, typer.Option("--json", help="Print the summary as one JSON object.")] = False,
    ) -> None:
        """Upsert customers by id. Bad rows are reported by line; the good ones are kept."""
        from records.customers import FIELDS

        mapping = mapping_of(map_, FIELDS)
        try:
            summary = services().records.customers.import_csv(file, mapping=mapping)
        except InputError as exc:
            raise bad(exc) from None
        finish_import(summary, as_json)

    @app.command("customer")
    def customer(
        query: Annotated[str, typer.Argument(help="Customer id (C00105) or name (or the start of it).")],
        as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
    ) -> None:
        """Tenure, next milestone, recent feedback and open promises: what you need to say thanks."""
        if not query.strip():
            raise fail("the customer is empty; give an id like C00105 or a name", EXIT_BAD_INPUT)
        svc = services()
        now = now_utc()
        lookup = svc.loyalty.lookup(query, today=now.astimezone(svc.records.timezone).date(), now=now)
        if lookup.card is None:
            if as_json:
                _json({"query": query, "customer": None,
                       "candidates": [{"id": c.id, "name": c.name} for c in lookup.candidates]})
            for candidate in lookup.candidates:
                err.print(f"  {candidate.id}  {candidate.name} (since {candidate.customer_since:%Y})",
                          markup=False, highlight=False)
            raise fail(f"{query!r}: {lookup.message}", EXIT_BAD_INPUT)
        if as_json:
            _json(lookup.card.as_json())
            return
        _print(card_text(lookup.card, svc))

    # -- staff ----------------------------------------------------------------------------------------------
    staff_app = typer.Typer(no_args_is_help=True, help="Staff: who reports to whom, Slack ids, time zones.")
    app.add_typer(staff_app, name="staff")

    @staff_app.command("import")
    def staff_import(
        file: Annotated[Path, typer.Argument(
            help="CSV: handle, name, function, manager, slack_user_id, tz, and optionally digest_cron.")],
        map_: Annotated[list[str] | None, typer.Option("--map", help=MAP_HELP)] = None,
        as_json: Annotated[bool, typer.Option("--json", help="Print the summary as one JSON object.")] = False,
    ) -> None:
        """Upsert staff by handle; a manager must be in the file or already known."""
        from records.staff import FIELDS

        mapping = mapping_of(map_, FIELDS)
        try:
            summary = services().records.staff.import_csv(file, mapping=mapping)
        except InputError as exc:
            raise bad(exc) from None
        finish_import(summary, as_json)

    @staff_app.command("list")
    def staff_list(
        as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
    ) -> None:
        """Everyone in staff: manager, Slack id, time zone, and each manager's digest schedule."""
        from jobs.manager_digest import Schedules, cron_of, recipients, zone_of

        svc = services()
        people = svc.records.staff.listing()
        chart = svc.records.staff.chart()
        receives = set(recipients(svc.settings, chart))
        schedules = Schedules(settings=svc.settings, default_zone=svc.records.timezone)
        now = now_utc()
        rows: list[dict[str, Any]] = []
        for person in people:
            zone = zone_of(person, svc.records.timezone)
            row: dict[str, Any] = {
                "handle": person.handle, "name": person.name, "function": person.function,
                "manager": person.manager, "slack_user_id": person.slack_user_id, "tz": person.tz,
                "digest_cron": person.digest_cron, "gets_manager_digest": person.handle in receives,
                "next_digest": None,
            }
            if person.handle in receives:
                upcoming = schedules.next_slot(person, now=now)
                row["next_digest"] = upcoming.astimezone(zone).isoformat() if upcoming else None
            rows.append(row)
        if as_json:
            _json({"staff": rows})
            return
        if not rows:
            _print("No staff yet: `advocate staff import FILE.csv` adds them.")
            return
        for person, row in zip(people, rows, strict=True):
            line = (f"{row['handle']}  {row['name']}  function {row['function'] or '-'}  "
                    f"manager {row['manager'] or '-'}  slack {row['slack_user_id'] or '-'}  "
                    f"tz {row['tz'] or '(organisation: ' + svc.settings.timezone + ')'}")
            if row["gets_manager_digest"]:
                own = "own" if person.digest_cron else "organisation's"
                line += f"  digest '{cron_of(person, svc.settings)}' ({own}), next {row['next_digest'] or 'never'}"
            _print(line)

    # -- promises ---------------------------------------------------------------------------------------
    promises_app = typer.Typer(no_args_is_help=True, help="Promises to customers: record, close, follow up.")
    app.add_typer(promises_app, name="promises")

    def show(promise: PromiseView, svc: Services, as_json: bool, verb: str) -> None:
        if as_json:
            _json(promise.as_json())
        else:
            _print(f"{verb} {promise_line(promise, svc)}")

    @promises_app.command("add")
    def promises_add(
        text: Annotated[str, typer.Argument(help="What was promised, in quotes.")],
        customer: Annotated[str, typer.Option("--customer", help="Customer id.")],
        owner: Annotated[str, typer.Option("--owner", help="Staff handle of who keeps it.")],
        due: Annotated[str, typer.Option("--due", help="When: '2026-11-30 16:00' (or with +01:00).")],
        tz: Annotated[str | None, typer.Option("--tz", help="Time zone of --due, e.g. Europe/London.")] = None,
        permalink: Annotated[str | None, typer.Option("--permalink", help="Link to the Slack thread.")] = None,
        by: Annotated[str, typer.Option("--by", help="Who records it (default: the owner).")] = "",
        as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
    ) -> None:
        """Record a promise made to a customer."""
        svc = services()
        try:
            promise = svc.records.promises.add(
                customer=customer, text=text, owner=owner, due=due, tz=tz, permalink=permalink, by=by, now=now_utc()
            )
        except InputError as exc:
            raise bad(exc) from None
        show(promise, svc, as_json, "recorded")

    @promises_app.command("list")
    def promises_list(
        owner: Annotated[str | None, typer.Option("--owner", help="Only this owner's.")] = None,
        team: Annotated[str | None, typer.Option("--team", help="Only this manager's team's.")] = None,
        customer: Annotated[str | None, typer.Option("--customer", help="Only promises to this customer.")] = None,
        status: Annotated[str, typer.Option("--status", help="open, kept, broken, cancelled or all.")] = "open",
        overdue: Annotated[bool, typer.Option("--overdue", help="Only open promises past their due time.")] = False,
        limit: Annotated[int, typer.Option("--limit", min=1, max=10_000)] = 200,
        as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
    ) -> None:
        """Promises, earliest due first (open ones by default)."""
        svc = services()
        owners: list[str] | None = None
        if owner or team:
            who = svc.records.staff.resolve(owner or team or "")
            if who is None:
                raise fail(f"--{'owner' if owner else 'team'} {owner or team!r} is not in staff", EXIT_BAD_INPUT)
            owners = [who.handle] if owner else svc.records.staff.chart().team(who.handle)
        now = now_utc()
        try:
            promises = svc.records.promises.list(
                owners=owners, customer=customer, status=None if status == "all" else ("open" if overdue else status),
                due_before=now if overdue else None, limit=limit,
            )
        except InputError as exc:
            raise bad(exc) from None
        if as_json:
            _json({"promises": [p.as_json() for p in promises]})
            return
        if not promises:
            _print("no promises match")
        for promise in promises:
            _print(promise_line(promise, svc, now=now))

    @promises_app.command("close")
    def promises_close(
        promise_id: Annotated[str, typer.Argument(help="The promise id.")],
        outcome: Annotated[str, typer.Argument(help="kept or broken.")],
        by: Annotated[str, typer.Option("--by", help="Who closes it (default: the owner).")] = "",
        note: Annotated[str, typer.Option("--note", help="Anything worth keeping on the record.")] = "",
        as_json: Annotated[bool, typer.Option("--json")] = False,
    ) -> None:
        """Close an open promise as kept or broken."""
        svc = services()
        try:
            promise = svc.records.promises.close(promise_id, outcome=outcome.lower(), by=by, why=note, now=now_utc())
        except (InputError, NotFound) as exc:
            raise bad(exc) from None
        show(promise, svc, as_json, "closed")

    @promises_app.command("cancel")
    def promises_cancel(
        promise_id: Annotated[str, typer.Argument(help="The promise id.")],
        reason: Annotated[str, typer.Option("--reason", help="Why it is no longer wanted.")],
        by: Annotated[str, typer.Option("--by")] = "",
        as_json: Annotated[bool, typer.Option("--json")] = False,
    ) -> None:
        """Cancel an open promise (it then leaves the keep rate)."""
        svc = services()
        try:
            promise = svc.records.promises.cancel(promise_id, by=by, why=reason, now=now_utc())
        except (InputError, NotFound) as exc:
            raise bad(exc) from None
        show(promise, svc, as_json, "cancelled")

    @promises_app.command("reschedule")
    def promises_reschedule(
        promise_id: Annotated[str, typer.Argument(help="The promise id.")],
        due: Annotated[str, typer.Option("--due", help="The new due time, e.g. '2026-12-02 16:00'.")],
        reason: Annotated[str, typer.Option("--reason", help="Why it moves (kept on the record).")],
        tz: Annotated[str | None, typer.Option("--tz", help="Time zone of --due.")] = None,
        by: Annotated[str, typer.Option("--by")] = "",
        as_json: Annotated[bool, typer.Option("--json")] = False,
    ) -> None:
        """Move an open promise's due time, with the reason."""
        svc = services()
        try:
            promise = svc.records.promises.reschedule(promise_id, due=due, tz=tz, why=reason, by=by, now=now_utc())
        except (InputError, NotFound) as exc:
            raise bad(exc) from None
        show(promise, svc, as_json, "rescheduled")

    @promises_app.command("reassign")
    def promises_reassign(
        promise_id: Annotated[str, typer.Argument(help="The promise id.")],
        to: Annotated[str, typer.Option("--to", help="Staff handle of the new owner.")],
        reason: Annotated[str, typer.Option("--reason")] = "",
        by: Annotated[str, typer.Option("--by")] = "",
        as_json: Annotated[bool, typer.Option("--json")] = False,
    ) -> None:
        """Give an open promise to someone else."""
        svc = services()
        try:
            promise = svc.records.promises.reassign(promise_id, to=to, why=reason, by=by, now=now_utc())
        except (InputError, NotFound) as exc:
            raise bad(exc) from None
        show(promise, svc, as_json, "reassigned")

    @promises_app.command("import")
    def promises_import(
        file: Annotated[Path, typer.Argument(help="CSV: id, customer_id, promise, owner, due, status.")],
        map_: Annotated[list[str] | None, typer.Option("--map", help=MAP_HELP)] = None,
        as_json: Annotated[bool, typer.Option("--json", help="Print the summary as one JSON object.")] = False,
    ) -> None:
        """Upsert promises by id (history welcome: past dues, kept and broken ones)."""
        from records.promises import FIELDS

        mapping = mapping_of(map_, FIELDS)
        try:
            summary = services().records.promises.import_csv(file, mapping=mapping, now=now_utc())
        except InputError as exc:
            raise bad(exc) from None
        finish_import(summary, as_json)

    # -- thanks -------------------------------------------------------------------------------------------
    thanks_app = typer.Typer(no_args_is_help=True, help="Thank long-standing customers.")
    app.add_typer(thanks_app, name="thanks")

    @thanks_app.command("due")
    def thanks_due(
        days: Annotated[int | None, typer.Option("--days", min=1, max=366, help="Look this many days ahead.")] = None,
        sender: Annotated[str | None, typer.Option("--for", help="Only those this person should thank.")] = None,
        limit: Annotated[int, typer.Option("--limit", min=1, max=100_000)] = 200,
        as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
    ) -> None:
        """Customers reaching a tenure milestone soon, not yet thanked, with a suggested thank-you."""
        svc = services()
        handle = None
        if sender:
            person = svc.records.staff.resolve(sender)
            if person is None:
                raise fail(f"--for {sender!r} is not in staff", EXIT_BAD_INPUT)
            handle = person.handle
        now = now_utc()
        window = days or svc.settings.thanks_window_days
        due = svc.loyalty.thanks_due(today=now.astimezone(svc.records.timezone).date(), days=window,
                                     sender=handle, now=now, limit=limit)
        if as_json:
            _json({"days": window, "thanks": [t.as_json() for t in due]})
            return
        if not due:
            _print(f"no milestones to thank in the next {window} days")
        for item in due:
            _print(thank_you_text(item))

    @thanks_app.command("mark")
    def thanks_mark(
        customer_id: Annotated[str, typer.Argument(help="The customer id.")],
        milestone: Annotated[int, typer.Option("--milestone", help="Years the thank-you was for.")],
        by: Annotated[str, typer.Option("--by", help="Who thanked them.")] = "",
        note: Annotated[str, typer.Option("--note")] = "",
    ) -> None:
        """Record that a customer was thanked for a milestone (never suggested again)."""
        svc = services()
        try:
            record = svc.records.thanks.mark(customer_id, milestone=milestone, by=by, note=note, now=now_utc())
        except InputError as exc:
            raise bad(exc) from None
        if record.new:
            _print(f"recorded: {record.customer_id} thanked for {record.milestone} years")
        else:
            _print(f"already recorded: {record.customer_id} thanked for {record.milestone} years on "
                   f"{record.thanked_at:%Y-%m-%d}{' by ' + record.thanked_by if record.thanked_by else ''}")

    # -- keep rate ------------------------------------------------------------------------------------------
    @app.command("keep-rate")
    def keep_rate(
        by: Annotated[str, typer.Option("--by", help="owner, team or org.")] = "org",
        period: Annotated[str, typer.Option("--period", help="week or month.")] = "week",
        periods: Annotated[int | None, typer.Option("--periods", min=2, max=104, help="Past periods.")] = None,
        only: Annotated[str | None, typer.Option("--for", help="Only this owner or manager.")] = None,
        as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
    ) -> None:
        """Promises kept on time, against the best past period (not the average)."""
        if by not in ("owner", "team", "org"):
            raise fail(f"--by {by!r}: use owner, team or org", EXIT_BAD_INPUT)
        if period not in ("week", "month"):
            raise fail(f"--period {period!r}: use week or month", EXIT_BAD_INPUT)
        svc = services()
        now = now_utc()
        handle = None
        if only:
            person = svc.records.staff.resolve(only)
            if person is None:
                raise fail(f"--for {only!r} is not in staff", EXIT_BAD_INPUT)
            handle = person.handle
        rates = svc.records.keep_rates
        if by == "org":
            reports = [rates.report(period=period, periods=periods, now=now)]  # type: ignore[arg-type]
        else:
            reports = rates.reports_by(by=by, chart=svc.records.staff.chart(), period=period,  # type: ignore[arg-type]
                                       periods=periods, now=now, only=[handle] if handle else None)
        if as_json:
            _json({"by": by, "period": period, "reports": [r.as_json() for r in reports]})
            return
        if not reports:
            _print("no promises fell due in these periods")
        for report in reports:
            _print(keep_rate_line(report))


# -- text shown in the terminal --------------------------------------------------------------------------
def promise_line(promise: PromiseView, svc: Services, *, now: datetime | None = None) -> str:
    due = show_due(promise.due_at, promise.due_tz, svc.records.timezone)
    flag = " OVERDUE" if now is not None and promise.overdue(now) else ""
    return f"{promise.id}  [{promise.status}{flag}]  {promise.customer_id}  {promise.owner}  due {due}  {promise.text}"


def thank_you_text(item: ThankYou) -> str:
    lines = [
        f"{item.on:%Y-%m-%d}  {item.customer.name} ({item.customer.id}, {item.customer.segment or 'no segment'}): "
        f"{item.milestone} years, customer since {item.customer.customer_since:%b %Y}",
        f"  thanked by: {item.sender_name} ({item.sender}); owner {item.owner_name}",
    ]
    if item.fix_first:
        lines.append("  FIX FIRST, THANK AFTER: " + "; ".join(item.fix_first))
    for feedback in item.feedback:
        score = f"score {feedback.score}, " if feedback.score is not None else ""
        lines.append(f"  \"{feedback.text}\" ({score}{feedback.channel}, {feedback.date})")
    for promise in item.open_promises:
        lines.append(f"  open promise {promise.id}: {promise.text}")
    lines.append(f"  suggested: {item.message}")
    return "\n".join(lines) + "\n"


def card_text(card: CustomerCard, svc: Services) -> str:
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
    for feedback in card.feedback:
        score = f"score {feedback.score}, " if feedback.score is not None else ""
        lines.append(f"    \"{feedback.text}\" ({score}{feedback.channel}, {feedback.date})")
    lines.append("  open promises:" if card.open_promises else "  no open promises")
    for promise in card.open_promises:
        lines.append(f"    {promise_line(promise, svc, now=now_utc())}")
    return "\n".join(lines)


def keep_rate_line(report: KeepRateReport) -> str:
    latest, best = report.latest, report.best_past
    unit = report.period_kind
    if latest is None or (latest.rate is None and not latest.overdue_open):
        head = f"{report.scope}: no promises fell due last {unit}"
    else:
        if latest.rate is None:
            head = f"{report.scope}: last {unit} ({latest.label}) none closed"
        else:
            head = (f"{report.scope}: last {unit} ({latest.label}) {latest.rate:.0%} kept on time "
                    f"({latest.kept_on_time}/{latest.closed} closed; late {latest.kept_late}, broken {latest.broken})")
        if latest.overdue_open:
            head += f"; still open past due {latest.overdue_open} (not in the rate)"
        if latest.customers:
            head += f"; customers all kept {latest.customers_all_kept}/{latest.customers}"
    if best is not None and best.rate is not None:
        head += f"; best past {unit} {best.rate:.0%} ({best.label})"
        if report.below_best:
            head += " BELOW BEST"
    current = report.current
    if current.rate is not None:
        head += f"; this {unit} so far {current.rate:.0%} ({current.kept_on_time}/{current.closed} closed)"
    return head
