"""Staff: import from CSV, the org chart (who reports to whom), Slack user ids, time zones and each
manager's own digest schedule (`digest_cron`, read in their time zone)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from records.clock import now_utc
from records.csv_rows import CsvRow, ImportSummary, RowProblem, read_rows
from records.models import Staff

FIELDS: tuple[str, ...] = ("handle", "name", "function", "manager", "slack_user_id", "tz", "digest_cron")
REQUIRED: tuple[str, ...] = ("handle", "name")
ALIASES: dict[str, str] = {
    "handle": "handle", "username": "handle", "user": "handle", "login": "handle", "staffid": "handle",
    "name": "name", "fullname": "name", "displayname": "name",
    "function": "function", "department": "function", "team": "function",
    "manager": "manager", "reportsto": "manager", "managerhandle": "manager", "linemanager": "manager",
    "slackuserid": "slack_user_id", "slackid": "slack_user_id", "slackuser": "slack_user_id",
    "tz": "tz", "timezone": "tz", "zone": "tz",
    "digestcron": "digest_cron", "digestschedule": "digest_cron", "managerdigestcron": "digest_cron",
}
_HANDLE = re.compile(r"[a-z0-9][a-z0-9._-]{0,99}")
_SLACK_USER = re.compile(r"[UW][A-Z0-9]{2,31}")


@dataclass(frozen=True)
class StaffView:
    handle: str
    name: str
    function: str
    manager: str | None
    slack_user_id: str | None
    tz: str | None
    # Their own crontab for the manager digest (in `tz`); None: the organisation's MANAGER_DIGEST_CRON.
    digest_cron: str | None = None

    @classmethod
    def of(cls, row: Staff) -> StaffView:
        return cls(row.handle, row.name, row.function, row.manager, row.slack_user_id, row.tz, row.digest_cron)


@dataclass
class OrgChart:
    """Everyone and their manager, in memory: the staff list is small next to the customer list."""

    people: dict[str, StaffView]
    reports: dict[str, list[str]] = field(default_factory=dict)
    # Answers derived from the whole chart (e.g. who thanks whose customers), computed once per chart.
    memo: dict[object, object] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        for person in self.people.values():
            if person.manager:
                self.reports.setdefault(person.manager, []).append(person.handle)

    def get(self, handle: str) -> StaffView | None:
        return self.people.get(handle)

    def chain(self, handle: str) -> list[str]:
        """The handle's managers, nearest first (a loop in the data stops the walk)."""
        above: list[str] = []
        current = self.people.get(handle)
        while current and current.manager and current.manager not in above and current.manager != handle:
            above.append(current.manager)
            current = self.people.get(current.manager)
        return above

    def team(self, manager: str) -> list[str]:
        """The manager and everyone below them."""
        members, queue = [manager], [manager]
        seen = {manager}
        while queue:
            for report in self.reports.get(queue.pop(), []):
                if report not in seen:
                    seen.add(report)
                    members.append(report)
                    queue.append(report)
        return members

    def managers(self) -> list[str]:
        return sorted(h for h in self.reports if h in self.people)

    def name(self, handle: str) -> str:
        person = self.people.get(handle)
        return person.name if person else handle


class StaffDirectory:
    def __init__(self, *, sessions: sessionmaker[Session]) -> None:
        # Transactions on the records database: `with sessions.begin() as session:` commits at the end.
        self.sessions = sessions

    def get(self, handle: str) -> StaffView | None:
        with self.sessions.begin() as session:
            row = session.get(Staff, handle)
            return StaffView.of(row) if row else None

    def resolve(self, who: str) -> StaffView | None:
        """A staff member by handle or Slack user id."""
        who = who.strip().lstrip("@")
        with self.sessions.begin() as session:
            row = session.get(Staff, who.lower()) or session.scalar(select(Staff).where(Staff.slack_user_id == who))
            return StaffView.of(row) if row else None

    def chart(self) -> OrgChart:
        with self.sessions.begin() as session:
            return OrgChart({row.handle: StaffView.of(row) for row in session.scalars(select(Staff))})

    def listing(self) -> list[StaffView]:
        """Everyone, by handle (`advocate staff list`)."""
        with self.sessions.begin() as session:
            return [StaffView.of(row) for row in session.scalars(select(Staff).order_by(Staff.handle))]

    def slack_ids(self, handles: Iterable[str]) -> dict[str, str]:
        handles = list(handles)
        with self.sessions.begin() as session:
            rows = session.execute(
                select(Staff.handle, Staff.slack_user_id)
                .where(Staff.handle.in_(handles), Staff.slack_user_id.is_not(None))
            )
            return {handle: slack_id for handle, slack_id in rows}

    def import_csv(self, path: Path, *, mapping: dict[str, str] | None = None) -> ImportSummary:
        """Upsert staff by handle. A manager must be in the file or already in staff."""
        summary = ImportSummary(what="staff")
        good, present = _good_rows(path, mapping, summary)
        with self.sessions.begin() as session:
            existing = {row.handle: row for row in session.scalars(select(Staff))}
            now = now_utc()
            for handle, values in _consistent(good, existing, summary).items():
                row = existing.get(handle)
                if row is None:
                    session.add(Staff(**values, updated_at=now))
                    summary.added += 1
                    continue
                # A file without digest_cron (an older export) keeps the stored schedules.
                changed = [name for name, value in values.items() if getattr(row, name) != value
                           and (name != "digest_cron" or name in present)]
                for name in changed:
                    setattr(row, name, values[name])
                if changed:
                    row.updated_at = now
                    summary.updated += 1
                else:
                    summary.unchanged += 1
        return summary


StaffRow = dict[str, str | None]


def _good_rows(
    path: Path, mapping: dict[str, str] | None, summary: ImportSummary
) -> tuple[dict[str, tuple[int, StaffRow]], set[str]]:
    """The file's valid rows by handle (with their line), and the columns the file has; the rest go to
    `summary.problems`."""
    good: dict[str, tuple[int, StaffRow]] = {}
    present: set[str] = set()
    for item in read_rows(path, fields=FIELDS, required=REQUIRED, aliases=ALIASES, mapping=mapping):
        if isinstance(item, RowProblem):
            summary.problems.append(item)
            continue
        present.update(item.values)
        checked = _validated(item)
        if isinstance(checked, RowProblem):
            summary.problems.append(checked)
            continue
        handle = str(checked["handle"])
        if handle in good:
            summary.problems.append(RowProblem(item.line, f"handle {handle!r} already on line {good[handle][0]}"))
            continue
        good[handle] = (item.line, checked)
    return good, present


def _consistent(
    good: dict[str, tuple[int, StaffRow]], existing: Mapping[str, Staff], summary: ImportSummary
) -> dict[str, StaffRow]:
    """The rows that keep staff consistent with what is stored: every manager known, no manager chain
    looping, one person per Slack user id. The others go to `summary.problems`."""
    managers = {h: row.manager for h, row in existing.items()}
    managers.update({h: values["manager"] for h, (_, values) in good.items()})
    slack_owner = {row.slack_user_id: h for h, row in existing.items() if row.slack_user_id}
    accepted: dict[str, StaffRow] = {}
    for handle, (line, values) in good.items():
        manager = values["manager"]
        if manager and manager not in managers:
            summary.problems.append(RowProblem(
                line, f"{handle}: manager {manager!r} is not in this file or in staff; add them or leave it empty",
            ))
            managers[handle] = existing[handle].manager if handle in existing else None
            continue
        if _loops(handle, managers):
            summary.problems.append(RowProblem(line, f"{handle}: manager chain loops back to {handle}"))
            managers[handle] = existing[handle].manager if handle in existing else None
            continue
        slack_id = values["slack_user_id"]
        if slack_id and slack_owner.get(slack_id, handle) != handle:
            summary.problems.append(RowProblem(
                line, f"{handle}: slack_user_id {slack_id} already belongs to {slack_owner[slack_id]}"
            ))
            continue
        if slack_id:
            slack_owner[slack_id] = handle
        accepted[handle] = values
    return accepted


def _loops(handle: str, managers: Mapping[str, str | None]) -> bool:
    seen = {handle}
    current = managers.get(handle)
    while current:
        if current == handle:
            return True
        if current in seen:
            return False  # a loop above, not through this person: reported on its own rows
        seen.add(current)
        current = managers.get(current)
    return False


def _validated(row: CsvRow) -> StaffRow | RowProblem:
    handle = row.get("handle").lower()
    if not _HANDLE.fullmatch(handle):
        return RowProblem(row.line, f"handle {row.get('handle')!r} must be letters, digits and . _ - (e.g. tom.baines)")
    name = " ".join(row.get("name").split())
    if not name:
        return RowProblem(row.line, f"{handle}: empty name")
    manager = row.get("manager").lower() or None
    if manager == handle:
        return RowProblem(row.line, f"{handle}: cannot be their own manager")
    slack_id = row.get("slack_user_id") or None
    if slack_id and not _SLACK_USER.fullmatch(slack_id):
        return RowProblem(row.line, f"{handle}: slack_user_id {slack_id!r} is not a Slack user id (like U012ABCDEF)")
    tz = row.get("tz") or None
    if tz:
        try:
            ZoneInfo(tz)
        except (ZoneInfoNotFoundError, ValueError):
            return RowProblem(row.line, f"{handle}: tz {tz!r} is not a time zone; use an IANA name like Europe/London")
    digest_cron = " ".join(row.get("digest_cron").split()) or None
    if digest_cron:
        problem = cron_problem(digest_cron)
        if problem:
            return RowProblem(row.line, f"{handle}: digest_cron {digest_cron!r} {problem}")
    return {
        "handle": handle, "name": name, "function": row.get("function").lower(), "manager": manager,
        "slack_user_id": slack_id, "tz": tz, "digest_cron": digest_cron,
    }


def cron_problem(cron: str) -> str | None:
    """What is wrong with a digest crontab, or None when APScheduler takes it."""
    from apscheduler.triggers.cron import CronTrigger

    try:
        CronTrigger.from_crontab(cron)
    except ValueError:
        return ("is not a crontab: five fields, minute hour day month weekday, e.g. '0 16 * * fri'; "
                "leave it empty for the organisation's schedule")
    return None
