"""App Home's buttons: "Ask about a decision" opens the ask modal; "Mark thanked" records the thank-you
and shows the Home again without that customer. (Kept / Broken / Reschedule / Reassign on App Home are
the promise buttons, `bot/actions/promise_buttons.py`, which publish the Home again too.)
"""

from __future__ import annotations

from logging import Logger
from typing import Any

from slack_bolt import Ack, App, BoltContext

from bot.flows.home import open_ask_modal
from bot.flows.thanks import mark_thanked
from bot.runtime import runtime
from outbound.layouts.home import HOME_ASK, HOME_THANKS_MARK


def handle_home_ask(ack: Ack, body: dict[str, Any], context: BoltContext, logger: Logger) -> None:
    ack()
    open_ask_modal(runtime(context), trigger_id=body["trigger_id"])


def handle_home_thanks_mark(ack: Ack, body: dict[str, Any], action: dict[str, Any], context: BoltContext,
                            logger: Logger) -> None:
    ack()
    # The same recording (and the same note, or the same refusal) as the digest's button.
    mark_thanked(runtime(context), body, str(action.get("value", "")), republish_home=True)


def register(app: App) -> None:
    app.action(HOME_ASK)(handle_home_ask)
    app.action(HOME_THANKS_MARK)(handle_home_thanks_mark)
