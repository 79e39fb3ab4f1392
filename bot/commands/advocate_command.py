"""`/advocate <question>`, `/advocate help`, `/advocate advocates [add|remove] …`,
`/advocate customer <name or id>` (the customer card, only to the asker) and `/advocate promise [text]`
(the "Record a promise" modal, prefilled with the text).

A single word that is not a command gets the help (with what was not understood); so does an empty
question. Anything longer is a question about a decision.
"""

from __future__ import annotations

from logging import Logger
from typing import Any

from slack_bolt import Ack, App, BoltContext, Respond

from bot.access import GUEST_REFUSAL
from bot.answering import Ask
from bot.flows.advocates import roster_command
from bot.flows.customers import customer_reply
from bot.flows.promises import open_promise_modal
from bot.runtime import BotRuntime, runtime
from briefs.advisor import names_a_decision
from outbound.layouts.help import help_reply
from outbound.text import escape, to_plain, trim, user_mention

COMMAND = "/advocate"


def handle_command(ack: Ack, body: dict[str, Any], command: dict[str, Any], respond: Respond,
                   context: BoltContext, logger: Logger) -> None:
    rt = runtime(context)
    text = str(command.get("text") or "").strip()
    words = text.split()
    first = words[0].lower() if words else ""
    if not words or first == "help":
        ack(**_help(rt))
        return
    if first == "advocates":
        ack()
        user = str(command["user_id"])
        text = roster_command(rt, user, words[1:]) if rt.access.person(user).internal else GUEST_REFUSAL
        respond(text=text, response_type="ephemeral")
        return
    if first == "customer":
        ack()  # the records and the knowledge base are read after the ack
        query = text[len(words[0]):].strip()
        reply = customer_reply(rt, user=str(command["user_id"]), channel=str(command["channel_id"]),
                               query=to_plain(query))
        respond(response_type="ephemeral", **reply)
        return
    if first == "promise":
        ack()
        _promise(rt, command, respond, text=to_plain(text[len(words[0]):].strip()))
        return
    if first == "ask":
        words, text = words[1:], text[len(words[0]):].strip()
        if not words:
            ack(**_help(rt, problem="Say what is being decided after `ask`."))
            return
    elif len(words) == 1:
        ack(**_help(rt, problem=f"I don't know the command “{trim(words[0], 40)}”."))
        return
    question = to_plain(text)
    if not names_a_decision(question):
        ack(**_help(rt, problem=f"“{trim(question, 40)}” names no decision: say what is being decided."))
        return
    ack()
    user = str(command["user_id"])
    rt.answerer.ask(Ask(
        how="command", user=user, channel=str(command["channel_id"]), question=question, thread_ts=None,
        team_id=command.get("team_id"), enterprise_id=command.get("enterprise_id"), respond=respond,
        opener=f"{user_mention(user)} asked how this affects customers: “{escape(trim(question, 2500))}”",
    ))


def _promise(rt: BotRuntime, command: dict[str, Any], respond: Respond, *, text: str) -> None:
    open_promise_modal(
        rt, trigger_id=str(command["trigger_id"]), user=str(command["user_id"]), text=text,
        channel=str(command["channel_id"]), thread_ts=None, message_ts=None,
        refuse=lambda note: respond(text=note, response_type="ephemeral"),
    )


def _help(rt: BotRuntime, problem: str = "") -> dict[str, Any]:
    return help_reply(emoji=rt.settings.ask_emoji, functions=[f.id for f in rt.parts.functions], problem=problem)


def register(app: App) -> None:
    app.command(COMMAND)(handle_command)
