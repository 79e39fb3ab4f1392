"""Reassign a promise: handed on by its owner (or an admin) to someone in the staff list, who is told by DM
with the promise's buttons; recorded with who, when and why."""

from __future__ import annotations

from logging import Logger
from typing import Any

from slack_bolt import Ack, App, BoltContext

from bot.flows.promises import submit_reassign
from bot.runtime import runtime
from outbound.layouts.modals import REASSIGN_MODAL


def handle_reassign_submission(ack: Ack, body: dict[str, Any], view: dict[str, Any], context: BoltContext,
                               logger: Logger) -> None:
    submit_reassign(runtime(context), ack, user=str(body["user"]["id"]), view=view)


def register(app: App) -> None:
    app.view(REASSIGN_MODAL)(handle_reassign_submission)
