"""Record a promise: stored through the promises records, errors shown on the field they are about."""

from __future__ import annotations

from logging import Logger
from typing import Any

from slack_bolt import Ack, App, BoltContext

from bot.runtime import runtime
from outbound.layouts.modals import (
    CUSTOMER_BLOCK,
    DUE_DATE_BLOCK,
    DUE_TIME_BLOCK,
    OWNER_BLOCK,
    PROMISE_MODAL,
    TEXT_BLOCK,
    metadata,
    submitted,
)
from outbound.text import escape, trim, user_mention
from records.errors import InputError, NotFound

# The records name fields as the CLI does; the modal's blocks are named after what the person sees.
FIELD_BLOCKS = {"customer": CUSTOMER_BLOCK, "text": TEXT_BLOCK, "owner": OWNER_BLOCK, "due": DUE_DATE_BLOCK,
                "tz": DUE_TIME_BLOCK, "permalink": TEXT_BLOCK}


def handle_promise_submission(ack: Ack, body: dict[str, Any], view: dict[str, Any], context: BoltContext,
                              logger: Logger) -> None:
    rt = runtime(context)
    user = str(body["user"]["id"])
    owner_user = submitted(view, OWNER_BLOCK)
    owner = rt.records.staff.resolve(owner_user) if owner_user else None
    if owner is None:
        ack(response_action="errors", errors={
            OWNER_BLOCK: "Not in the staff list; pick someone who is (admins import the staff list)."})
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
            logger.warning("no permalink for the promise's thread")
    try:
        promise = rt.records.promises.add(
            customer=submitted(view, CUSTOMER_BLOCK), text=submitted(view, TEXT_BLOCK), owner=owner.handle,
            due=f"{submitted(view, DUE_DATE_BLOCK)} {submitted(view, DUE_TIME_BLOCK) or '17:00'}",
            tz=owner.tz, permalink=permalink, by=submitter.handle if submitter else user,
        )
    except InputError as exc:
        ack(response_action="errors", errors={FIELD_BLOCKS.get(exc.field, CUSTOMER_BLOCK): exc.message})
        return
    except NotFound as exc:
        ack(response_action="errors", errors={CUSTOMER_BLOCK: str(exc)})
        return
    ack()
    if where.get("channel") and where.get("thread_ts"):
        rt.answerer.poster.post(  # at most once, even when Slack's answer is lost
            channel=where["channel"], thread_ts=where["thread_ts"], tries=2,
            text=f":handshake: {user_mention(user)} recorded a promise to customer {escape(promise.customer_id)}: "
                 f"“{escape(trim(promise.text, 500))}” — kept by {user_mention(owner_user)}, due "
                 f"{promise.due_at.strftime('%d %b %Y %H:%M')} UTC.",
        )
    else:  # from `/advocate promise`: no thread to say it in, so the person is told by DM
        try:
            rt.client.chat_postMessage(
                channel=user, text=f":handshake: Recorded your promise to customer {escape(promise.customer_id)}: "
                                   f"“{escape(trim(promise.text, 500))}” — kept by {user_mention(owner_user)}, due "
                                   f"{promise.due_at.strftime('%d %b %Y %H:%M')} UTC.")
        except Exception:  # recorded all the same
            logger.warning("could not confirm promise %s to %s", promise.id, user)


def register(app: App) -> None:
    app.view(PROMISE_MODAL)(handle_promise_submission)
