"""DMs about one promise, each with its Kept / Broken / Reschedule / Reassign buttons: the reminder before it
falls due and once it has passed (`jobs/promise_reminders.py`), and the note to a new owner it was handed
on to (the Slack app's Reassign).
"""

from __future__ import annotations

from datetime import datetime, tzinfo
from typing import Literal

from slack_sdk.models.blocks import MarkdownTextObject, SectionBlock

from outbound.actions import promise_buttons
from outbound.blocks import BlockList, Message
from outbound.text import escape, slack_time, trim, user_mention
from records.customers import CustomerView
from records.due_times import show_due
from records.promises import PromiseView

Stage = Literal["before", "passed"]


def customer_shown(customer: CustomerView | None, customer_id: str) -> str:
    """"Name (id)" for a known customer, else the id the promise was recorded with."""
    return f"{customer.name} ({customer.id})" if customer else customer_id


def reminder_message(promise: PromiseView, *, stage: Stage, customer: CustomerView | None, tz: tzinfo,
                     now: datetime) -> Message:
    due = show_due(promise.due_at, promise.due_tz, tz)
    who = customer_shown(customer, promise.customer_id)
    if stage == "before":
        hours = max(1, round((promise.due_at - now).total_seconds() / 3600))
        lead = f":alarm_clock: Due in about {hours} hour{'s' if hours != 1 else ''}"
        ask = "Keep it, or tell the customer now if it will slip."
    else:
        lead = ":warning: The due time has passed"
        ask = "Was it kept? Close it, or reschedule with a reason (and tell the customer)."
    out = BlockList()
    text = f"{lead}: *{escape(promise.text)}* to *{escape(who)}*, due {slack_time(promise.due_at, due)}."
    if promise.permalink:
        text += f"\n<{promise.permalink}|Where it was promised>"
    out.section(text)
    out.context(f"Promise `{escape(promise.id)}` · {ask}")
    out.blocks.append(promise_buttons(promise.id))
    plain = "due soon" if stage == "before" else "past its due time"
    fallback = f"Promise {promise.id} to {who} is {plain} ({due}): {promise.text}"
    return Message(text=fallback, blocks=out.done())


def handed_on_message(promise: PromiseView, *, customer: CustomerView | None, by: str, why: str,
                      tz: tzinfo) -> Message:
    """To the promise's new owner: who handed it on and why, what was promised to whom, by when."""
    who = customer_shown(customer, promise.customer_id)
    due = show_due(promise.due_at, promise.due_tz, tz)
    text = (f":handshake: {user_mention(by)} handed a promise on to you: *{escape(trim(promise.text, 1500))}* "
            f"to *{escape(who)}*, due {slack_time(promise.due_at, due)}.")
    if why:
        text += f"\n_Why:_ {escape(trim(why, 1000))}"
    if promise.permalink and promise.permalink.startswith("https://"):
        text += f"\n<{promise.permalink}|Where it was promised>"
    return Message(text=f"A promise was handed on to you: {escape(promise.text)}", blocks=[
        SectionBlock(text=MarkdownTextObject(text=trim(text, 3000), verbatim=True)),
        promise_buttons(promise.id),
    ])
