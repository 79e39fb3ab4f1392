"""`message` events: DMs to the bot, follow-ups in threads it answered, decision channels, feedback
channels (indexed, re-indexed on edit, removed on delete) and admins' file ingests in DMs.

Messages that mention the bot are left to the `app_mention` listener, so nothing is answered twice.
"""

from __future__ import annotations

from logging import Logger
from typing import Any

from slack_bolt import Ack, App, BoltContext

from bot.answering import Ask, is_decision_message, is_follow_up_question
from bot.file_ingest import wants_ingest
from bot.flows.files import ingest_files
from bot.runtime import BotRuntime, runtime
from briefs.advisor import names_a_decision
from outbound.text import mentions, mentions_other_people, to_plain

EMPTY_DM = ("Tell me what is being decided and I'll brief you on how it affects customers. "
            "`/advocate help` shows every way to ask.")
_QUESTION_SUBTYPES = (None, "thread_broadcast", "file_share")


def handle_message(ack: Ack, body: dict[str, Any], event: dict[str, Any], context: BoltContext,
                   logger: Logger) -> None:
    ack()
    rt = runtime(context)
    channel = str(event.get("channel", ""))
    if rt.feedback.watches(channel):
        outcome = rt.feedback.handle(event)
        logger.debug("feedback channel %s: %s", channel, outcome)
        return
    subtype = event.get("subtype")
    if subtype not in _QUESTION_SUBTYPES or event.get("bot_id") or not event.get("user"):
        return
    if event.get("user") == rt.identity.user_id:
        return
    raw = str(event.get("text", ""))
    if event.get("channel_type") != "im" and mentions(raw, rt.identity.user_id):
        return  # app_mention answers it
    if event.get("channel_type") == "im":
        _direct_message(rt, body, event, raw)
    else:
        _channel_message(rt, body, event, raw)


def _ask(rt: BotRuntime, body: dict[str, Any], event: dict[str, Any], *, how: str, question: str) -> Ask:
    ts = str(event["ts"])
    return Ask(
        how=how, user=str(event["user"]), channel=str(event["channel"]), question=question,
        thread_ts=str(event.get("thread_ts") or ts), message_ts=ts,
        team_id=body.get("team_id"), enterprise_id=body.get("enterprise_id"),
        event_says_shared=body.get("is_ext_shared_channel"),
    )


def _direct_message(rt: BotRuntime, body: dict[str, Any], event: dict[str, Any], raw: str) -> None:
    question = to_plain(raw, drop_user=rt.identity.user_id)
    ask = _ask(rt, body, event, how="dm", question=question)
    if wants_ingest(question) and (event.get("files") or len(question.split()) <= 4):
        if rt.first_delivery(body):
            ingest_files(rt, ask, event)
        return
    in_thread = bool(event.get("thread_ts")) and event.get("thread_ts") != event.get("ts")
    if in_thread:
        # A reply in a DM thread is a follow-up only where a brief was given and it asks something.
        if not (is_follow_up_question(question) and rt.ledger.answered_thread(ask.channel, ask.thread_ts or "")):
            return
        ask = _ask(rt, body, event, how="follow_up", question=question)
    if not rt.first_delivery(body):
        return
    if not in_thread and not names_a_decision(question):  # in a thread, "any thoughts?" asks about its decision
        rt.answerer.ephemeral(ask, EMPTY_DM)
        return
    rt.answerer.ask(ask)


def _channel_message(rt: BotRuntime, body: dict[str, Any], event: dict[str, Any], raw: str) -> None:
    channel, ts = str(event["channel"]), str(event["ts"])
    thread_ts = event.get("thread_ts")
    question = to_plain(raw, drop_user=rt.identity.user_id)
    if not thread_ts or thread_ts == ts:
        if (channel in rt.settings.decision_channel_ids and is_decision_message(question)
                and names_a_decision(question)):
            if rt.first_delivery(body):
                rt.answerer.ask(_ask(rt, body, event, how="decision_channel", question=question))
        return
    # A reply in a thread: answered only as a follow-up in a thread the bot has answered.
    if mentions_other_people(raw, bot_user_id=rt.identity.user_id) or not is_follow_up_question(question):
        return
    if not rt.ledger.answered_thread(channel, str(thread_ts)):
        return
    if rt.first_delivery(body):
        rt.answerer.ask(_ask(rt, body, event, how="follow_up", question=question))


def register(app: App) -> None:
    app.event("message")(handle_message)
