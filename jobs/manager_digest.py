"""The weekly manager digest: thank-yous to make, the team's promises due and overdue, the keep rate.

For each manager (everyone with reports, and anyone named as a thank-you sender): customers reaching
a tenure milestone in the coming THANKS_WINDOW_DAYS whom they should thank, with the suggested
thank-you and its context; their team's open promises due this week and overdue; the team's keep
rate against its best past week, with a small chart. Every query is indexed and bounded by the team.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import TYPE_CHECKING

from advocate.loyalty import ThankYou
from advocate.slack_actions import ACTION_THANKS_MARK, thanks_value
from jobs.blocks import BlockList, Chart, Message, button, escape, quote
from jobs.charts import keep_rate_chart
from jobs.common import RunReport, Week, now_utc, week_of
from jobs.delivery import Outcome
from knowledge.records.customers import CustomerView
from knowledge.records.due_times import show_due
from knowledge.records.keep_rate import KeepRateReport
from knowledge.records.promises import PromiseView
from knowledge.records.staff import OrgChart, StaffView

if TYPE_CHECKING:
    from advocate.services import Services

log = logging.getLogger(__name__)

JOB_ID = "manager_digest"
KIND = "manager"
SHOW_THANKS = 8
SHOW_PROMISES = 12


@dataclass
class ManagerDigest:
    manager: StaffView
    now: datetime
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
        return not (self.thanks_total or self.due_total or self.overdue_total or self.keep_rate.latest
                    and self.keep_rate.latest.counted)


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
    tz = records.timezone
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
        manager=person, now=now, week=week, team_size=len(team) - 1, thanks=thanks_all[:SHOW_THANKS],
        thanks_total=len(thanks_all), due=due, due_total=due_total, overdue=overdue, overdue_total=overdue_total,
        keep_rate=keep_rate, customers=customers, chart=chart,
    )


def render(digest: ManagerDigest, *, services: Services, with_chart: bool = True) -> Message:
    tz = services.records.timezone
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
        chart = keep_rate_chart(digest.keep_rate, title=f"Keep rate, {digest.manager.name}'s team, by week")
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


def keep_rate_text(report: KeepRateReport) -> str:
    latest, best = report.latest, report.best_past
    if latest is None or latest.rate is None:
        return "*Team keep rate*\nNo promises fell due last week."
    text = (f"*Team keep rate* last week ({latest.label}): *{latest.rate:.0%}* kept on time "
            f"({latest.kept_on_time} of {latest.counted}; {latest.kept_late} kept late, {latest.broken} broken, "
            f"{latest.overdue_open} still open past due).")
    if best is not None and best.rate is not None:
        text += f"\nBest past week: *{best.rate:.0%}* ({best.label})."
        if report.below_best:
            text += " :small_red_triangle_down: Below your best: the standard is your best week, not the average."
        else:
            text += " :white_check_mark: At or above your best."
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


def send(services: Services, *, now: datetime, only: str | None = None) -> RunReport:
    report = RunReport(JOB_ID)
    deliverer = services.deliverer  # no Slack token: say so once, before any work
    chart = services.records.staff.chart()
    week = week_of(now, services.records.timezone)
    handles = [only] if only else recipients(services, chart)
    ledger = services.records.deliveries
    for handle in handles:
        key_status = ledger.statuses([f"{KIND}:{handle}:{week.label}"])
        if key_status and next(iter(key_status.values())) == "sent":
            report.outcomes.append(deliverer.attempt(f"{KIND}:{handle}:{week.label}", now=now))
            continue
        try:
            digest = compute(services, handle, now=now, chart=chart)
            if digest.empty:
                report.skipped += 1
                continue
            message = render(digest, services=services)
            report.outcomes.append(deliverer.deliver(
                kind=KIND, recipient=handle, period=week.label, slack_user_id=digest.manager.slack_user_id,
                message=message, now=now,
            ))
        except Exception as exc:  # one manager's problem must not cost the others their digest
            log.exception("manager digest for %s could not be built", handle)
            report.outcomes.append(Outcome(f"{KIND}:{handle}:{week.label}", "failed", f"not built: {exc}"))
    return report


def run(services: Services) -> None:
    """The scheduled job (fixed id `manager_digest`)."""
    report = send(services, now=now_utc())
    log.info(report.line())
