"""`/advocate <question>`, `/advocate help`, `/advocate advocates [add|remove] …`,
`/advocate customer <name or id>` (the customer card, only to the asker) and `/advocate promise [text]`
(the "Record a promise" modal, prefilled with the text).

A single word that is not a command gets the help (with what was not understood); so does an empty
question. Anything longer is a question about a decision.
"""

from __future__ import annotations

import re
from logging import Logger
from typing import Any

from slack_bolt import Ack, App, BoltContext, Respond

from bot.access import GUEST_REFUSAL
from bot.actions.brief_buttons import open_promise_modal
from bot.answering import Ask
from bot.commands.customer_card import customer_reply
from bot.runtime import BotRuntime, runtime
from outbound.layouts.help import help_blocks, help_text
from outbound.text import escape, to_plain, trim, user_mention
from records.errors import InputError

COMMAND = "/advocate"
_USER = re.compile(r"<@([UW][A-Z0-9]+)(?:\|[^>]*)?>|^@?([UW][A-Z0-9]{2,31})$")
SUBCOMMANDS = ("help", "advocates", "customer", "promise", "ask")


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
        text = _advocates(rt, user, words[1:]) if rt.access.person(user).internal else GUEST_REFUSAL
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
    ack()
    question = to_plain(text)
    user = str(command["user_id"])
    rt.answerer.ask(Ask(
        how="command", user=user, channel=str(command["channel_id"]), question=question, thread_ts=None,
        team_id=command.get("team_id"), enterprise_id=command.get("enterprise_id"), respond=respond,
        opener=f"{user_mention(user)} asked how this affects customers: “{escape(trim(question, 2500))}”",
    ))


def _promise(rt: BotRuntime, command: dict[str, Any], respond: Respond, *, text: str) -> None:
    if not rt.answerer.promise_button:
        respond(text="Promises can't be recorded yet.", response_type="ephemeral")
        return
    open_promise_modal(
        rt, trigger_id=str(command["trigger_id"]), user=str(command["user_id"]), text=text,
        channel=str(command["channel_id"]), thread_ts=None, message_ts=None,
        refuse=lambda note: respond(text=note, response_type="ephemeral"),
    )


def _help(rt: BotRuntime, problem: str = "") -> dict[str, Any]:
    functions = [f.id for f in rt.services.functions]
    return {
        "text": help_text(emoji=rt.settings.ask_emoji, functions=functions, problem=problem),
        "blocks": help_blocks(emoji=rt.settings.ask_emoji, functions=functions, problem=problem),
        "response_type": "ephemeral",
    }


def _advocates(rt: BotRuntime, user: str, words: list[str]) -> str:
    roster = rt.records.advocates
    functions = {f.id: f.title for f in rt.services.functions}
    action = words[0].lower() if words else "list"
    if action == "list":
        active = roster.active()
        if not active:
            return "No customer advocates yet. Admins add them with `/advocate advocates add @someone <function>`."
        lines = [f"• {escape(functions.get(a.function, a.function))}: {user_mention(a.slack_user_id)}"
                 for a in active]
        return "*Customer advocates*\n" + "\n".join(lines)
    if action not in ("add", "remove"):
        return (f"Use `/advocate advocates`, `… add @someone <function>` or `… remove @someone` "
                f"(not “{escape(action)}”).")
    if user not in rt.settings.admin_ids:
        return "Only admins change the advocate roster."
    target = _user_id(words[1]) if len(words) > 1 else None
    if target is None:
        return f"Name the person: `/advocate advocates {action} @someone`."
    if action == "remove":
        removed = roster.deactivate(target)
        return (f"{user_mention(target)} is no longer a customer advocate." if removed
                else f"{user_mention(target)} is not on the advocate roster.")
    function = words[2].lower() if len(words) > 2 else ""
    if function not in functions:
        return f"Give one of the functions: {escape(', '.join(functions))}."
    try:
        roster.add(slack_user_id=target, function=function)
    except InputError as exc:
        return escape(str(exc))
    return f"{user_mention(target)} is now a {escape(functions[function])} customer advocate."


def _user_id(word: str) -> str | None:
    match = _USER.search(word.strip())
    if not match:
        return None
    return match.group(1) or match.group(2)


def register(app: App) -> None:
    app.command(COMMAND)(handle_command)
