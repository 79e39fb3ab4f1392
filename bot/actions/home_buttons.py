"""App Home's buttons: "Ask about a decision" opens the ask modal; "Mark thanked" records the thank-you
and shows the Home again without that customer. (Kept / Broken / Reschedule on App Home are the
digest buttons, `bot/actions/digest_buttons.py`, which publish the Home again too.)
"""

from __future__ import annotations

from logging import Logger
from typing import Any

from slack_bolt import Ack, App, BoltContext

from bot.actions.digest_buttons import handle_thanks_mark
from bot.events.app_home import publish_home
from bot.runtime import runtime
from outbound.layouts.home import HOME_ASK, HOME_THANKS_MARK
from outbound.layouts.modals import ask_modal


def handle_home_ask(ack: Ack, body: dict[str, Any], context: BoltContext, logger: Logger) -> None:
    ack()
    runtime(context).client.views_open(trigger_id=body["trigger_id"], view=ask_modal())


def handle_home_thanks_mark(ack: Ack, body: dict[str, Any], action: dict[str, Any], context: BoltContext,
                            logger: Logger) -> None:
    # The same recording (and the same note, or the same refusal) as the digest's button.
    handle_thanks_mark(ack, body, action, context, logger)
    publish_home(runtime(context), str(body["user"]["id"]))


def register(app: App) -> None:
    app.action(HOME_ASK)(handle_home_ask)
    app.action(HOME_THANKS_MARK)(handle_home_thanks_mark)
