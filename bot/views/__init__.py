"""View submissions: the ask, concern, promise, reschedule and reassign modals."""

from __future__ import annotations

from slack_bolt import App

from bot.views import (
    ask_submission,
    concern_submission,
    promise_submission,
    reassign_submission,
    reschedule_submission,
)


def register(app: App) -> None:
    ask_submission.register(app)
    concern_submission.register(app)
    promise_submission.register(app)
    reschedule_submission.register(app)
    reassign_submission.register(app)
