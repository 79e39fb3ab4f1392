"""App Home's "Ask about a decision" button: opens the ask modal."""

from __future__ import annotations

from logging import Logger
from typing import Any

from slack_bolt import Ack, App, BoltContext

from bot.blocks.home import HOME_ASK
from bot.blocks.modals import ask_modal
from bot.runtime import runtime


def handle_home_ask(ack: Ack, body: dict[str, Any], context: BoltContext, logger: Logger) -> None:
    ack()
    runtime(context).client.views_open(trigger_id=body["trigger_id"], view=ask_modal())


def register(app: App) -> None:
    app.action(HOME_ASK)(handle_home_ask)
