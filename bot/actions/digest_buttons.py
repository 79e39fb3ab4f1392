"""Buttons on digests, reminders and App Home (issue 5's `outbound.actions`): promise kept /
broken / reschedule, and "thanked" on a tenure milestone.

The person clicking is found in the staff list by their Slack id; only a promise's owner (or an
admin) closes or moves it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from logging import Logger
from typing import Any

from slack_bolt import Ack, App, BoltContext
from slack_sdk.models.blocks import DatePickerElement, InputBlock, PlainTextObject, TimePickerElement
from slack_sdk.models.views import View

from bot.events.app_home import publish_home
from bot.runtime import BotRuntime, runtime
from outbound.actions import (
    ACTION_PROMISE_BROKEN,
    ACTION_PROMISE_KEPT,
    ACTION_PROMISE_RESCHEDULE,
    ACTION_THANKS_MARK,
    parse_thanks_value,
)
from outbound.layouts.modals import DUE_DATE_BLOCK, DUE_TIME_BLOCK, _text_input, metadata, submitted
from outbound.text import escape, trim
from records.errors import InputError, NotFound

RESCHEDULE_MODAL = "promise_reschedule_modal"
REASON_BLOCK = "reason"
NOT_STAFF = "You're not in the staff list, so I can't tell which promises are yours. Ask an admin to import staff."


def _note(rt: BotRuntime, body: dict[str, Any], text: str) -> None:
    channel = (body.get("channel") or {}).get("id") or (body.get("container") or {}).get("channel_id")
    user = str(body["user"]["id"])
    if channel:
        rt.client.chat_postEphemeral(channel=channel, user=user, text=text)
    else:  # App Home has no channel: a DM says it
        rt.client.chat_postMessage(channel=user, text=text)


def _staff_handle(rt: BotRuntime, user: str) -> str | None:
    staff = rt.records.staff.resolve(user)
    return staff.handle if staff else None


def _may_change(rt: BotRuntime, user: str, handle: str, promise_id: str) -> bool:
    promise = rt.records.promises.get(promise_id)
    return promise.owner == handle or user in rt.settings.admin_ids


@dataclass(frozen=True)
class Clicked:
    user: str  # Slack id of the person who clicked
    handle: str  # their staff handle
    promise_id: str  # the promise the button is on


def clicked_by_owner(rt: BotRuntime, body: dict[str, Any], action: dict[str, Any], *, refusal: str) -> Clicked | None:
    """Who clicked a promise button, when they may change that promise (its owner, or an admin); otherwise
    they are told why (`refusal` when it is someone else's) and the answer is None."""
    user = str(body["user"]["id"])
    handle = _staff_handle(rt, user)
    if handle is None:
        _note(rt, body, NOT_STAFF)
        return None
    promise_id = str(action.get("value", ""))
    try:
        if not _may_change(rt, user, handle, promise_id):
            _note(rt, body, refusal)
            return None
    except NotFound as exc:
        _note(rt, body, escape(str(exc)))
        return None
    return Clicked(user=user, handle=handle, promise_id=promise_id)


def _close(outcome: str) -> Any:
    def handle_close(ack: Ack, body: dict[str, Any], action: dict[str, Any], context: BoltContext,
                     logger: Logger) -> None:
        ack()
        rt = runtime(context)
        clicked = clicked_by_owner(rt, body, action, refusal="Only the promise's owner (or an admin) closes it.")
        if clicked is None:
            return
        try:
            promise = rt.records.promises.close(clicked.promise_id, outcome=outcome, by=clicked.handle)
        except (InputError, NotFound) as exc:
            _note(rt, body, escape(str(exc)))
            return
        _note(rt, body, f"Recorded: “{escape(trim(promise.text, 200))}” was {outcome}.")
        if (body.get("view") or {}).get("type") == "home":
            publish_home(rt, clicked.user)  # the promise leaves the person's list at once

    handle_close.__name__ = f"handle_promise_{outcome}"
    return handle_close


def handle_reschedule(ack: Ack, body: dict[str, Any], action: dict[str, Any], context: BoltContext,
                      logger: Logger) -> None:
    ack()
    rt = runtime(context)
    view = View(
        type="modal", callback_id=RESCHEDULE_MODAL,
        private_metadata=json.dumps({"promise_id": str(action.get("value", "")),
                                     "channel": (body.get("channel") or {}).get("id", "")}),
        title=PlainTextObject(text="Reschedule promise"), submit=PlainTextObject(text="Reschedule"),
        close=PlainTextObject(text="Cancel"),
        blocks=[
            InputBlock(block_id=DUE_DATE_BLOCK, label=PlainTextObject(text="New due date"),
                       element=DatePickerElement(action_id="value")),
            InputBlock(block_id=DUE_TIME_BLOCK, label=PlainTextObject(text="New due time"),
                       element=TimePickerElement(action_id="value", initial_time="17:00")),
            _text_input(REASON_BLOCK, "Why does it move?", multiline=True, max_length=1000,
                        hint="The customer will ask; it stays on the promise's record."),
        ],
    )
    rt.client.views_open(trigger_id=body["trigger_id"], view=view.to_dict())


def handle_reschedule_submission(ack: Ack, body: dict[str, Any], view: dict[str, Any], context: BoltContext,
                                 logger: Logger) -> None:
    rt = runtime(context)
    user = str(body["user"]["id"])
    handle = _staff_handle(rt, user)
    if handle is None:
        ack(response_action="errors", errors={REASON_BLOCK: NOT_STAFF})
        return
    promise_id = str(metadata(view).get("promise_id", ""))
    fields = {"due": DUE_DATE_BLOCK, "tz": DUE_TIME_BLOCK, "reason": REASON_BLOCK}
    try:
        if not _may_change(rt, user, handle, promise_id):
            ack(response_action="errors", errors={REASON_BLOCK: "Only the promise's owner (or an admin) moves it."})
            return
        staff = rt.records.staff.get(handle)
        promise = rt.records.promises.reschedule(
            promise_id, due=f"{submitted(view, DUE_DATE_BLOCK)} {submitted(view, DUE_TIME_BLOCK) or '17:00'}",
            why=submitted(view, REASON_BLOCK), by=handle, tz=staff.tz if staff else None,
        )
    except InputError as exc:
        ack(response_action="errors", errors={fields.get(exc.field, REASON_BLOCK): exc.message})
        return
    except NotFound as exc:
        ack(response_action="errors", errors={REASON_BLOCK: str(exc)})
        return
    ack()
    rt.client.chat_postMessage(channel=user, text=f"Rescheduled “{escape(trim(promise.text, 200))}” to "
                                                  f"{promise.due_at:%d %b %Y %H:%M} UTC.")


def handle_thanks_mark(ack: Ack, body: dict[str, Any], action: dict[str, Any], context: BoltContext,
                       logger: Logger) -> None:
    ack()
    rt = runtime(context)
    user = str(body["user"]["id"])
    handle = _staff_handle(rt, user)
    if handle is None:
        _note(rt, body, NOT_STAFF)
        return
    try:
        customer_id, years = parse_thanks_value(str(action.get("value", "")))
        rt.records.thanks.mark(customer_id, milestone=years, by=handle)
    except (ValueError, NotFound) as exc:
        _note(rt, body, escape(str(exc)))
        return
    _note(rt, body, f"Recorded: customer {escape(customer_id)} thanked for {years} years with us.")


def register(app: App) -> None:
    app.action(ACTION_PROMISE_KEPT)(_close("kept"))
    app.action(ACTION_PROMISE_BROKEN)(_close("broken"))
    app.action(ACTION_PROMISE_RESCHEDULE)(handle_reschedule)
    app.action(ACTION_THANKS_MARK)(handle_thanks_mark)
    app.view(RESCHEDULE_MODAL)(handle_reschedule_submission)
