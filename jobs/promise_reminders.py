"""Promise reminders: a DM to the owner before the promise falls due, and another when it has passed.

Runs every REMINDER_INTERVAL_MINUTES. "Before" goes out once the due time is within
REMINDER_LEAD_HOURS; "passed" once it is over (looking back a week, so a stopped scheduler catches up
without flooding anyone). Each reminder has kept / broken / reschedule / reassign buttons for the Slack app.
The delivery key holds the due time: a rescheduled promise is reminded again, a reassigned one goes
to its new owner.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Literal

from jobs.common import RunReport, now_utc
from jobs.delivery import Outcome
from outbound.actions import promise_buttons
from outbound.blocks import BlockList, Message, escape
from records.customers import CustomerView
from records.due_times import show_due
from records.promises import PromiseView

if TYPE_CHECKING:
    from advocate.services import Services

log = logging.getLogger(__name__)

JOB_ID = "promise_reminders"
KIND = "reminders"
LOOKBACK = timedelta(days=7)
# Reminders sent per run at most; the rest follow on the next run, earliest due first.
PER_RUN = 1000

Stage = Literal["before", "passed"]


@dataclass(frozen=True)
class Reminder:
    promise: PromiseView
    stage: Stage

    @property
    def period(self) -> str:
        return f"{self.promise.id}@{self.promise.due_at:%Y%m%dT%H%MZ}/{self.stage}"

    def key(self) -> str:
        return f"{KIND}:{self.promise.owner}:{self.period}"


def due_reminders(services: Services, *, now: datetime, owner: str | None = None) -> list[Reminder]:
    """Reminders that are due now and not yet recorded, earliest first."""
    lead = timedelta(hours=services.settings.reminder_lead_hours)
    reminders: list[Reminder] = []
    promises = services.records.promises
    for promise in promises.stream_open_due(after=now - LOOKBACK, until=now + lead):
        if owner is not None and promise.owner != owner:
            continue
        reminders.append(Reminder(promise, "passed" if promise.due_at <= now else "before"))
        if len(reminders) >= PER_RUN * 2:
            break
    statuses = services.records.deliveries.statuses([r.key() for r in reminders])
    return [r for r in reminders if r.key() not in statuses][:PER_RUN]


def render(reminder: Reminder, *, customer: CustomerView | None, services: Services, now: datetime) -> Message:
    promise = reminder.promise
    due = show_due(promise.due_at, promise.due_tz, services.records.timezone)
    who = f"{customer.name} ({customer.id})" if customer else promise.customer_id
    if reminder.stage == "before":
        hours = max(1, round((promise.due_at - now).total_seconds() / 3600))
        lead = f":alarm_clock: Due in about {hours} hour{'s' if hours != 1 else ''}"
        ask = "Keep it, or tell the customer now if it will slip."
    else:
        lead = ":warning: The due time has passed"
        ask = "Was it kept? Close it, or reschedule with a reason (and tell the customer)."
    out = BlockList()
    text = f"{lead}: *{escape(promise.text)}* to *{escape(who)}*, due {escape(due)}."
    if promise.permalink:
        text += f"\n<{promise.permalink}|Where it was promised>"
    out.section(text)
    out.context(f"Promise `{escape(promise.id)}` · {ask}")
    out.blocks.append(promise_buttons(promise.id))
    plain = "due soon" if reminder.stage == "before" else "past its due time"
    fallback = f"Promise {promise.id} to {who} is {plain} ({due}): {promise.text}"
    return Message(text=fallback, blocks=out.done())


def messages_for(services: Services, *, owner: str, now: datetime) -> list[Message]:
    reminders = due_reminders(services, now=now, owner=owner)
    customers = services.records.customers.get_many(sorted({r.promise.customer_id for r in reminders}))
    return [render(r, customer=customers.get(r.promise.customer_id), services=services, now=now) for r in reminders]


def send(services: Services, *, now: datetime, only: str | None = None) -> RunReport:
    report = RunReport(JOB_ID)
    deliverer = services.deliverer  # no Slack token: say so once, before any work
    reminders = due_reminders(services, now=now, owner=only)
    customers = services.records.customers.get_many(sorted({r.promise.customer_id for r in reminders}))
    slack_ids = services.records.staff.slack_ids({r.promise.owner for r in reminders})
    for reminder in reminders:
        try:
            message = render(reminder, customer=customers.get(reminder.promise.customer_id), services=services,
                             now=now)
            report.outcomes.append(deliverer.deliver(
                kind=KIND, recipient=reminder.promise.owner, period=reminder.period,
                slack_user_id=slack_ids.get(reminder.promise.owner), message=message, now=now,
            ))
        except Exception as exc:  # one reminder's problem must not hold up the others
            log.exception("reminder %s could not be sent", reminder.key())
            report.outcomes.append(Outcome(reminder.key(), "failed", f"not built: {exc}"))
    return report


def run(services: Services) -> None:
    """The scheduled job (fixed id `promise_reminders`)."""
    log.info(send(services, now=now_utc()).line())
