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
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from apscheduler.triggers.cron import CronTrigger

from jobs.charts import KeepRateCharts
from jobs.common import RunReport, Week, now_utc, week_of
from jobs.delivery import Outcome
from outbound.actions import ACTION_THANKS_MARK, thanks_value
from outbound.blocks import BlockList, Chart, Message, button, escape, quote
from records.customers import CustomerView
from records.due_times import show_due
from records.keep_rate import KeepRateReport
from records.loyalty import ThankYou
from records.promises import PromiseView
from records.staff import OrgChart, StaffView

if TYPE_CHECKING:
    from advocate.services import Services
    from advocate.settings import Settings

log = logging.getLogger(__name__)

JOB_ID = "manager_digest"
KIND = "manager"
SHOW_THANKS = 8
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


def due_slots(
    services: Services, chart: OrgChart, handles: Iterable[str], *, now: datetime
) -> list[Slot]:
    """The managers among `handles` whose slot came within the catch-up window, with that slot."""
    schedules = Schedules(settings=services.settings, default_zone=services.records.timezone)
    window = catch_up_window(services.settings)
    slots: list[Slot] = []
    for handle in handles:
        person = chart.get(handle)
        slot = schedules.last_slot(person, now=now, window=window) if person else None
        if slot is not None:
            slots.append(slot)
    return slots


@dataclass
class ManagerDigest:
    manager: StaffView
    now: datetime
    # The manager's zone: their week, their "today", due times shown to them.
    zone: tzinfo
    week: Week
    team_size: int
    thanks: list[ThankYou]
    thanks_total: int
    due: list[PromiseView]
    due_total: int
    overdue: list[PromiseView]
    overdue_total: int
    keep_rate: KeepRateReport
    customers: dict[str, CustomerView]
    chart: OrgChart

    @property
    def empty(self) -> bool:
        latest = self.keep_rate.latest
        return not (self.thanks_total or self.due_total or self.overdue_total
                    or latest and (latest.closed or latest.overdue_open))


def recipients(services: Services, chart: OrgChart) -> list[str]:
    settings = services.settings
    names = set(chart.managers()) | set(settings.thanks_sender_by_segment.values())
    if settings.thanks_default_sender:
        names.add(settings.thanks_default_sender)
    return sorted(h for h in names if h in chart.people)


def compute(services: Services, manager: str, *, now: datetime, chart: OrgChart | None = None) -> ManagerDigest:
    records = services.records
    chart = chart or records.staff.chart()
    person = chart.get(manager)
    if person is None:
        raise LookupError(f"{manager!r} is not in staff")
    tz = zone_of(person, records.timezone)
    week = week_of(now, tz)
    today = now.astimezone(tz).date()
    team = chart.team(manager)
    thanks_all = services.loyalty.thanks_due(
        today=today, days=services.settings.thanks_window_days, sender=manager, chart=chart, now=now
    )
    due = records.promises.list(owners=team, due_after=now, due_before=week.end, limit=SHOW_PROMISES)
    due_total = records.promises.count(owners=team, due_after=now, due_before=week.end) if len(due) >= SHOW_PROMISES \
        else len(due)
    overdue = records.promises.list(owners=team, due_before=now, limit=SHOW_PROMISES)
    overdue_total = records.promises.count(owners=team, due_before=now) if len(overdue) >= SHOW_PROMISES \
        else len(overdue)
    customers = records.customers.get_many(sorted({p.customer_id for p in [*due, *overdue]}))
    keep_rate = records.keep_rates.report(owners=team, scope=f"team:{manager}", period="week", now=now)
    return ManagerDigest(
        manager=person, now=now, zone=tz, week=week, team_size=len(team) - 1, thanks=thanks_all[:SHOW_THANKS],
        thanks_total=len(thanks_all), due=due, due_total=due_total, overdue=overdue, overdue_total=overdue_total,
        keep_rate=keep_rate, customers=customers, chart=chart,
    )


def render(
    digest: ManagerDigest, *, services: Services, with_chart: bool = True, charts: KeepRateCharts | None = None
) -> Message:
    """The digest as a DM. A run over many managers passes one `charts` so the figure is built once."""
    tz = digest.zone
    out = BlockList()
    out.header(f"Your week with customers, {digest.manager.name.split()[0]}")
    out.context(f"Week {digest.week.label.split('-W')[1]} ({digest.week.shown}) · your team: "
                f"{digest.team_size} {'person' if digest.team_size == 1 else 'people'} below you")
    # Thank-yous
    if digest.thanks_total:
        out.section(f"*Long-standing customers to thank* ({digest.thanks_total})\n"
                    "Thank them yourself: a call or a personal note. Mark it when done so it is not suggested again.")
        for item in digest.thanks:
            _thank_you_blocks(out, item, tz=tz)
        if digest.thanks_total > len(digest.thanks):
            out.context(f"{digest.thanks_total - len(digest.thanks)} more: `advocate thanks due --for "
                        f"{digest.manager.handle}`")
    else:
        out.section("*Long-standing customers to thank*\nNo milestones for you to mark in the next "
                    f"{services.settings.thanks_window_days} days.")
    out.divider()
    # Promises
    customers = digest.customers
    if digest.due_total:
        out.lines(f"*Promises due the rest of this week* ({digest.due_total})",
                  [_promise_line(p, customers, tz=tz, now=None) for p in digest.due])
    else:
        out.section("*Promises due the rest of this week*\nNone open.")
    if digest.overdue_total:
        out.lines(f"*Overdue promises* ({digest.overdue_total}) — close, reschedule with a reason, or reassign",
                  [_promise_line(p, customers, tz=tz, now=digest.now) for p in digest.overdue])
    if digest.due_total > len(digest.due) or digest.overdue_total > len(digest.overdue):
        out.context("All of them: `advocate promises list --team " + escape(digest.manager.handle) + "`")
    out.divider()
    keep_text = keep_rate_text(digest.keep_rate)
    chart: Chart | None = None
    if with_chart:
        chart = (charts or KeepRateCharts(cache_size=1)).chart(
            digest.keep_rate, title=f"Keep rate, {digest.manager.name}'s team, by week")
    out.section(keep_text + ("\n_Chart in the thread._" if chart else ""))
    blocks = out.done(more_hint="Run `advocate digest preview --kind manager` for everything.")
    return Message(text=fallback_text(digest), blocks=blocks, chart=chart)


def _thank_you_blocks(out: BlockList, item: ThankYou, *, tz: tzinfo) -> None:
    customer = item.customer
    segment = f", {escape(customer.segment)}" if customer.segment else ""
    head = (f"*{escape(customer.name)}* ({escape(customer.id)}{segment}): *{item.milestone} years* on "
            f"{item.on:%a %-d %b} · customer since {customer.customer_since:%b %Y} · owner {escape(item.owner_name)}")
    if item.fix_first:
        head += "\n:warning: *Fix first, thank after:* " + escape("; ".join(item.fix_first))
    head += "\n_Suggested:_ " + escape(item.message)
    out.section(head, accessory=button("Mark thanked", action_id=ACTION_THANKS_MARK,
                                       value=thanks_value(customer.id, item.milestone)))
    context: list[str] = []
    for feedback in item.feedback:
        score = f"score {feedback.score}, " if feedback.score is not None else ""
        context.append(f"{quote(feedback.text, 280)}\n— {score}{escape(feedback.channel or 'feedback')}, "
                       f"{escape(feedback.date or 'undated')}")
    for promise in item.open_promises[:3]:
        context.append(f"Open promise `{escape(promise.id)}`: {escape(promise.text[:200])} "
                       f"(due {escape(show_due(promise.due_at, promise.due_tz, tz))}, {escape(promise.owner)})")
    if not item.feedback:
        context.append("No feedback from this customer in the knowledge base.")
    out.context("\n".join(context))


def _promise_line(
    promise: PromiseView, customers: dict[str, CustomerView], *, tz: tzinfo, now: datetime | None
) -> str:
    customer = customers.get(promise.customer_id)
    who = escape(customer.name) if customer else escape(promise.customer_id)
    text = escape(promise.text if len(promise.text) <= 160 else promise.text[:159] + "…")
    due = escape(show_due(promise.due_at, promise.due_tz, tz))
    late = ""
    if now is not None and promise.due_at < now:
        days = (now - promise.due_at).days
        late = f" · *overdue {days} day{'s' if days != 1 else ''}*" if days else " · *overdue today*"
    return f"• `{escape(promise.id)}` {text} — *{who}* · {escape(promise.owner)} · due {due}{late}"


def keep_rate_text(report: KeepRateReport, *, title: str = "Team keep rate") -> str:
    """Last week's kept on time / closed against the best past week, and what is still open past due
    beside it (the digest's team rate, and App Home's own and team rates)."""
    latest, best = report.latest, report.best_past
    if latest is None or (latest.rate is None and not latest.overdue_open):
        return f"*{title}*\nNo promises fell due last week."
    if latest.rate is None:
        text = f"*{title}* last week ({latest.label}): none of the promises due was closed."
    else:
        text = (f"*{title}* last week ({latest.label}): *{latest.rate:.0%}* kept on time "
                f"({latest.kept_on_time} of {latest.closed} closed; {latest.kept_late} kept late, "
                f"{latest.broken} broken).")
    if latest.overdue_open:
        many = latest.overdue_open != 1
        text += (f"\n{latest.overdue_open} promise{'s' if many else ''} due last week "
                 f"{'are' if many else 'is'} still open past due: not in the rate until closed, "
                 "and already too late to be kept on time.")
    if best is not None and best.rate is not None:
        text += f"\nBest past week: *{best.rate:.0%}* ({best.label})."
        if report.below_best:
            text += " :small_red_triangle_down: Below the best: the standard is the best week, not the average."
        elif latest.rate is not None:
            text += " :white_check_mark: At or above the best."
    if latest.customers:
        text += (f"\nCustomers: {latest.customers_all_kept} of {latest.customers} "
                 f"({latest.customer_rate:.0%}) had every promise kept on time.")
    return text


def fallback_text(digest: ManagerDigest) -> str:
    latest, best = digest.keep_rate.latest, digest.keep_rate.best_past
    rate = f"team keep rate {latest.rate:.0%}" if latest and latest.rate is not None else "no keep rate last week"
    if best and best.rate is not None and latest and latest.rate is not None:
        rate += f" (best past week {best.rate:.0%})"
    return (f"Your week with customers: {digest.thanks_total} long-standing customers to thank, "
            f"{digest.due_total} promises due this week, {digest.overdue_total} overdue; {rate}.")


def messages_for(services: Services, manager: str, *, now: datetime, with_chart: bool = True) -> Message | None:
    digest = compute(services, manager, now=now)
    return None if digest.empty else render(digest, services=services, with_chart=with_chart)


def send(services: Services, *, now: datetime, only: str | None = None, scheduled: bool = False) -> RunReport:
    """Send the digest now, to `only` or to every manager, for each one's current local week; or, when
    `scheduled`, to the managers whose own slot came within the catch-up window, for the week of that slot.
    Either way through the ledger: a manager's week is sent once."""
    report = RunReport(JOB_ID)
    deliverer = services.deliverer  # no Slack token: say so once, before any work
    chart = services.records.staff.chart()
    handles = [only] if only else recipients(services, chart)
    default_zone = services.records.timezone
    if scheduled:
        slots = due_slots(services, chart, handles, now=now)
    else:
        slots = []
        for handle in handles:
            person = chart.get(handle)
            zone = zone_of(person, default_zone) if person else default_zone
            slots.append(Slot(handle, now, zone, week_of(now, zone).label))
    ledger = services.records.deliveries
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
            digest = compute(services, handle, now=now, chart=chart)
            if digest.empty:
                report.skipped += 1
                continue
            message = render(digest, services=services, charts=charts)
            report.outcomes.append(deliverer.deliver(
                kind=KIND, recipient=handle, period=slot.period, slack_user_id=digest.manager.slack_user_id,
                message=message, now=now,
            ))
        except Exception as exc:  # one manager's problem must not cost the others their digest
            log.exception("manager digest for %s could not be built", handle)
            report.outcomes.append(Outcome(key, "failed", f"not built: {exc}"))
    return report


def run(services: Services) -> None:
    """The scheduled job (fixed id `manager_digest`, every CHECK_MINUTES): managers whose slot came."""
    report = send(services, now=now_utc(), scheduled=True)
    log.info(report.line())
