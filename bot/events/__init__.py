"""Events API listeners: mentions, messages (DMs, threads, decision and feedback channels), reactions,
App Home."""

from __future__ import annotations

from slack_bolt import App

from bot.events import app_home, mentions, messages, reactions


def register(app: App) -> None:
    mentions.register(app)
    messages.register(app)
    reactions.register(app)
    app_home.register(app)
