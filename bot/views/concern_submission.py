"""A customer concern: posted in the decision's thread and recorded on the decision."""

from __future__ import annotations

from logging import Logger
from typing import Any

from slack_bolt import Ack, App, BoltContext

from bot.flows.briefs import submit_concern
from bot.runtime import runtime
from outbound.layouts.modals import CONCERN_MODAL


def handle_concern_submission(ack: Ack, body: dict[str, Any], view: dict[str, Any], context: BoltContext,
                              logger: Logger) -> None:
    submit_concern(runtime(context), ack, user=str(body["user"]["id"]), view=view)


def register(app: App) -> None:
    app.view(CONCERN_MODAL)(handle_concern_submission)
