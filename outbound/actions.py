"""Block Kit action ids on the buttons digests and reminders carry; the Slack app (bot/) handles them.

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

Messages sent by the scheduler carry Slack message metadata of type `METADATA_EVENT_TYPE` with the
delivery key in `event_payload.delivery_key`; the app can ignore those in listeners.
"""

from __future__ import annotations

from slack_sdk.models.blocks import ActionsBlock, ButtonElement, PlainTextObject

ACTION_PROMISE_KEPT = "promise_kept"
ACTION_PROMISE_BROKEN = "promise_broken"
ACTION_PROMISE_RESCHEDULE = "promise_reschedule"
ACTION_PROMISE_REASSIGN = "promise_reassign"
ACTION_THANKS_MARK = "thanks_mark"

PROMISE_ACTIONS: tuple[str, ...] = (
    ACTION_PROMISE_KEPT, ACTION_PROMISE_BROKEN, ACTION_PROMISE_RESCHEDULE, ACTION_PROMISE_REASSIGN,
)

# Slack message metadata type on every digest and reminder (its payload holds the delivery key).
METADATA_EVENT_TYPE = "advocate_delivery"


def promise_buttons(promise_id: str) -> ActionsBlock:
    """Kept / Broken / Reschedule / Reassign for one open promise: the same row in reminders, App Home and
    the DM to a new owner, so every place offers the same ways to close or move it."""
    def button(text: str, action_id: str, style: str | None = None) -> ButtonElement:
        return ButtonElement(text=PlainTextObject(text=text, emoji=True), action_id=action_id, value=promise_id,
                             style=style)

    return ActionsBlock(block_id=f"promise:{promise_id}", elements=[
        button("Kept", ACTION_PROMISE_KEPT, "primary"),
        button("Broken", ACTION_PROMISE_BROKEN, "danger"),
        button("Reschedule", ACTION_PROMISE_RESCHEDULE),
        button("Reassign", ACTION_PROMISE_REASSIGN),
    ])


def thanks_value(customer_id: str, milestone: int) -> str:
    return f"{customer_id}:{milestone}"


def parse_thanks_value(value: str) -> tuple[str, int]:
    """`"C00105:20"` → `("C00105", 20)`; ValueError for anything else."""
    customer_id, sep, years = value.rpartition(":")
    if not sep or not customer_id or not years.isdigit():
        raise ValueError(f"not a thanks button value: {value!r}")
    return customer_id, int(years)
