"""Message shortcuts: "Assess customer impact" and "Record a promise"."""

from __future__ import annotations

from slack_bolt import App

from bot.shortcuts import assess_impact, record_promise


def register(app: App) -> None:
    assess_impact.register(app)
    record_promise.register(app)
