"""`advocate customers|staff|promises`: the records from the terminal.

Errors go to stderr as `error: …`, with exit code 2 for bad input (the message names the field) and 1
for everything else.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, tzinfo
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal

import typer

from advocate.cli.console import EXIT_BAD_INPUT, JsonFlag, fail, local_time, note, print_json, say
from advocate.cli.context import services

if TYPE_CHECKING:
    from records.promises import PromiseBook, PromiseView

MapOption = Annotated[list[str] | None, typer.Option(
    "--map", metavar="COLUMN=FIELD", help="Column mapping (repeatable), for headers that are not recognised.")]
SummaryJson = Annotated[bool, typer.Option("--json", help="Print the summary as one JSON object.")]
CsvFile = Annotated[Path, typer.Argument(help="The CSV file; its first line names the columns.")]
PromiseId = Annotated[str, typer.Argument(help="The promise id.")]
By = Annotated[str, typer.Option("--by", help="Who does it (default: the promise's owner).")]
DUE_HELP = ("When: 'tomorrow 16:00', 'in 3 days', 'friday 10:00', 'in 2 hours', or '2026-11-30 16:00' "
            "(a date alone: 17:00 that day).")
Zone = Annotated[str | None, typer.Option("--tz", metavar="ZONE", help="Time zone of --due, e.g. Europe/London.")]

app = typer.Typer()
customers_app = typer.Typer(no_args_is_help=True, help="Customers: import the customer list.")
staff_app = typer.Typer(no_args_is_help=True, help="Staff: who reports to whom, Slack ids, time zones.")
promises_app = typer.Typer(no_args_is_help=True, help="Promises to customers: record, close, follow up.")
app.add_typer(customers_app, name="customers")
app.add_typer(staff_app, name="staff")
app.add_typer(promises_app, name="promises")


@contextmanager
def input_errors() -> Iterator[None]:
    """Input the records refuse (InputError, NotFound: the message names the field) ends the command
    with exit code 2; nothing was written."""
    from records.errors import InputError, NotFound

    try:
        yield
    except (InputError, NotFound) as exc:
        raise fail(str(exc), EXIT_BAD_INPUT) from None


def promise_line(promise: PromiseView, timezone: tzinfo, *, now: datetime | None = None) -> str:
    due = local_time(promise.due_at, timezone)
    flag = " OVERDUE" if now is not None and promise.overdue(now) else ""
    return f"{promise.id}  [{promise.status}{flag}]  {promise.customer_id}  {promise.owner}  due {due}  {promise.text}"


def due_text(due: str, tz: str | None, book: PromiseBook, now: datetime) -> str:
    """--due as the records read it: a relative phrase ("tomorrow 16:00") made a date and time in --tz, or
    else the organisation's zone; anything else unchanged."""
    from advocate.cli.when import absolute
    from records.due_times import zone

    return absolute(due, now=now, zone=zone(tz) if tz else book.timezone)


def import_csv(ctx: typer.Context, book: Literal["customers", "staff", "promises"], file: Path,
               pairs: list[str] | None, as_json: bool) -> None:
    """Import a CSV file into one of the records' books: the summary on stdout, each rejected row on stderr
    (by line), exit code 2 when any was rejected."""
    from records import customers, promises, staff
    from records.csv_rows import parse_mapping

    fields = {"customers": customers.FIELDS, "staff": staff.FIELDS, "promises": promises.FIELDS}[book]
    with input_errors():
        mapping = parse_mapping(pairs or [], fields)
        summary = getattr(services(ctx).records, book).import_csv(file, mapping=mapping)
    for problem in summary.problems:
        note(f"rejected {problem}")
    if as_json:
        print_json(summary.as_dict())
    else:
        say(summary.line())
    if summary.rejected:
        raise typer.Exit(EXIT_BAD_INPUT)


# -- imports ------------------------------------------------------------------------------------------------
@customers_app.command("import")
def customers_import(ctx: typer.Context, file: CsvFile, map_: MapOption = None, as_json: SummaryJson = False) -> None:
    """Upsert customers by id (columns: id, name, customer_since, owner, segment, value). Bad rows are reported
    by line; the good ones are kept."""
    import_csv(ctx, "customers", file, map_, as_json)


@staff_app.command("import")
def staff_import(ctx: typer.Context, file: CsvFile, map_: MapOption = None, as_json: SummaryJson = False) -> None:
    """Upsert staff by handle (columns: handle, name, function, manager, slack_user_id, tz, and optionally
    digest_cron); a manager must be in the file or already known."""
    import_csv(ctx, "staff", file, map_, as_json)


@promises_app.command("import")
def promises_import(ctx: typer.Context, file: CsvFile, map_: MapOption = None, as_json: SummaryJson = False) -> None:
    """Upsert promises by id (columns: id, customer_id, promise, owner, due, status; history welcome: past
    dues, kept and broken ones)."""
    import_csv(ctx, "promises", file, map_, as_json)


# -- staff ------------------------------------------------------------------------------------------------
@staff_app.command("list")
def staff_list(
    ctx: typer.Context,
    as_json: JsonFlag = False,
) -> None:
    """Everyone in staff: manager, Slack id, time zone, and each manager's digest schedule."""
    from jobs.manager_digest import Schedules, cron_of, recipients, zone_of
    from records.clock import now_utc

    svc = services(ctx)
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
        print_json({"staff": rows})
        return
    if not rows:
        say("No staff yet: `advocate staff import FILE.csv` adds them.")
        return
    for person, row in zip(people, rows, strict=True):
        line = (f"{row['handle']}  {row['name']}  function {row['function'] or '-'}  "
                f"manager {row['manager'] or '-'}  slack {row['slack_user_id'] or '-'}  "
                f"tz {row['tz'] or '(organisation: ' + svc.settings.timezone + ')'}")
        if row["gets_manager_digest"]:
            own = "own" if person.digest_cron else "organisation's"
            upcoming = datetime.fromisoformat(row["next_digest"]) if row["next_digest"] else None
            shown = local_time(upcoming, zone_of(person, svc.records.timezone)) if upcoming else "never"
            line += f"  digest '{cron_of(person, svc.settings)}' ({own}), next {shown}"
        say(line)


# -- promises -----------------------------------------------------------------------------------------------
def change_promise(
    ctx: typer.Context, verb: str, as_json: bool, change: Callable[[PromiseBook, datetime], PromiseView]
) -> None:
    """Make one change to the promises (`change(book, now)`) and show the promise as it is now."""
    from records.clock import now_utc

    records = services(ctx).records
    with input_errors():
        promise = change(records.promises, now_utc())
    if as_json:
        print_json(promise.as_json())
    else:
        say(f"{verb} {promise_line(promise, records.timezone)}")


@promises_app.command("add")
def promises_add(
    ctx: typer.Context,
    text: Annotated[str, typer.Argument(help="What was promised, in quotes.")],
    customer: Annotated[str, typer.Option("--customer", help="Customer id.")],
    owner: Annotated[str, typer.Option("--owner", help="Staff handle of who keeps it.")],
    due: Annotated[str, typer.Option("--due", metavar="WHEN", help=DUE_HELP)],
    tz: Zone = None,
    permalink: Annotated[str | None, typer.Option("--permalink", help="Link to the Slack thread.")] = None,
    by: By = "",
    as_json: JsonFlag = False,
) -> None:
    """Record a promise made to a customer."""
    change_promise(ctx, "recorded", as_json, lambda book, now: book.add(
        customer=customer, text=text, owner=owner, due=due_text(due, tz, book, now), tz=tz, permalink=permalink,
        by=by, now=now))


@promises_app.command("list")
def promises_list(
    ctx: typer.Context,
    owner: Annotated[str | None, typer.Option("--owner", help="Only this owner's.")] = None,
    team: Annotated[str | None, typer.Option("--team", help="Only this manager's team's.")] = None,
    customer: Annotated[str | None, typer.Option("--customer", help="Only promises to this customer.")] = None,
    status: Annotated[str, typer.Option("--status", help="open, kept, broken, cancelled or all.")] = "open",
    overdue: Annotated[bool, typer.Option("--overdue", help="Only open promises past their due time.")] = False,
    limit: Annotated[int, typer.Option("--limit", min=1, max=10_000)] = 200,
    as_json: JsonFlag = False,
) -> None:
    """Promises, earliest due first (open ones by default)."""
    from records.clock import now_utc

    records = services(ctx).records
    owners: list[str] | None = None
    if owner or team:
        who = records.staff.resolve(owner or team or "")
        if who is None:
            raise fail(f"--{'owner' if owner else 'team'} {owner or team!r} is not in staff", EXIT_BAD_INPUT)
        owners = [who.handle] if owner else records.staff.chart().team(who.handle)
    now = now_utc()
    with input_errors():
        promises = records.promises.list(
            owners=owners, customer=customer, status=None if status == "all" else ("open" if overdue else status),
            due_before=now if overdue else None, limit=limit,
        )
    if as_json:
        print_json({"promises": [p.as_json() for p in promises]})
        return
    if not promises:
        say("no promises match")
    for promise in promises:
        say(promise_line(promise, records.timezone, now=now))


@promises_app.command("close")
def promises_close(
    ctx: typer.Context,
    promise_id: PromiseId,
    outcome: Annotated[str, typer.Argument(help="kept or broken.")],
    by: By = "",
    note_: Annotated[str, typer.Option("--note", help="Anything worth keeping on the record.")] = "",
    as_json: JsonFlag = False,
) -> None:
    """Close an open promise as kept or broken."""
    change_promise(ctx, "closed", as_json,
                   lambda book, now: book.close(promise_id, outcome=outcome.lower(), by=by, why=note_, now=now))


@promises_app.command("cancel")
def promises_cancel(
    ctx: typer.Context,
    promise_id: PromiseId,
    reason: Annotated[str, typer.Option("--reason", help="Why it is no longer wanted.")],
    by: By = "",
    as_json: JsonFlag = False,
) -> None:
    """Cancel an open promise (it then leaves the keep rate)."""
    change_promise(ctx, "cancelled", as_json, lambda book, now: book.cancel(promise_id, by=by, why=reason, now=now))


@promises_app.command("reschedule")
def promises_reschedule(
    ctx: typer.Context,
    promise_id: PromiseId,
    due: Annotated[str, typer.Option("--due", metavar="WHEN", help=DUE_HELP)],
    reason: Annotated[str, typer.Option("--reason", help="Why it moves (kept on the record).")],
    tz: Zone = None,
    by: By = "",
    as_json: JsonFlag = False,
) -> None:
    """Move an open promise's due time, with the reason."""
    change_promise(ctx, "rescheduled", as_json,
                   lambda book, now: book.reschedule(promise_id, due=due_text(due, tz, book, now), tz=tz, why=reason,
                                                     by=by, now=now))


@promises_app.command("reassign")
def promises_reassign(
    ctx: typer.Context,
    promise_id: PromiseId,
    to: Annotated[str, typer.Option("--to", help="Staff handle of the new owner.")],
    reason: Annotated[str, typer.Option("--reason")] = "",
    by: By = "",
    as_json: JsonFlag = False,
) -> None:
    """Give an open promise to someone else."""
    change_promise(ctx, "reassigned", as_json,
                   lambda book, now: book.reassign(promise_id, to=to, why=reason, by=by, now=now))
