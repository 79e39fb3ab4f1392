"""`message` events: DMs to the bot, follow-ups in threads it answered, decision channels, feedback
channels (indexed, re-indexed on edit, removed on delete) and admins' file ingests in DMs.

Messages that mention the bot are left to the `app_mention` listener, so nothing is answered twice.
"""

from __future__ import annotations

from logging import Logger
from typing import Any

from slack_bolt import Ack, App, BoltContext

from bot.answering import Ask, is_decision_message, is_follow_up_question
from bot.file_ingest import parse_request, wants_ingest
from bot.runtime import BotRuntime, runtime
from outbound.text import escape, mentions, mentions_other_people, to_plain, trim

EMPTY_DM = ("Tell me what is being decided and I'll brief you on how it affects customers. "
            "`/advocate help` shows every way to ask.")
INGEST_ADMINS_ONLY = ("Only admins can add material to the knowledge base. Ask the customer-experience lead, "
                      "or send them the file.")
INGEST_NO_FILE = "Attach the file to the same message as `ingest <kind>` (PDF, DOCX, Markdown, text, CSV or JSONL)."
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
            _ingest_files(rt, ask, event)
        return
    in_thread = bool(event.get("thread_ts")) and event.get("thread_ts") != event.get("ts")
    if in_thread:
        # A reply in a DM thread is a follow-up only where a brief was given and it asks something.
        if not (is_follow_up_question(question) and rt.ledger.answered_thread(ask.channel, ask.thread_ts or "")):
            return
        ask = _ask(rt, body, event, how="follow_up", question=question)
    if not rt.first_delivery(body):
        return
    if not question:
        rt.answerer.ephemeral(ask, EMPTY_DM)
        return
    rt.answerer.ask(ask)


def _channel_message(rt: BotRuntime, body: dict[str, Any], event: dict[str, Any], raw: str) -> None:
    channel, ts = str(event["channel"]), str(event["ts"])
    thread_ts = event.get("thread_ts")
    question = to_plain(raw, drop_user=rt.identity.user_id)
    if not thread_ts or thread_ts == ts:
        if channel in rt.settings.decision_channel_ids and is_decision_message(question):
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


def _ingest_files(rt: BotRuntime, ask: Ask, event: dict[str, Any]) -> None:
    person = rt.access.person(ask.user)
    if not (person.internal and person.is_admin):
        rt.answerer.ephemeral(ask, INGEST_ADMINS_ONLY)
        return
    files = list(event.get("files") or [])
    if not files:
        _reply(rt, ask, INGEST_NO_FILE)
        return
    request = parse_request(ask.question)
    _reply(rt, ask, f":inbox_tray: Ingesting {len(files)} file(s)…")

    def job() -> None:
        results = rt.files.ingest(files, request)
        lines = []
        for result in results:
            name = escape(result.name)
            if result.problem:
                lines.append(f"• *{name}* {escape(result.problem)}")
                continue
            summary = result.summary
            assert summary is not None
            lines.append(f"• *{name}*: added {summary.added}, updated {summary.updated}, skipped {summary.skipped}, "
                         f"deleted {summary.deleted}, rejected {summary.rejected}")
            lines.extend(f"    ◦ {escape(str(r))}" for r in summary.rejections[:10])
        kind = request.kind or "inferred kind"
        visibility = "restricted" if request.restricted else "internal"
        _reply(rt, ask, trim(f"Ingested as {kind} ({visibility}):\n" + "\n".join(lines), 3900))

    if not rt.workers.submit(job):
        _reply(rt, ask, "I'm busy right now; send the file again in a minute.")


def _reply(rt: BotRuntime, ask: Ask, text: str) -> None:
    rt.poster.post(channel=ask.channel, thread_ts=ask.thread_ts, text=text, tries=2)


def register(app: App) -> None:
    app.event("message")(handle_message)
