"""Every button on Advocate's messages and App Home. Each is acknowledged at once and handed, with its
value, to its flow (`bot/flows/`); the modals they open are submitted to `bot/views/`.

- under a brief (value: the brief's id): Helpful / Not helpful (recorded), Raise a customer concern
  (a modal, for advocates), Record a promise (the promise modal), Full brief (a modal);
- on promise reminders, digests, App Home and the DM to a new owner (value: the promise's id): Kept /
  Broken / Reschedule / Reassign, for the promise's owner or an admin (`outbound.actions`);
- "Mark thanked" on a tenure milestone (value: `CUSTOMER:YEARS`), in the manager digest and on App Home
  (which is published again without that customer);
- App Home's "Ask about a decision" (the ask modal).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from logging import Logger
from typing import Any

from slack_bolt import Ack, App, BoltContext

from bot.flows import briefs, home, promises, thanks
from bot.runtime import BotRuntime, runtime
from outbound.actions import (
    ACTION_PROMISE_BROKEN,
    ACTION_PROMISE_KEPT,
    ACTION_PROMISE_REASSIGN,
    ACTION_PROMISE_RESCHEDULE,
    ACTION_THANKS_MARK,
)
from outbound.layouts.brief_message import FULL_BRIEF, HELPFUL, NOT_HELPFUL, RAISE_CONCERN, RECORD_PROMISE
from outbound.layouts.home import HOME_ASK, HOME_THANKS_MARK

# What a button does: a flow given the runtime, the request body and the button's value.
ButtonFlow = Callable[[BotRuntime, dict[str, Any], str], None]

FLOWS: dict[str, ButtonFlow] = {
    HELPFUL: partial(briefs.vote, helpful=True),
    NOT_HELPFUL: partial(briefs.vote, helpful=False),
    RAISE_CONCERN: briefs.open_concern,
    RECORD_PROMISE: briefs.open_promise_from_brief,
    FULL_BRIEF: briefs.open_full_brief,
    ACTION_PROMISE_KEPT: partial(promises.close_promise, outcome="kept"),
    ACTION_PROMISE_BROKEN: partial(promises.close_promise, outcome="broken"),
    ACTION_PROMISE_RESCHEDULE: promises.open_reschedule,
    ACTION_PROMISE_REASSIGN: promises.open_reassign,
    ACTION_THANKS_MARK: thanks.mark_thanked,
    HOME_THANKS_MARK: partial(thanks.mark_thanked, republish_home=True),
    HOME_ASK: home.open_ask_modal,
}


def handle_button(ack: Ack, body: dict[str, Any], action: dict[str, Any], context: BoltContext,
                  logger: Logger) -> None:
    ack()
    FLOWS[str(action["action_id"])](runtime(context), body, str(action.get("value", "")))


def register(app: App) -> None:
    for action_id in FLOWS:
        app.action(action_id)(handle_button)
