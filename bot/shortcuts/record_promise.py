"""The message shortcut "Record a promise": the promise modal prefilled from the message."""

from __future__ import annotations

from logging import Logger
from typing import Any

from slack_bolt import Ack, App, BoltContext

from bot.flows.promises import open_promise_modal
from bot.runtime import runtime
from outbound.text import to_plain

CALLBACK_ID = "record_promise"


def handle_record_promise_shortcut(ack: Ack, shortcut: dict[str, Any], context: BoltContext, logger: Logger) -> None:
    ack()
    rt = runtime(context)
    user = str(shortcut["user"]["id"])
    channel = str(shortcut["channel"]["id"])
    message = shortcut.get("message") or {}
    ts = str(message.get("ts") or shortcut.get("message_ts"))
    open_promise_modal(rt, trigger_id=shortcut["trigger_id"], user=user,
                       text=to_plain(str(message.get("text", ""))), channel=channel,
                       thread_ts=str(message.get("thread_ts") or ts), message_ts=ts)


def register(app: App) -> None:
    app.shortcut(CALLBACK_ID)(handle_record_promise_shortcut)
