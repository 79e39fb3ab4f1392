"""App Home: published for each person when they open it, and again after a button on it changed something."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from slack_sdk.models.blocks import Block, DividerBlock

from bot.runtime import BotRuntime
from outbound.layouts.home import (
    HOME_PROMISES_SHOWN,
    HOME_THANKS_SHOWN,
    home_view,
    keep_rate_blocks,
    not_staff_blocks,
    promise_blocks,
    thanks_blocks,
)
from outbound.layouts.modals import ask_modal


def publish_home(rt: BotRuntime, user: str, *, now: datetime | None = None) -> None:
    view = home_view(
        recent=rt.ledger.recent_briefs(user, limit=5),
        advocate_function=rt.rotation.function_of(user),
        extra_sections=promise_sections(rt, user, now=now),
    )
    rt.client.views_publish(user_id=user, view=view)


def promise_sections(rt: BotRuntime, user: str, *, now: datetime | None = None) -> list[Block]:
    """The person's open promises, thank-yous due and keep rate, from the promises and loyalty records.

    Every query is bounded by the person: their promises (owner, due time), the milestones of the
    customers they thank (anniversary index), the keep rate of their own and their team's promises.
    """
    records = rt.records
    staff = records.staff.resolve(user)
    if staff is None:
        return not_staff_blocks()
    now = now or datetime.now(UTC)
    tz = records.timezone
    today = now.astimezone(tz).date()
    handle = staff.handle
    # Open promises, soonest due first.
    promises = records.promises.list(owners=[handle], status="open", limit=HOME_PROMISES_SHOWN)
    total = len(promises) if len(promises) < HOME_PROMISES_SHOWN else records.promises.count(owners=[handle])
    blocks: list[Block] = promise_blocks(promises, total=total, now=now, tz=tz, handle=handle)
    blocks.append(DividerBlock())
    # Thank-yous this person should make (they are the sender), with suggestions for the first few.
    chart = records.staff.chart()
    loyalty = rt.parts.loyalty()
    days = rt.settings.thanks_window_days
    due = loyalty.due_milestones(today=today, days=days, sender=handle, chart=chart)
    suggestions = loyalty.suggestions(due[:HOME_THANKS_SHOWN], chart=chart, today=today, now=now)
    blocks += thanks_blocks(suggestions, total=len(due), days=days, handle=handle)
    blocks.append(DividerBlock())
    # Keep rate: their own, and their team's when they manage one.
    own = records.keep_rates.report(owners=[handle], scope=f"owner:{handle}", period="week", now=now)
    team_members = chart.team(handle)
    team = (records.keep_rates.report(owners=team_members, scope=f"team:{handle}", period="week", now=now)
            if len(team_members) > 1 else None)
    blocks += keep_rate_blocks(own, team)
    return blocks


def open_ask_modal(rt: BotRuntime, body: dict[str, Any], value: str = "") -> None:
    """App Home's "Ask about a decision" (the button's `value` says nothing more): the brief comes back as a
    DM (bot/views/ask_submission.py)."""
    rt.client.views_open(trigger_id=body["trigger_id"], view=ask_modal())
