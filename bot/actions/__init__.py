"""Block actions: the buttons under a brief, on App Home, and on digests and reminders."""

from __future__ import annotations

from slack_bolt import App

from bot.actions import brief_buttons, home_buttons, promise_buttons, thanks_buttons


def register(app: App) -> None:
    brief_buttons.register(app)
    home_buttons.register(app)
    promise_buttons.register(app)
    thanks_buttons.register(app)
