"""Record a promise: stored through the promises records, errors shown on the field they are about."""

from __future__ import annotations

from logging import Logger
from typing import Any

from slack_bolt import Ack, App, BoltContext

from bot.flows.promises import submit_promise
from bot.runtime import runtime
from outbound.layouts.modals import PROMISE_MODAL


def handle_promise_submission(ack: Ack, body: dict[str, Any], view: dict[str, Any], context: BoltContext,
                              logger: Logger) -> None:
    submit_promise(runtime(context), ack, user=str(body["user"]["id"]), view=view)


def register(app: App) -> None:
    app.view(PROMISE_MODAL)(handle_promise_submission)
