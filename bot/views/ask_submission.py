"""The App Home ask modal: the brief arrives as a DM."""

from __future__ import annotations

from logging import Logger
from typing import Any

from slack_bolt import Ack, App, BoltContext

from bot.answering import Ask
from bot.runtime import runtime
from briefs.advisor import names_a_decision
from outbound.layouts.modals import ASK_MODAL, QUESTION_BLOCK, submitted
from outbound.text import escape, to_plain, trim


def handle_ask_submission(ack: Ack, body: dict[str, Any], view: dict[str, Any], context: BoltContext,
                          logger: Logger) -> None:
    question = to_plain(submitted(view, QUESTION_BLOCK))
    if not names_a_decision(question):
        ack(response_action="errors", errors={QUESTION_BLOCK: "Say what is being decided."})
        return
    ack()
    rt = runtime(context)
    user = str(body["user"]["id"])
    rt.answerer.ask(Ask(
        how="home", user=user, channel=user, question=question, thread_ts=None,
        team_id=(body.get("team") or {}).get("id"), enterprise_id=(body.get("enterprise") or {}).get("id"),
        opener=f"You asked how this affects customers: “{escape(trim(question, 2500))}”",
    ))


def register(app: App) -> None:
    app.view(ASK_MODAL)(handle_ask_submission)
