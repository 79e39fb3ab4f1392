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

from jobs.common import RunReport, now_utc
from jobs.delivery import Outcome
from jobs.parts import JobParts
from outbound.blocks import Message
from outbound.layouts.promises import Stage, reminder_message
from records.customers import CustomerView
from records.promises import PromiseView

log = logging.getLogger(__name__)

JOB_ID = "promise_reminders"
KIND = "reminders"
LOOKBACK = timedelta(days=7)
# Reminders sent per run at most; the rest follow on the next run, earliest due first.
PER_RUN = 1000


@dataclass(frozen=True)
class Reminder:
    promise: PromiseView
    stage: Stage

    @property
    def period(self) -> str:
        return f"{self.promise.id}@{self.promise.due_at:%Y%m%dT%H%MZ}/{self.stage}"

    def key(self) -> str:
        return f"{KIND}:{self.promise.owner}:{self.period}"


def due_reminders(parts: JobParts, *, now: datetime, owner: str | None = None) -> list[Reminder]:
    """Reminders that are due now and not yet recorded, earliest first."""
    lead = timedelta(hours=parts.settings.reminder_lead_hours)
    reminders: list[Reminder] = []
    promises = parts.records.promises
    for promise in promises.stream_open_due(after=now - LOOKBACK, until=now + lead):
        if owner is not None and promise.owner != owner:
            continue
        reminders.append(Reminder(promise, "passed" if promise.due_at <= now else "before"))
        if len(reminders) >= PER_RUN * 2:
            break
    statuses = parts.records.deliveries.statuses([r.key() for r in reminders])
    return [r for r in reminders if r.key() not in statuses][:PER_RUN]


def render(reminder: Reminder, *, customer: CustomerView | None, parts: JobParts, now: datetime) -> Message:
    return reminder_message(reminder.promise, stage=reminder.stage, customer=customer, tz=parts.records.timezone,
                            now=now)


def messages_for(parts: JobParts, *, owner: str, now: datetime) -> list[Message]:
    reminders = due_reminders(parts, now=now, owner=owner)
    customers = parts.records.customers.get_many(sorted({r.promise.customer_id for r in reminders}))
    return [render(r, customer=customers.get(r.promise.customer_id), parts=parts, now=now) for r in reminders]


def send(parts: JobParts, *, now: datetime, only: str | None = None) -> RunReport:
    report = RunReport(JOB_ID)
    deliverer = parts.deliverer()  # no Slack token: say so once, before any work
    reminders = due_reminders(parts, now=now, owner=only)
    customers = parts.records.customers.get_many(sorted({r.promise.customer_id for r in reminders}))
    slack_ids = parts.records.staff.slack_ids({r.promise.owner for r in reminders})
    for reminder in reminders:
        try:
            message = render(reminder, customer=customers.get(reminder.promise.customer_id), parts=parts, now=now)
            report.outcomes.append(deliverer.deliver(
                kind=KIND, recipient=reminder.promise.owner, period=reminder.period,
                slack_user_id=slack_ids.get(reminder.promise.owner), message=message, now=now,
            ))
        except Exception as exc:  # one reminder's problem must not hold up the others
            log.exception("reminder %s could not be sent", reminder.key())
            report.outcomes.append(Outcome(reminder.key(), "failed", f"not built: {exc}"))
    return report


def run(parts: JobParts) -> None:
    """The scheduled job (fixed id `promise_reminders`)."""
    log.info(send(parts, now=now_utc()).line())
