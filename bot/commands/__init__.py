"""Slash commands: `/advocate`."""

from __future__ import annotations

from slack_bolt import App

from bot.commands import advocate_command


def register(app: App) -> None:
    advocate_command.register(app)
