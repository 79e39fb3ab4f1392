"""Helpful / Not helpful (recorded), Raise a customer concern (modal), Record a promise (modal), Full brief."""

from __future__ import annotations

import logging
from datetime import datetime
from logging import Logger
from typing import Any

from slack_bolt import Ack, App, BoltContext

from bot.access import GUEST_REFUSAL
from bot.runtime import BotRuntime, runtime
from outbound.layouts.brief_message import (
    FULL_BRIEF,
    HELPFUL,
    NOT_HELPFUL,
    RAISE_CONCERN,
    RECORD_PROMISE,
    full_brief_modal,
)
from outbound.layouts.brief_view import BriefView
from outbound.layouts.modals import concern_modal, promise_modal

log = logging.getLogger(__name__)

GONE = "That brief is no longer on record; ask again to get a fresh one."
ADVOCATES_ONLY = ("Concerns are raised by customer advocates, so they reach the people who weigh them. "
                  "`/advocate advocates` lists them: mention the one for this decision in the thread.")


def _where(body: dict[str, Any]) -> tuple[str, str | None]:
    channel = str((body.get("channel") or {}).get("id") or (body.get("container") or {}).get("channel_id") or "")
    message = body.get("message") or {}
    return channel, message.get("thread_ts") or message.get("ts")


def _note(rt: BotRuntime, body: dict[str, Any], text: str) -> None:
    channel, thread_ts = _where(body)
    user = str(body["user"]["id"])
    if channel:
        kwargs: dict[str, Any] = {"thread_ts": thread_ts} if thread_ts else {}
        rt.client.chat_postEphemeral(channel=channel, user=user, text=text, **kwargs)


def _vote(helpful: bool) -> Any:
    def handle_vote(ack: Ack, body: dict[str, Any], action: dict[str, Any], context: BoltContext,
                    logger: Logger) -> None:
        ack()
        rt = runtime(context)
        recorded = rt.ledger.record_feedback(
            str(action.get("value", "")), user=str(body["user"]["id"]), helpful=helpful
        )
        _note(rt, body, ("Thanks — recorded as helpful." if helpful else
                         "Thanks — recorded as not helpful. Say in the thread what was missing; it helps.")
              if recorded else GONE)

    handle_vote.__name__ = "handle_helpful" if helpful else "handle_not_helpful"
    return handle_vote


def handle_raise_concern(ack: Ack, body: dict[str, Any], action: dict[str, Any], context: BoltContext,
                         logger: Logger) -> None:
    ack()
    rt = runtime(context)
    user = str(body["user"]["id"])
    person = rt.access.person(user)
    if not (person.internal and (person.is_advocate or person.is_admin)):
        _note(rt, body, ADVOCATES_ONLY)
        return
    brief = rt.ledger.brief(str(action.get("value", "")))
    if brief is None:
        _note(rt, body, GONE)
        return
    decision = BriefView.from_json(brief.view).decision
    rt.client.views_open(trigger_id=body["trigger_id"], view=concern_modal(brief_id=brief.id, decision=decision))


def handle_record_promise(ack: Ack, body: dict[str, Any], action: dict[str, Any], context: BoltContext,
                          logger: Logger) -> None:
    ack()
    rt = runtime(context)
    brief = rt.ledger.brief(str(action.get("value", "")))
    if brief is None:
        _note(rt, body, GONE)
        return
    open_promise_modal(rt, trigger_id=body["trigger_id"], user=str(body["user"]["id"]), text=brief.question,
                       channel=brief.channel, thread_ts=brief.thread_ts, message_ts=brief.thread_ts)


def open_promise_modal(rt: BotRuntime, *, trigger_id: str, user: str, text: str, channel: str,
                       thread_ts: str | None, message_ts: str | None, refuse: Any = None) -> None:
    """The promise modal, opened first (the trigger id lasts 3 s); the thread's permalink is fetched after
    and put into the open modal with views.update, so the submission needs no Slack call before its ack."""
    if not rt.access.person(user).internal:
        if refuse is not None:
            refuse(GUEST_REFUSAL)
        else:
            rt.client.chat_postEphemeral(channel=channel, user=user, text=GUEST_REFUSAL)
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


def handle_full_brief(ack: Ack, body: dict[str, Any], action: dict[str, Any], context: BoltContext,
                      logger: Logger) -> None:
    ack()
    rt = runtime(context)
    if not rt.access.person(str(body["user"]["id"])).internal:
        _note(rt, body, GUEST_REFUSAL)  # a guest in the channel sees the message, not the rest of it
        return
    brief = rt.ledger.brief(str(action.get("value", "")))
    # Only from the conversation it was given in: a brief from a DM is not opened elsewhere.
    if brief is None or brief.channel != _where(body)[0]:
        _note(rt, body, GONE)
        return
    rt.client.views_open(trigger_id=body["trigger_id"],
                         view=full_brief_modal(BriefView.from_json(brief.view), masked=brief.masked))


def register(app: App) -> None:
    app.action(HELPFUL)(_vote(True))
    app.action(NOT_HELPFUL)(_vote(False))
    app.action(RAISE_CONCERN)(handle_raise_concern)
    app.action(RECORD_PROMISE)(handle_record_promise)
    app.action(FULL_BRIEF)(handle_full_brief)
