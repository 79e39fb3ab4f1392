"""Action ids of the buttons digests, reminders and App Home carry, and the promise buttons they share;
the Slack app (bot/) handles them.

Each button's `value` says what it acts on, so a handler needs nothing else from the message:

- `promise_kept` (promise reminders, App Home), value: the promise id.
  Handler: `records.promises.close(id, outcome="kept", by=<staff handle>)`.
- `promise_broken` (promise reminders, App Home), value: the promise id.
  Handler: `records.promises.close(id, outcome="broken", by=<staff handle>)`.
- `promise_reschedule` (promise reminders, App Home), value: the promise id.
  Handler: open a modal for the new due time and a reason, then `records.promises.reschedule(...)`.
- `promise_reassign` (promise reminders, App Home), value: the promise id.
  Handler: open a modal for the new owner and a reason, then `records.promises.reassign(...)`.
- `thanks_mark` (manager digest, thank-yous), value: `CUSTOMER_ID:YEARS` (`parse_thanks_value`).
  Handler: `records.thanks.mark(customer_id, milestone=YEARS, by=<staff handle>)`.
"""

from __future__ import annotations

from slack_sdk.models.blocks import ActionsBlock

from outbound.blocks import button

ACTION_PROMISE_KEPT = "promise_kept"
ACTION_PROMISE_BROKEN = "promise_broken"
ACTION_PROMISE_RESCHEDULE = "promise_reschedule"
ACTION_PROMISE_REASSIGN = "promise_reassign"
ACTION_THANKS_MARK = "thanks_mark"


def promise_buttons(promise_id: str) -> ActionsBlock:
    """Kept / Broken / Reschedule / Reassign for one open promise: the same row in reminders, App Home and
    the DM to a new owner, so every place offers the same ways to close or move it."""
    return ActionsBlock(block_id=f"promise:{promise_id}", elements=[
        button("Kept", action_id=ACTION_PROMISE_KEPT, value=promise_id, style="primary"),
        button("Broken", action_id=ACTION_PROMISE_BROKEN, value=promise_id, style="danger"),
        button("Reschedule", action_id=ACTION_PROMISE_RESCHEDULE, value=promise_id),
        button("Reassign", action_id=ACTION_PROMISE_REASSIGN, value=promise_id),
    ])


def thanks_value(customer_id: str, milestone: int) -> str:
    return f"{customer_id}:{milestone}"


def parse_thanks_value(value: str) -> tuple[str, int]:
    """`"C00105:20"` → `("C00105", 20)`; ValueError for anything else."""
    customer_id, sep, years = value.rpartition(":")
    if not sep or not customer_id or not years.isdigit():
        raise ValueError(f"not a thanks button value: {value!r}")
    return customer_id, int(years)
