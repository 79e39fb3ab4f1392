"""App Home: published for each person when they open it (`bot/flows/home.py`)."""

from __future__ import annotations

from logging import Logger
from typing import Any

from slack_bolt import Ack, App, BoltContext

from bot.flows.home import publish_home
from bot.runtime import runtime


def handle_app_home_opened(ack: Ack, event: dict[str, Any], context: BoltContext, logger: Logger) -> None:
    ack()
    if event.get("tab") not in (None, "home"):
        return
    publish_home(runtime(context), str(event["user"]))


def register(app: App) -> None:
    app.event("app_home_opened")(handle_app_home_opened)
