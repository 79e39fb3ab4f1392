"""Kept / Broken / Reschedule / Reassign on promise reminders, digests, App Home and the DM to a new owner
(`outbound.actions`): only a promise's owner (or an admin) closes or moves it. The Reschedule and
Reassign modals' submissions are in `bot/views/`.
"""

from __future__ import annotations

from logging import Logger
from typing import Any

from slack_bolt import Ack, App, BoltContext

from bot.flows import promises
from bot.runtime import runtime
from outbound.actions import (
    ACTION_PROMISE_BROKEN,
    ACTION_PROMISE_KEPT,
    ACTION_PROMISE_REASSIGN,
    ACTION_PROMISE_RESCHEDULE,
)


def handle_promise_kept(ack: Ack, body: dict[str, Any], action: dict[str, Any], context: BoltContext,
                        logger: Logger) -> None:
    ack()
    promises.close_promise(runtime(context), body, str(action.get("value", "")), outcome="kept")


def handle_promise_broken(ack: Ack, body: dict[str, Any], action: dict[str, Any], context: BoltContext,
                          logger: Logger) -> None:
    ack()
    promises.close_promise(runtime(context), body, str(action.get("value", "")), outcome="broken")


def handle_reschedule(ack: Ack, body: dict[str, Any], action: dict[str, Any], context: BoltContext,
                      logger: Logger) -> None:
    ack()
    promises.open_reschedule(runtime(context), body, str(action.get("value", "")))


def handle_reassign(ack: Ack, body: dict[str, Any], action: dict[str, Any], context: BoltContext,
                    logger: Logger) -> None:
    ack()
    promises.open_reassign(runtime(context), body, str(action.get("value", "")))


def register(app: App) -> None:
    app.action(ACTION_PROMISE_KEPT)(handle_promise_kept)
    app.action(ACTION_PROMISE_BROKEN)(handle_promise_broken)
    app.action(ACTION_PROMISE_RESCHEDULE)(handle_reschedule)
    app.action(ACTION_PROMISE_REASSIGN)(handle_reassign)
