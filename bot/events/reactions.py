"""The configured reaction on a message asks for a brief on that message, in its thread (once per message)."""

from __future__ import annotations

from logging import Logger
from typing import Any

from slack_bolt import Ack, App, BoltContext
from slack_sdk.errors import SlackApiError

from bot.answering import Ask
from bot.runtime import BotRuntime, runtime
from outbound.text import to_plain
from records.slack_records import REACTION_CLAIM


def handle_reaction_added(ack: Ack, body: dict[str, Any], event: dict[str, Any], context: BoltContext,
                          logger: Logger) -> None:
    ack()
    rt = runtime(context)
    item = event.get("item") or {}
    if event.get("reaction") != rt.settings.ask_emoji or item.get("type") != "message" or not event.get("user"):
        return
    channel, ts = str(item.get("channel", "")), str(item.get("ts", ""))
    if not channel or not ts or not rt.first_delivery(body):
        return
    # One brief per message, however many people add the reaction; someone who would be refused (a guest,
    # Slack Connect) is told so without using up the message's one brief.
    asker_may_see = rt.access.person(str(event["user"])).internal
    if asker_may_see and not rt.claim(f"{REACTION_CLAIM}{channel}:{ts}"):
        return
    message = _message(rt, channel, ts, logger) if asker_may_see else {"text": ""}
    if message is None:
        return
    rt.answerer.ask(Ask(
        how="reaction", user=str(event["user"]), channel=channel,
        question=to_plain(str(message.get("text", "")), drop_user=rt.identity.user_id),
        thread_ts=str(message.get("thread_ts") or ts), message_ts=ts,
        team_id=body.get("team_id"), enterprise_id=body.get("enterprise_id"),
        event_says_shared=body.get("is_ext_shared_channel"),
    ))


def _message(rt: BotRuntime, channel: str, ts: str, logger: Logger) -> dict[str, Any] | None:
    """The message reacted to, whether it opens a thread or is a reply in one."""
    try:
        found = rt.client.conversations_replies(channel=channel, ts=ts, limit=1, inclusive=True)
        for message in found.get("messages", []):
            if message.get("ts") == ts:
                return dict(message)
        history = rt.client.conversations_history(channel=channel, latest=ts, inclusive=True, limit=1)
        for message in history.get("messages", []):
            if message.get("ts") == ts:
                return dict(message)
    except SlackApiError as exc:
        logger.warning("cannot read the message reacted to in %s (%s)", channel, exc.response.get("error"))
    return None


def register(app: App) -> None:
    app.event("reaction_added")(handle_reaction_added)
