"""Reassign a promise: the "Reassign" button in reminders and on App Home opens a modal with the new owner
and an optional reason; only the promise's owner (or an admin) hands it on. The change is recorded
through `records.promises.reassign` (an event with who, when and why) and the new owner is told by DM,
with the same buttons as a reminder.
"""

from __future__ import annotations

from logging import Logger
from typing import Any

from slack_bolt import Ack, App, BoltContext
from slack_sdk.models.blocks import MarkdownTextObject, SectionBlock

from bot.actions.digest_buttons import NOT_STAFF, _may_change, _note, _staff_handle, clicked_by_owner
from bot.events.app_home import publish_home
from bot.runtime import BotRuntime, runtime
from outbound.actions import ACTION_PROMISE_REASSIGN, promise_buttons
from outbound.layouts.modals import (
    NEW_OWNER_BLOCK,
    REASSIGN_MODAL,
    REASSIGN_REASON_BLOCK,
    metadata,
    reassign_modal,
    submitted,
)
from outbound.text import escape, trim, user_mention
from records.due_times import show_due
from records.errors import InputError, NotFound
from records.promises import PromiseView

ONLY_OWNER = "Only the promise's owner (or an admin) reassigns it."
NEW_OWNER_NOT_STAFF = "Not in the staff list; pick someone who is (admins import the staff list)."


def handle_reassign(ack: Ack, body: dict[str, Any], action: dict[str, Any], context: BoltContext,
                    logger: Logger) -> None:
    ack()
    rt = runtime(context)
    clicked = clicked_by_owner(rt, body, action, refusal=ONLY_OWNER)
    if clicked is None:
        return
    promise = rt.records.promises.get(clicked.promise_id)
    if promise.status != "open":
        _note(rt, body, f"That promise is already {escape(promise.status)}; only open promises are reassigned.")
        return
    customer = rt.records.customers.get(promise.customer_id)
    shown = f"{customer.name} ({customer.id})" if customer else promise.customer_id
    owner = rt.records.staff.get(promise.owner)
    rt.client.views_open(trigger_id=body["trigger_id"], view=reassign_modal(
        promise_id=promise.id, text=promise.text, customer=shown, owner=owner.name if owner else promise.owner,
        due=show_due(promise.due_at, promise.due_tz, rt.records.timezone),
        metadata={"home": (body.get("view") or {}).get("type") == "home"},
    ))


def handle_reassign_submission(ack: Ack, body: dict[str, Any], view: dict[str, Any], context: BoltContext,
                               logger: Logger) -> None:
    rt = runtime(context)
    user = str(body["user"]["id"])
    handle = _staff_handle(rt, user)
    if handle is None:
        ack(response_action="errors", errors={NEW_OWNER_BLOCK: NOT_STAFF})
        return
    data = metadata(view)
    promise_id = str(data.get("promise_id", ""))
    new_user = submitted(view, NEW_OWNER_BLOCK)
    new_owner = rt.records.staff.resolve(new_user) if new_user else None
    if new_owner is None:
        ack(response_action="errors", errors={NEW_OWNER_BLOCK: NEW_OWNER_NOT_STAFF})
        return
    try:
        if not _may_change(rt, user, handle, promise_id):
            ack(response_action="errors", errors={NEW_OWNER_BLOCK: ONLY_OWNER})
            return
        promise = rt.records.promises.reassign(promise_id, to=new_owner.handle, by=handle,
                                               why=submitted(view, REASSIGN_REASON_BLOCK))
    except InputError as exc:
        block = NEW_OWNER_BLOCK if exc.field in ("to", "owner") else REASSIGN_REASON_BLOCK
        ack(response_action="errors", errors={block: exc.message})
        return
    except NotFound as exc:
        ack(response_action="errors", errors={NEW_OWNER_BLOCK: str(exc)})
        return
    ack()
    logger.info("promise %s reassigned to %s by %s", promise.id, new_owner.handle, handle)
    why = submitted(view, REASSIGN_REASON_BLOCK).strip()
    _tell_new_owner(rt, promise, to=new_user, by=user, why=why, logger=logger)
    rt.client.chat_postMessage(channel=user, text=f"Reassigned “{escape(trim(promise.text, 200))}” to "
                                                  f"{user_mention(new_user)}; they have been told.")
    if data.get("home"):
        publish_home(rt, user)  # the promise leaves the person's list at once


def _tell_new_owner(rt: BotRuntime, promise: PromiseView, *, to: str, by: str, why: str, logger: Logger) -> None:
    customer = rt.records.customers.get(promise.customer_id)
    who = f"{customer.name} ({customer.id})" if customer else promise.customer_id
    due = show_due(promise.due_at, promise.due_tz, rt.records.timezone)
    text = (f":handshake: {user_mention(by)} handed a promise on to you: *{escape(trim(promise.text, 1500))}* "
            f"to *{escape(who)}*, due {escape(due)}.")
    if why:
        text += f"\n_Why:_ {escape(trim(why, 1000))}"
    if promise.permalink and promise.permalink.startswith("https://"):
        text += f"\n<{promise.permalink}|Where it was promised>"
    blocks = [
        SectionBlock(text=MarkdownTextObject(text=trim(text, 3000), verbatim=True)),
        promise_buttons(promise.id),
    ]
    try:
        rt.client.chat_postMessage(channel=to, text=f"A promise was handed on to you: {escape(promise.text)}",
                                   blocks=[b.to_dict() for b in blocks])
    except Exception:  # recorded all the same; the reminders reach the new owner anyway
        logger.exception("could not tell %s about promise %s", to, promise.id)


def register(app: App) -> None:
    app.action(ACTION_PROMISE_REASSIGN)(handle_reassign)
    app.view(REASSIGN_MODAL)(handle_reassign_submission)
