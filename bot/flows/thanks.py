""""Mark thanked" on a tenure milestone (manager digest, App Home): recorded against the person who clicked."""

from __future__ import annotations

from typing import Any

from bot.flows.home import publish_home
from bot.flows.promises import NOT_STAFF, staff_handle
from bot.flows.replies import tell
from bot.runtime import BotRuntime
from outbound.actions import parse_thanks_value
from outbound.text import escape
from records.errors import NotFound


def mark_thanked(rt: BotRuntime, body: dict[str, Any], value: str, *, republish_home: bool = False) -> None:
    """Record the thank-you the button's `value` (`CUSTOMER:YEARS`) names, and say so (or why not); with
    `republish_home`, show App Home again without that customer."""
    user = str(body["user"]["id"])
    _mark(rt, body, user, value)
    if republish_home:
        publish_home(rt, user)


def _mark(rt: BotRuntime, body: dict[str, Any], user: str, value: str) -> None:
    handle = staff_handle(rt, user)
    if handle is None:
        tell(rt, body, NOT_STAFF)
        return
    try:
        customer_id, years = parse_thanks_value(value)
        rt.records.thanks.mark(customer_id, milestone=years, by=handle)
    except (ValueError, NotFound) as exc:
        tell(rt, body, escape(str(exc)))
        return
    tell(rt, body, f"Recorded: customer {escape(customer_id)} thanked for {years} years with us.")
