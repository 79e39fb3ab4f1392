"""Helpful / Not helpful (recorded), Raise a customer concern (modal), Record a promise (modal), Full brief."""

from __future__ import annotations

from logging import Logger
from typing import Any

from slack_bolt import Ack, App, BoltContext

from bot.flows import briefs
from bot.runtime import runtime
from outbound.layouts.brief_message import FULL_BRIEF, HELPFUL, NOT_HELPFUL, RAISE_CONCERN, RECORD_PROMISE


def handle_helpful(ack: Ack, body: dict[str, Any], action: dict[str, Any], context: BoltContext,
                   logger: Logger) -> None:
    ack()
    briefs.vote(runtime(context), body, str(action.get("value", "")), helpful=True)


def handle_not_helpful(ack: Ack, body: dict[str, Any], action: dict[str, Any], context: BoltContext,
                       logger: Logger) -> None:
    ack()
    briefs.vote(runtime(context), body, str(action.get("value", "")), helpful=False)


def handle_raise_concern(ack: Ack, body: dict[str, Any], action: dict[str, Any], context: BoltContext,
                         logger: Logger) -> None:
    ack()
    briefs.open_concern(runtime(context), body, str(action.get("value", "")))


def handle_record_promise(ack: Ack, body: dict[str, Any], action: dict[str, Any], context: BoltContext,
                          logger: Logger) -> None:
    ack()
    briefs.open_promise_from_brief(runtime(context), body, str(action.get("value", "")))


def handle_full_brief(ack: Ack, body: dict[str, Any], action: dict[str, Any], context: BoltContext,
                      logger: Logger) -> None:
    ack()
    briefs.open_full_brief(runtime(context), body, str(action.get("value", "")))


def register(app: App) -> None:
    app.action(HELPFUL)(handle_helpful)
    app.action(NOT_HELPFUL)(handle_not_helpful)
    app.action(RAISE_CONCERN)(handle_raise_concern)
    app.action(RECORD_PROMISE)(handle_record_promise)
    app.action(FULL_BRIEF)(handle_full_brief)
