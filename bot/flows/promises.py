"""Promises from Slack: the "Record a promise" modal and its submission, and the buttons on reminders,
digests and App Home that close, reschedule or hand a promise on (with their modals).

The person acting is found in the staff list by their Slack id; only a promise's owner (or an admin)
closes, moves or hands it on (`records.permissions`). A change made from App Home publishes it again.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from slack_bolt import Ack

from bot.access import GUEST_REFUSAL
from bot.flows.home import publish_home
from bot.flows.replies import clicked_in, dm, note, tell
from bot.runtime import BotRuntime
from outbound.layouts.modals import (
    CUSTOMER_BLOCK,
    DUE_DATE_BLOCK,
    DUE_TIME_BLOCK,
    NEW_OWNER_BLOCK,
    OWNER_BLOCK,
    REASSIGN_REASON_BLOCK,
    RESCHEDULE_REASON_BLOCK,
    TEXT_BLOCK,
    metadata,
    promise_modal,
    reassign_modal,
    reschedule_modal,
    submitted,
)
from outbound.layouts.promises import customer_shown, handed_on_message
from outbound.text import escape, slack_time, trim, user_mention
from records.due_times import show_due
from records.errors import InputError, NotFound
from records.permissions import may_change_promise
from records.promises import PromiseView

log = logging.getLogger(__name__)

NOT_STAFF = "You're not in the staff list, so I can't tell which promises are yours. Ask an admin to import staff."
NEW_OWNER_NOT_STAFF = "Not in the staff list; pick someone who is (admins import the staff list)."
ONLY_OWNER_CLOSES = "Only the promise's owner (or an admin) closes it."
ONLY_OWNER_MOVES = "Only the promise's owner (or an admin) moves it."
ONLY_OWNER_REASSIGNS = "Only the promise's owner (or an admin) reassigns it."
DEFAULT_DUE_TIME = "17:00"
# The records name fields as the CLI does; the modals' blocks are named after what the person sees.
PROMISE_FIELD_BLOCKS = {"customer": CUSTOMER_BLOCK, "text": TEXT_BLOCK, "owner": OWNER_BLOCK, "due": DUE_DATE_BLOCK,
                        "tz": DUE_TIME_BLOCK, "permalink": TEXT_BLOCK}
RESCHEDULE_FIELD_BLOCKS = {"due": DUE_DATE_BLOCK, "tz": DUE_TIME_BLOCK, "reason": RESCHEDULE_REASON_BLOCK}
REASSIGN_FIELD_BLOCKS = {"to": NEW_OWNER_BLOCK, "owner": NEW_OWNER_BLOCK}


def staff_handle(rt: BotRuntime, user: str) -> str | None:
    """The staff handle of a Slack user, or None when they are not in the staff list."""
    staff = rt.records.staff.resolve(user)
    return staff.handle if staff else None


def _may_change(rt: BotRuntime, *, user: str, handle: str, promise: PromiseView) -> bool:
    return may_change_promise(promise, handle=handle, is_admin=user in rt.settings.admin_ids)


def _due(view: dict[str, Any]) -> str:
    return f"{submitted(view, DUE_DATE_BLOCK)} {submitted(view, DUE_TIME_BLOCK) or DEFAULT_DUE_TIME}"


def _due_shown(rt: BotRuntime, promise: PromiseView) -> str:
    """The due time as mrkdwn: in each reader's zone, falling back to the zone the promise was given in."""
    return slack_time(promise.due_at, show_due(promise.due_at, promise.due_tz, rt.records.timezone))


# -- recording ---------------------------------------------------------------------------------------------
def open_promise_modal(rt: BotRuntime, *, trigger_id: str, user: str, text: str, channel: str,
                       thread_ts: str | None, message_ts: str | None,
                       refuse: Callable[[str], Any] | None = None) -> None:
    """The promise modal, opened first (the trigger id lasts 3 s); the thread's permalink is fetched after
    and put into the open modal with views.update, so the submission needs no Slack call before its ack.
    A guest is refused (by `refuse`, else an ephemeral note in `channel`)."""
    if not rt.access.person(user).internal:
        if refuse is not None:
            refuse(GUEST_REFUSAL)
        else:
            note(rt, channel=channel, user=user, text=GUEST_REFUSAL)
        return
    today = datetime.now(rt.records.timezone).date()
    where = {"channel": channel, "thread_ts": thread_ts, "message_ts": message_ts}
    where = {key: value for key, value in where.items() if value}
    opened = rt.client.views_open(trigger_id=trigger_id, view=promise_modal(
        text=text, owner=user, today=today, metadata=where))
    if not (channel and message_ts):
        return
    try:
        permalink = rt.client.chat_getPermalink(channel=channel, message_ts=message_ts).get("permalink")
        if not permalink:
            return
        view = opened.get("view") or {}
        kwargs: dict[str, Any] = {"hash": view["hash"]} if view.get("hash") else {}
        rt.client.views_update(view_id=view["id"], view=promise_modal(
            text=text, owner=user, today=today, metadata={**where, "permalink": permalink}), **kwargs)
    except Exception:  # the submission looks the link up again; the promise stands without one at worst
        log.warning("could not add the thread's permalink to the promise modal", exc_info=True)


def submit_promise(rt: BotRuntime, ack: Ack, *, user: str, view: dict[str, Any]) -> None:
    """Record the promise (errors shown on the field they are about), then say so in its thread, or by DM
    when it was recorded from `/advocate promise`."""
    owner_user = submitted(view, OWNER_BLOCK)
    owner = rt.records.staff.resolve(owner_user) if owner_user else None
    if owner is None:
        ack(response_action="errors", errors={OWNER_BLOCK: NEW_OWNER_NOT_STAFF})
        return
    submitter = rt.records.staff.resolve(user)
    where = metadata(view)
    # Put into the modal right after it opened; looked up here only when that did not happen.
    permalink = where.get("permalink") or None
    if not permalink and where.get("channel") and where.get("message_ts"):
        try:
            found = rt.client.chat_getPermalink(channel=where["channel"], message_ts=where["message_ts"])
            permalink = found.get("permalink")
        except Exception:  # the promise stands without a link
            log.warning("no permalink for the promise's thread")
    try:
        promise = rt.records.promises.add(
            customer=submitted(view, CUSTOMER_BLOCK), text=submitted(view, TEXT_BLOCK), owner=owner.handle,
            due=_due(view), tz=owner.tz, permalink=permalink, by=submitter.handle if submitter else user,
        )
    except InputError as exc:
        ack(response_action="errors", errors={PROMISE_FIELD_BLOCKS.get(exc.field, CUSTOMER_BLOCK): exc.message})
        return
    except NotFound as exc:
        ack(response_action="errors", errors={CUSTOMER_BLOCK: str(exc)})
        return
    ack()
    said = (f"to customer {escape(promise.customer_id)}: “{escape(trim(promise.text, 500))}” — kept by "
            f"{user_mention(owner_user)}, due {_due_shown(rt, promise)}.")
    if where.get("channel") and where.get("thread_ts"):
        rt.poster.post(  # at most once, even when Slack's answer is lost
            channel=where["channel"], thread_ts=where["thread_ts"], tries=2,
            text=f":handshake: {user_mention(user)} recorded a promise {said}",
        )
    else:  # from `/advocate promise`: no thread to say it in, so the person is told by DM
        if not dm(rt, user, f":handshake: Recorded your promise {said}"):  # recorded all the same
            log.warning("could not confirm promise %s to %s", promise.id, user)


# -- the buttons on reminders, digests and App Home ---------------------------------------------------------
@dataclass(frozen=True)
class Clicked:
    user: str  # Slack id of the person who clicked
    handle: str  # their staff handle
    promise: PromiseView  # the promise the button is on


def clicked_by_owner(rt: BotRuntime, body: dict[str, Any], promise_id: str, *, refusal: str) -> Clicked | None:
    """Who clicked a promise button, when they may change that promise (its owner, or an admin); otherwise
    they are told why (`refusal` when it is someone else's) and the answer is None."""
    user = str(body["user"]["id"])
    handle = staff_handle(rt, user)
    if handle is None:
        tell(rt, body, NOT_STAFF)
        return None
    try:
        promise = rt.records.promises.get(promise_id)
    except NotFound as exc:
        tell(rt, body, escape(str(exc)))
        return None
    if not _may_change(rt, user=user, handle=handle, promise=promise):
        tell(rt, body, refusal)
        return None
    return Clicked(user=user, handle=handle, promise=promise)


def from_home(body: dict[str, Any]) -> bool:
    return (body.get("view") or {}).get("type") == "home"


def close_promise(rt: BotRuntime, body: dict[str, Any], promise_id: str, *, outcome: str) -> None:
    """Kept / Broken: closed by its owner (or an admin), and said so."""
    clicked = clicked_by_owner(rt, body, promise_id, refusal=ONLY_OWNER_CLOSES)
    if clicked is None:
        return
    try:
        promise = rt.records.promises.close(promise_id, outcome=outcome, by=clicked.handle)
    except (InputError, NotFound) as exc:
        tell(rt, body, escape(str(exc)))
        return
    tell(rt, body, f"Recorded: “{escape(trim(promise.text, 200))}” was {outcome}.")
    if from_home(body):
        publish_home(rt, clicked.user)  # the promise leaves the person's list at once


def open_reschedule(rt: BotRuntime, body: dict[str, Any], promise_id: str) -> None:
    rt.client.views_open(trigger_id=body["trigger_id"],
                         view=reschedule_modal(promise_id=promise_id, channel=clicked_in(body)))


def open_reassign(rt: BotRuntime, body: dict[str, Any], promise_id: str) -> None:
    """The Reassign modal, for the promise's owner (or an admin), while it is open."""
    clicked = clicked_by_owner(rt, body, promise_id, refusal=ONLY_OWNER_REASSIGNS)
    if clicked is None:
        return
    promise = clicked.promise
    if promise.status != "open":
        tell(rt, body, f"That promise is already {escape(promise.status)}; only open promises are reassigned.")
        return
    owner = rt.records.staff.get(promise.owner)
    rt.client.views_open(trigger_id=body["trigger_id"], view=reassign_modal(
        promise_id=promise.id, text=promise.text,
        customer=customer_shown(rt.records.customers.get(promise.customer_id), promise.customer_id),
        owner=owner.name if owner else promise.owner, due=_due_shown(rt, promise),
        metadata={"home": from_home(body)},
    ))


# -- the Reschedule and Reassign modals' submissions --------------------------------------------------------
def _acting_handle(rt: BotRuntime, ack: Ack, *, user: str, block: str) -> str | None:
    """The submitter's staff handle; None (and the reason shown on `block`) when they are not staff."""
    handle = staff_handle(rt, user)
    if handle is None:
        ack(response_action="errors", errors={block: NOT_STAFF})
    return handle


def _change(rt: BotRuntime, ack: Ack, *, user: str, handle: str, promise_id: str, block: str, refusal: str,
            fields: dict[str, str], other_fields: str, change: Callable[[], PromiseView]) -> PromiseView | None:
    """`change` the promise when the submitter may, acknowledging the modal; None when refused (shown on
    `block`), or when the records say no: on the block of the field it is about (`fields`, else
    `other_fields`), on `block` for a promise that is not there."""
    try:
        if not _may_change(rt, user=user, handle=handle, promise=rt.records.promises.get(promise_id)):
            ack(response_action="errors", errors={block: refusal})
            return None
        promise = change()
    except InputError as exc:
        ack(response_action="errors", errors={fields.get(exc.field, other_fields): exc.message})
        return None
    except NotFound as exc:
        ack(response_action="errors", errors={block: str(exc)})
        return None
    ack()
    return promise


def submit_reschedule(rt: BotRuntime, ack: Ack, *, user: str, view: dict[str, Any]) -> None:
    handle = _acting_handle(rt, ack, user=user, block=RESCHEDULE_REASON_BLOCK)
    if handle is None:
        return
    promise_id = str(metadata(view).get("promise_id", ""))

    def reschedule() -> PromiseView:
        staff = rt.records.staff.get(handle)
        return rt.records.promises.reschedule(promise_id, due=_due(view), why=submitted(view, RESCHEDULE_REASON_BLOCK),
                                              by=handle, tz=staff.tz if staff else None)

    promise = _change(rt, ack, user=user, handle=handle, promise_id=promise_id, block=RESCHEDULE_REASON_BLOCK,
                      refusal=ONLY_OWNER_MOVES, fields=RESCHEDULE_FIELD_BLOCKS, other_fields=RESCHEDULE_REASON_BLOCK,
                      change=reschedule)
    if promise is not None:
        rt.client.chat_postMessage(channel=user, text=f"Rescheduled “{escape(trim(promise.text, 200))}” to "
                                                      f"{_due_shown(rt, promise)}.")


def submit_reassign(rt: BotRuntime, ack: Ack, *, user: str, view: dict[str, Any]) -> None:
    """Hand the promise on (recorded with who, when and why), tell the new owner by DM with the promise's
    buttons, and tell the person who handed it on."""
    handle = _acting_handle(rt, ack, user=user, block=NEW_OWNER_BLOCK)
    if handle is None:
        return
    data = metadata(view)
    promise_id = str(data.get("promise_id", ""))
    new_user = submitted(view, NEW_OWNER_BLOCK)
    new_owner = rt.records.staff.resolve(new_user) if new_user else None
    if new_owner is None:
        ack(response_action="errors", errors={NEW_OWNER_BLOCK: NEW_OWNER_NOT_STAFF})
        return
    why = submitted(view, REASSIGN_REASON_BLOCK)
    promise = _change(
        rt, ack, user=user, handle=handle, promise_id=promise_id, block=NEW_OWNER_BLOCK,
        refusal=ONLY_OWNER_REASSIGNS, fields=REASSIGN_FIELD_BLOCKS, other_fields=REASSIGN_REASON_BLOCK,
        change=lambda: rt.records.promises.reassign(promise_id, to=new_owner.handle, by=handle, why=why),
    )
    if promise is None:
        return
    log.info("promise %s reassigned to %s by %s", promise.id, new_owner.handle, handle)
    _tell_new_owner(rt, promise, to=new_user, by=user, why=why.strip())
    rt.client.chat_postMessage(channel=user, text=f"Reassigned “{escape(trim(promise.text, 200))}” to "
                                                  f"{user_mention(new_user)}; they have been told.")
    if data.get("home"):
        publish_home(rt, user)  # the promise leaves the person's list at once


def _tell_new_owner(rt: BotRuntime, promise: PromiseView, *, to: str, by: str, why: str) -> None:
    message = handed_on_message(promise, customer=rt.records.customers.get(promise.customer_id), by=by, why=why,
                                tz=rt.records.timezone)
    try:
        rt.client.chat_postMessage(channel=to, text=message.text, blocks=message.blocks_json())
    except Exception:  # recorded all the same; the reminders reach the new owner anyway
        log.exception("could not tell %s about promise %s", to, promise.id)
