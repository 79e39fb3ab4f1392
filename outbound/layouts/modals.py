"""Modals: ask about a decision (App Home), raise a customer concern, record, reschedule or reassign a promise.

Block and action ids are constants: the view-submission listeners read the values back by them.
"""

from __future__ import annotations

import json
from datetime import date, timedelta
from typing import Any

from slack_sdk.models.blocks import (
    ContextBlock,
    DatePickerElement,
    InputBlock,
    MarkdownTextObject,
    PlainTextInputElement,
    PlainTextObject,
    SectionBlock,
    TimePickerElement,
    UserSelectElement,
)
from slack_sdk.models.views import View

from outbound.text import escape, trim

ASK_MODAL = "ask_modal"
CONCERN_MODAL = "concern_modal"
PROMISE_MODAL = "promise_modal"
RESCHEDULE_MODAL = "promise_reschedule_modal"
REASSIGN_MODAL = "promise_reassign_modal"

QUESTION_BLOCK = "question"
CONCERN_BLOCK = "concern"
CUSTOMER_BLOCK = "customer"
TEXT_BLOCK = "text"
OWNER_BLOCK = "owner"
DUE_DATE_BLOCK = "due_date"
DUE_TIME_BLOCK = "due_time"
NEW_OWNER_BLOCK = "new_owner"
REASSIGN_REASON_BLOCK = "reason"
RESCHEDULE_REASON_BLOCK = "reason"
VALUE = "value"  # the action id of the one element in each input block


def _text_input(block_id: str, label: str, *, multiline: bool = False, initial: str | None = None,
                placeholder: str | None = None, max_length: int = 3000, hint: str | None = None) -> InputBlock:
    return InputBlock(
        block_id=block_id,
        label=PlainTextObject(text=label),
        hint=PlainTextObject(text=hint) if hint else None,
        element=PlainTextInputElement(
            action_id=VALUE, multiline=multiline, initial_value=initial or None, max_length=max_length,
            placeholder=PlainTextObject(text=placeholder) if placeholder else None,
        ),
    )


def ask_modal() -> dict[str, Any]:
    return View(
        type="modal",
        callback_id=ASK_MODAL,
        title=PlainTextObject(text="Ask Advocate"),
        submit=PlainTextObject(text="Get a brief"),
        close=PlainTextObject(text="Cancel"),
        blocks=[
            _text_input(QUESTION_BLOCK, "What is being decided?", multiline=True, max_length=3000,
                        placeholder="We plan to move billing queries to email only…"),
            ContextBlock(elements=[MarkdownTextObject(text="The brief arrives as a direct message from me.")]),
        ],
    ).to_dict()


def concern_modal(*, brief_id: str, decision: str) -> dict[str, Any]:
    return View(
        type="modal",
        callback_id=CONCERN_MODAL,
        private_metadata=json.dumps({"brief_id": brief_id}),
        title=PlainTextObject(text="Customer concern"),
        submit=PlainTextObject(text="Raise it"),
        close=PlainTextObject(text="Cancel"),
        blocks=[
            SectionBlock(text=MarkdownTextObject(text=f"*Decision:* {escape(trim(decision, 2800))}", verbatim=True)),
            _text_input(CONCERN_BLOCK, "What won't work for customers, and why?", multiline=True,
                        max_length=3000, hint="It is posted in the thread and recorded on the decision."),
        ],
    ).to_dict()


def promise_modal(*, text: str, owner: str, metadata: dict[str, str], today: date) -> dict[str, Any]:
    return View(
        type="modal",
        callback_id=PROMISE_MODAL,
        private_metadata=json.dumps(metadata),
        title=PlainTextObject(text="Record a promise"),
        submit=PlainTextObject(text="Record"),
        close=PlainTextObject(text="Cancel"),
        blocks=[
            _text_input(CUSTOMER_BLOCK, "Customer", placeholder="Name or customer id", max_length=200),
            _text_input(TEXT_BLOCK, "What was promised", multiline=True, initial=trim(text, 2000), max_length=2000),
            InputBlock(block_id=OWNER_BLOCK, label=PlainTextObject(text="Who keeps it"),
                       element=UserSelectElement(action_id=VALUE, initial_user=owner)),
            InputBlock(block_id=DUE_DATE_BLOCK, label=PlainTextObject(text="Due date"),
                       element=DatePickerElement(action_id=VALUE,
                                                 initial_date=(today + timedelta(days=1)).isoformat())),
            InputBlock(block_id=DUE_TIME_BLOCK, label=PlainTextObject(text="Due time"),
                       element=TimePickerElement(action_id=VALUE, initial_time="17:00")),
        ],
    ).to_dict()


def reschedule_modal(*, promise_id: str, channel: str) -> dict[str, Any]:
    """The new due date and time, and why it moves (kept on the promise's record)."""
    return View(
        type="modal",
        callback_id=RESCHEDULE_MODAL,
        private_metadata=json.dumps({"promise_id": promise_id, "channel": channel}),
        title=PlainTextObject(text="Reschedule promise"),
        submit=PlainTextObject(text="Reschedule"),
        close=PlainTextObject(text="Cancel"),
        blocks=[
            InputBlock(block_id=DUE_DATE_BLOCK, label=PlainTextObject(text="New due date"),
                       element=DatePickerElement(action_id=VALUE)),
            InputBlock(block_id=DUE_TIME_BLOCK, label=PlainTextObject(text="New due time"),
                       element=TimePickerElement(action_id=VALUE, initial_time="17:00")),
            _text_input(RESCHEDULE_REASON_BLOCK, "Why does it move?", multiline=True, max_length=1000,
                        hint="The customer will ask; it stays on the promise's record."),
        ],
    ).to_dict()


def reassign_modal(*, promise_id: str, text: str, customer: str, due: str, owner: str,
                   metadata: dict[str, Any]) -> dict[str, Any]:
    """Who keeps this promise from now on, and why (optional, kept on the promise's record). `due` is mrkdwn
    (`outbound.text.slack_time`); the other texts are escaped here."""
    return View(
        type="modal",
        callback_id=REASSIGN_MODAL,
        private_metadata=json.dumps({**metadata, "promise_id": promise_id}),
        title=PlainTextObject(text="Reassign promise"),
        submit=PlainTextObject(text="Reassign"),
        close=PlainTextObject(text="Cancel"),
        blocks=[
            SectionBlock(text=MarkdownTextObject(
                text=f"“{escape(trim(text, 1500))}” — customer {escape(trim(customer, 200))}, due {due}, "
                     f"kept by {escape(owner)} now.", verbatim=True)),
            InputBlock(block_id=NEW_OWNER_BLOCK, label=PlainTextObject(text="Who keeps it from now on"),
                       element=UserSelectElement(action_id=VALUE),
                       hint=PlainTextObject(text="They get a direct message with the promise.")),
            InputBlock(block_id=REASSIGN_REASON_BLOCK, label=PlainTextObject(text="Why (optional)"), optional=True,
                       element=PlainTextInputElement(action_id=VALUE, multiline=True, max_length=1000),
                       hint=PlainTextObject(text="It stays on the promise's record.")),
        ],
    ).to_dict()


def submitted(view: dict[str, Any], block_id: str) -> str:
    """The value of an input block in a submitted view ("" when empty)."""
    value = (view.get("state", {}).get("values", {}).get(block_id, {}) or {}).get(VALUE, {}) or {}
    for key in ("value", "selected_user", "selected_date", "selected_time"):
        if value.get(key):
            return str(value[key])
    return ""


def metadata(view: dict[str, Any]) -> dict[str, Any]:
    try:
        data = json.loads(view.get("private_metadata") or "{}")
    except json.JSONDecodeError:
        return {}
    return data if isinstance(data, dict) else {}
