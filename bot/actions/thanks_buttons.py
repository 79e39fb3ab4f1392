""""Mark thanked" on a tenure milestone in the manager digest."""

from __future__ import annotations

from logging import Logger
from typing import Any

from slack_bolt import Ack, App, BoltContext

from bot.flows.thanks import mark_thanked
from bot.runtime import runtime
from outbound.actions import ACTION_THANKS_MARK


def handle_thanks_mark(ack: Ack, body: dict[str, Any], action: dict[str, Any], context: BoltContext,
                       logger: Logger) -> None:
    ack()
    mark_thanked(runtime(context), body, str(action.get("value", "")))


def register(app: App) -> None:
    app.action(ACTION_THANKS_MARK)(handle_thanks_mark)
