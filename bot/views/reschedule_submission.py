"""Reschedule a promise: the new due time and why, from its owner (or an admin), kept on its record."""

from __future__ import annotations

from logging import Logger
from typing import Any

from slack_bolt import Ack, App, BoltContext

from bot.flows.promises import submit_reschedule
from bot.runtime import runtime
from outbound.layouts.modals import RESCHEDULE_MODAL


def handle_reschedule_submission(ack: Ack, body: dict[str, Any], view: dict[str, Any], context: BoltContext,
                                 logger: Logger) -> None:
    submit_reschedule(runtime(context), ack, user=str(body["user"]["id"]), view=view)


def register(app: App) -> None:
    app.view(RESCHEDULE_MODAL)(handle_reschedule_submission)
