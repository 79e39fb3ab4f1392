"""Block actions: the buttons under a brief, on App Home, and on digests and reminders (Reassign too)."""

from __future__ import annotations

from slack_bolt import App

from bot.actions import brief_buttons, digest_buttons, home_buttons, reassign_buttons


def register(app: App) -> None:
    brief_buttons.register(app)
    home_buttons.register(app)
    digest_buttons.register(app)
    reassign_buttons.register(app)
