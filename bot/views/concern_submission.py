"""A customer concern: posted in the decision's thread and recorded on the decision."""

from __future__ import annotations

from logging import Logger
from typing import Any

from slack_bolt import Ack, App, BoltContext

from bot.runtime import runtime
from outbound.layouts.modals import CONCERN_BLOCK, CONCERN_MODAL, metadata, submitted
from outbound.text import escape, user_mention
from records.slack_records import MAX_CONCERN_CHARS


def handle_concern_submission(ack: Ack, body: dict[str, Any], view: dict[str, Any], context: BoltContext,
                              logger: Logger) -> None:
    text = submitted(view, CONCERN_BLOCK).strip()
    if not text:
        ack(response_action="errors", errors={CONCERN_BLOCK: "Say what won't work for customers."})
        return
    if len(text) > MAX_CONCERN_CHARS:
        ack(response_action="errors", errors={CONCERN_BLOCK: f"Keep it under {MAX_CONCERN_CHARS:,} characters."})
        return
    rt = runtime(context)
    user = str(body["user"]["id"])
    person = rt.access.person(user)
    if not (person.internal and (person.is_advocate or person.is_admin)):
        ack(response_action="errors", errors={CONCERN_BLOCK: "Only customer advocates raise concerns."})
        return
    try:
        brief = rt.ledger.record_concern(str(metadata(view).get("brief_id", "")), user=user, text=text)
    except (LookupError, ValueError) as exc:
        ack(response_action="errors", errors={CONCERN_BLOCK: str(exc)})
        return
    ack()
    quoted = "\n".join(f">{escape(line)}" for line in text.splitlines() if line.strip())
    rt.answerer.poster.post(  # at most once, even when Slack's answer is lost
        channel=brief.channel, thread_ts=brief.thread_ts, tries=2,
        text=f":warning: {user_mention(user)} raised a customer concern on this decision:\n{quoted}",
    )
    logger.info("concern recorded on the decision of brief %s by %s", brief.id, user)


def register(app: App) -> None:
    app.view(CONCERN_MODAL)(handle_concern_submission)
