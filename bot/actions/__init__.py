"""Block actions: the buttons under a brief, on digests and reminders, and on App Home."""

from __future__ import annotations

from slack_bolt import App

from bot.actions import buttons


def register(app: App) -> None:
    buttons.register(app)
