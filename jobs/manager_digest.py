"""The weekly manager digest: thank-yous to make, the team's promises due and overdue, the keep rate.

For each manager (everyone with reports, and anyone named as a thank-you sender): customers reaching
a tenure milestone in the coming THANKS_WINDOW_DAYS whom they should thank, with the suggested
thank-you and its context; their team's open promises due this week and overdue; the team's keep
rate against its best past week, with a small chart. Every query is indexed and bounded by the team.

Per-manager schedule. Each manager gets the digest at their cron — their own `staff.digest_cron`, else
MANAGER_DIGEST_CRON — read in THEIR time zone (`staff.tz`, else ADVOCATE_TIMEZONE). The scheduled job
(fixed id `manager_digest`) runs every CHECK_MINUTES, on the quarter hour in UTC, which is a quarter
hour in every zone. Each run asks, per (cron, zone) pair — not per manager, so 1,000 managers in a
handful of zones cost a handful of cron evaluations — whether a slot came in the last catch-up window
(`catch_up_window`: MISFIRE_GRACE_SECONDS, at least two check intervals). A manager whose slot came
is sent the digest for the local ISO week of that slot, through the delivery ledger (key
manager:HANDLE:YYYY-Www): runs repeated within the window, a scheduler restarted mid-week, or two
schedulers at once find the key sent and send nothing more; a slot missed while the scheduler was down
is sent once when it comes back within the window, and skipped (not sent late) after that.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from apscheduler.triggers.cron import CronTrigger

from advocate.settings import Settings
from jobs.charts import KeepRateCharts
from jobs.common import RunReport, now_utc, week_of
from jobs.delivery import Outcome
from jobs.parts import JobParts
from outbound.blocks import Message
from outbound.layouts.manager_digest import ManagerDigest, chart_title, manager_digest_message
from records.staff import OrgChart, StaffView

log = logging.getLogger(__name__)

JOB_ID = "manager_digest"
KIND = "manager"
SHOW_THANKS = 5  # the weekly caps keep a senior person near this; the rest are one command away
SHOW_PROMISES = 12
# Minutes between the job's looks for managers whose slot has come (a divisor of 60: quarter hours).
CHECK_MINUTES = 15
# Slots looked at per (cron, zone) in one run; a cron firing more often than this in the window is odd.
MAX_SLOTS = 100


def job_trigger() -> CronTrigger:
    """The job's own trigger: every CHECK_MINUTES on the UTC clock (a quarter hour in every zone)."""
    return CronTrigger(minute=f"*/{CHECK_MINUTES}", timezone=UTC)


def catch_up_window(settings: Settings) -> timedelta:
    """How long after a manager's slot the digest still goes: the misfire grace, but never less than two
    check intervals, so a running scheduler cannot step over a slot (say a cron at :07)."""
    return max(timedelta(seconds=settings.misfire_grace_seconds), timedelta(minutes=2 * CHECK_MINUTES))


def zone_of(person: StaffView, default: tzinfo) -> tzinfo:
    """The person's own time zone, else the organisation's (a stored name that no longer exists too)."""
    if person.tz:
        try:
            return ZoneInfo(person.tz)
        except (ZoneInfoNotFoundError, ValueError):
            log.warning("%s has an unknown tz %r; using the organisation's", person.handle, person.tz)
    return default


def cron_of(person: StaffView, settings: Settings) -> str:
    return person.digest_cron or settings.manager_digest_cron


@dataclass(frozen=True)
class Slot:
    """A manager's digest slot: when it came (UTC), in which zone, and the delivery period (local week)."""

    handle: str
    at: datetime
    zone: tzinfo
    period: str


class Schedules:
    """Each manager's slots, worked out once per (cron, zone) pair in a run."""

    def __init__(self, *, settings: Settings, default_zone: tzinfo) -> None:
        # The settings: MANAGER_DIGEST_CRON and the misfire grace.
        self.settings = settings
        # The organisation's zone, for staff without a tz.
        self.default_zone = default_zone
        self._last: dict[tuple[str, str], datetime | None] = {}
        self._next: dict[tuple[str, str], datetime | None] = {}

    def _trigger(self, cron: str, zone: tzinfo) -> CronTrigger | None:
        try:
            return CronTrigger.from_crontab(cron, timezone=zone)
        except ValueError:  # validated on import; a row written another way must not stop the run
            log.warning("digest cron %r is not a crontab; that manager gets no scheduled digest", cron)
            return None

    def last_slot(self, person: StaffView, *, now: datetime, window: timedelta) -> Slot | None:
        """The latest slot of theirs in (now - window, now], or None."""
        zone = zone_of(person, self.default_zone)
        cron = cron_of(person, self.settings)
        key = (cron, str(zone))
        if key not in self._last:
            trigger = self._trigger(cron, zone)
            latest: datetime | None = None
            if trigger is not None:
                at = trigger.get_next_fire_time(None, now - window + timedelta(microseconds=1))
                for _ in range(MAX_SLOTS):
                    if at is None or at > now:
                        break
                    latest = at
                    at = trigger.get_next_fire_time(at, at + timedelta(seconds=1))
            self._last[key] = latest
        at = self._last[key]
        if at is None:
            return None
        return Slot(person.handle, at.astimezone(UTC), zone, week_of(at, zone).label)

    def next_slot(self, person: StaffView, *, now: datetime) -> datetime | None:
        """Their next slot after now (for listings)."""
        zone = zone_of(person, self.default_zone)
        cron = cron_of(person, self.settings)
        key = (cron, str(zone))
        if key not in self._next:
            trigger = self._trigger(cron, zone)
            self._next[key] = trigger.get_next_fire_time(None, now) if trigger else None
        return self._next[key]


def due_slots(parts: JobParts, chart: OrgChart, handles: Iterable[str], *, now: datetime) -> list[Slot]:
    """The managers among `handles` whose slot came within the catch-up window, with that slot."""
    schedules = Schedules(settings=parts.settings, default_zone=parts.records.timezone)
    window = catch_up_window(parts.settings)
    slots: list[Slot] = []
    for handle in handles:
        person = chart.get(handle)
        slot = schedules.last_slot(person, now=now, window=window) if person else None
        if slot is not None:
            slots.append(slot)
    return slots


def recipients(settings: Settings, chart: OrgChart) -> list[str]:
    """Everyone with reports, and everyone named as a thank-you sender, who is in staff."""
    names = set(chart.managers()) | set(settings.thanks_sender_by_segment.values())
    if settings.thanks_default_sender:
        names.add(settings.thanks_default_sender)
    return sorted(h for h in names if h in chart.people)


def compute(parts: JobParts, manager: str, *, now: datetime, chart: OrgChart | None = None) -> ManagerDigest:
    records = parts.records
    chart = chart or records.staff.chart()
    person = chart.get(manager)
    if person is None:
        raise LookupError(f"{manager!r} is not in staff")
    tz = zone_of(person, records.timezone)
    week = week_of(now, tz)
    today = now.astimezone(tz).date()
    team = chart.team(manager)
    days = parts.settings.thanks_window_days
    loyalty = parts.loyalty()
    thanks_all = loyalty.thanks_due(today=today, days=days, sender=manager, chart=chart, now=now)
    due = records.promises.list(owners=team, due_after=now, due_before=week.end, limit=SHOW_PROMISES)
    due_total = records.promises.count(owners=team, due_after=now, due_before=week.end) if len(due) >= SHOW_PROMISES \
        else len(due)
    overdue = records.promises.list(owners=team, due_before=now, limit=SHOW_PROMISES)
    overdue_total = records.promises.count(owners=team, due_before=now) if len(overdue) >= SHOW_PROMISES \
        else len(overdue)
    customers = records.customers.get_many(sorted({p.customer_id for p in [*due, *overdue]}))
    keep_rate = records.keep_rates.report(owners=team, scope=f"team:{manager}", period="week", now=now)
    return ManagerDigest(
        manager=person, now=now, org_zone=records.timezone, week_label=week.label, week_shown=week.shown,
        team_size=len(team) - 1,
        thanks=thanks_all[:SHOW_THANKS], thanks_total=len(thanks_all), thanks_days=days,
        thanks_rule=loyalty.rule.describe(), due=due, due_total=due_total,
        overdue=overdue, overdue_total=overdue_total, keep_rate=keep_rate, customers=customers,
    )


def render(digest: ManagerDigest, *, with_chart: bool = True, charts: KeepRateCharts | None = None) -> Message:
    """The digest as a DM. A run over many managers passes one `charts` so the figure is built once."""
    chart = None
    if with_chart:
        chart = (charts or KeepRateCharts(cache_size=1)).chart(digest.keep_rate, title=chart_title(digest))
    return manager_digest_message(digest, chart=chart)


def messages_for(parts: JobParts, manager: str, *, now: datetime, with_chart: bool = True) -> Message | None:
    digest = compute(parts, manager, now=now)
    return None if digest.empty else render(digest, with_chart=with_chart)


def send(parts: JobParts, *, now: datetime, only: str | None = None, scheduled: bool = False) -> RunReport:
    """Send the digest now, to `only` or to every manager, for each one's current local week; or, when
    `scheduled`, to the managers whose own slot came within the catch-up window, for the week of that slot.
    Either way through the ledger: a manager's week is sent once."""
    report = RunReport(JOB_ID)
    deliverer = parts.deliverer()  # no Slack token: say so once, before any work
    chart = parts.records.staff.chart()
    handles = [only] if only else recipients(parts.settings, chart)
    default_zone = parts.records.timezone
    if scheduled:
        slots = due_slots(parts, chart, handles, now=now)
    else:
        slots = []
        for handle in handles:
            person = chart.get(handle)
            zone = zone_of(person, default_zone) if person else default_zone
            slots.append(Slot(handle, now, zone, week_of(now, zone).label))
    ledger = parts.records.deliveries
    sent = ledger.statuses([f"{KIND}:{slot.handle}:{slot.period}" for slot in slots])
    charts = KeepRateCharts()  # one figure for the whole run
    for slot in slots:
        handle, key = slot.handle, f"{KIND}:{slot.handle}:{slot.period}"
        if sent.get(key) == "sent":
            report.outcomes.append(Outcome(key, "already_sent"))
            continue
        if key in sent:  # recorded before (pending or failed): the recorded message, not a new one
            report.outcomes.append(deliverer.attempt(key, now=now))
            continue
        try:
            digest = compute(parts, handle, now=now, chart=chart)
            if digest.empty:
                report.skipped += 1
                continue
            message = render(digest, charts=charts)
            report.outcomes.append(deliverer.deliver(
                kind=KIND, recipient=handle, period=slot.period, slack_user_id=digest.manager.slack_user_id,
                message=message, now=now,
            ))
        except Exception as exc:  # one manager's problem must not cost the others their digest
            log.exception("manager digest for %s could not be built", handle)
            report.outcomes.append(Outcome(key, "failed", f"not built: {exc}"))
    return report


def run(parts: JobParts) -> None:
    """The scheduled job (fixed id `manager_digest`, every CHECK_MINUTES): managers whose slot came."""
    report = send(parts, now=now_utc(), scheduled=True)
    log.info(report.line())
