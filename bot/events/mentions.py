"""`@Advocate …` in a channel or thread: a brief in the thread of the message."""

from __future__ import annotations

from logging import Logger
from typing import Any

from slack_bolt import Ack, App, BoltContext

from bot.answering import Ask, is_decision_message
from bot.runtime import runtime
from briefs.advisor import names_a_decision
from outbound.text import to_plain

EMPTY_MENTION = ("Tell me the decision and I'll brief you on how it affects customers, e.g. "
                 "`@Advocate we plan to close the phone line at weekends`. `/advocate help` shows everything.")


def handle_app_mention(ack: Ack, body: dict[str, Any], event: dict[str, Any], context: BoltContext,
                       logger: Logger) -> None:
    ack()
    rt = runtime(context)
    if event.get("bot_id") or not event.get("user") or not rt.first_delivery(body):
        return
    channel, ts = str(event["channel"]), str(event["ts"])
    in_thread = bool(event.get("thread_ts")) and event.get("thread_ts") != ts
    question = to_plain(str(event.get("text", "")), drop_user=rt.identity.user_id)
    top_level_decision = (not in_thread and channel in rt.settings.decision_channel_ids
                          and is_decision_message(question))
    ask = Ask(
        how="decision_channel" if top_level_decision else "mention",
        user=str(event["user"]), channel=channel, question=question,
        thread_ts=str(event.get("thread_ts") or ts), message_ts=ts,
        team_id=body.get("team_id"), enterprise_id=body.get("enterprise_id"),
        event_says_shared=body.get("is_ext_shared_channel"),
    )
    if not names_a_decision(question) and not in_thread:
        rt.answerer.ephemeral(ask, EMPTY_MENTION)
        return
    rt.answerer.ask(ask)


def register(app: App) -> None:
    app.event("app_mention")(handle_app_mention)
