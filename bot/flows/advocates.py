"""`/advocate advocates [add|remove] …`: the advocate roster, listed for anyone, changed by admins."""

from __future__ import annotations

import re

from bot.runtime import BotRuntime
from outbound.text import escape, user_mention
from records.errors import InputError

_USER = re.compile(r"<@([UW][A-Z0-9]+)(?:\|[^>]*)?>|^@?([UW][A-Z0-9]{2,31})$")


def roster_command(rt: BotRuntime, user: str, words: list[str]) -> str:
    """The reply to `/advocate advocates WORDS…` from `user`."""
    roster = rt.records.advocates
    functions = {f.id: f.title for f in rt.parts.functions}
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
    target = user_id_in(words[1]) if len(words) > 1 else None
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


def user_id_in(word: str) -> str | None:
    """The Slack user id in a mention (`<@U…>`) or a bare id, else None."""
    match = _USER.search(word.strip())
    if not match:
        return None
    return match.group(1) or match.group(2)
