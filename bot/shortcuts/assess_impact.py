"""The message shortcut "Assess customer impact": a brief on that message, in its thread."""

from __future__ import annotations

from logging import Logger
from typing import Any

from slack_bolt import Ack, App, BoltContext

from bot.answering import Ask
from bot.runtime import runtime
from outbound.text import to_plain

CALLBACK_ID = "assess_customer_impact"


def handle_assess_impact(ack: Ack, body: dict[str, Any], shortcut: dict[str, Any], context: BoltContext,
                         logger: Logger) -> None:
    ack()
    rt = runtime(context)
    message = shortcut.get("message") or {}
    ts = str(message.get("ts") or shortcut.get("message_ts"))
    rt.answerer.ask(Ask(
        how="shortcut", user=str(shortcut["user"]["id"]), channel=str(shortcut["channel"]["id"]),
        question=to_plain(str(message.get("text", "")), drop_user=rt.identity.user_id),
        thread_ts=str(message.get("thread_ts") or ts), message_ts=ts,
        team_id=(shortcut.get("team") or {}).get("id"), enterprise_id=(shortcut.get("enterprise") or {}).get("id"),
    ))


def register(app: App) -> None:
    app.shortcut(CALLBACK_ID)(handle_assess_impact)
