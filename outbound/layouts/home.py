"""App Home: each person's own view — ask about a decision, their recent briefs, their advocate function,
and, from the promises and loyalty records: their open promises (Kept / Broken / Reschedule / Reassign), the
long-standing customers they should thank (Mark thanked), and their keep rate — and their team's, for
a manager — against the best past week.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, tzinfo
from typing import Any

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ContextBlock,
    DividerBlock,
    HeaderBlock,
    MarkdownTextObject,
    PlainTextObject,
    SectionBlock,
)
from slack_sdk.models.views import View

from outbound.actions import promise_buttons, thanks_value
from outbound.layouts.keep_rate import keep_rate_text
from outbound.layouts.thank_yous import thank_you_text
from outbound.text import escape, link, plain, slack_time, trim
from records.due_times import show_due_in
from records.keep_rate import KeepRateReport
from records.loyalty import ThankYou
from records.promises import PromiseView
from records.slack_records import DeliveredBrief

HOME_ASK = "home_ask"
# "Mark thanked" on App Home: marks, then shows the Home again without that customer.
HOME_THANKS_MARK = "home_thanks_mark"
MAX_HOME_BLOCKS = 100
# App Home is a glance: the soonest few, and where to find the rest.
HOME_PROMISES_SHOWN = 10
HOME_THANKS_SHOWN = 5


def home_view(
    *,
    recent: Sequence[DeliveredBrief],
    advocate_function: str | None,
    extra_sections: Sequence[Block] = (),
) -> dict[str, Any]:
    blocks: list[Block] = [
        HeaderBlock(text=PlainTextObject(text="Advocate")),
        SectionBlock(text=MarkdownTextObject(
            text="Before a decision is taken, ask how it affects customers: you get a brief with what our "
                 "definition says, what customers told us and what research shows, every point with its source.")),
        ActionsBlock(block_id="home_actions", elements=[
            ButtonElement(text="Ask about a decision", action_id=HOME_ASK, style="primary", value="ask"),
        ]),
        DividerBlock(),
        SectionBlock(text=MarkdownTextObject(text=(
            f"*Your advocate function:* {escape(advocate_function)} — decisions of this function may loop you in."
            if advocate_function else
            "*Your advocate function:* none. Customer advocates are named by the admins."
        ))),
        DividerBlock(),
        SectionBlock(text=MarkdownTextObject(text="*Your recent briefs*")),
    ]
    if recent:
        lines = []
        for brief in recent:
            title = trim(plain(brief.view.get("sections", {}).get("decision") or brief.question), 120)
            when = brief.created_at.strftime("%d %b %Y")
            shown = link(brief.permalink, title) if brief.permalink else escape(title)
            lines.append(f"• {shown} — {when}")
        blocks.append(SectionBlock(text=MarkdownTextObject(text=trim("\n".join(lines), 3000), verbatim=True)))
    else:
        blocks.append(ContextBlock(elements=[MarkdownTextObject(text="None yet: ask about a decision above.")]))
    blocks.append(DividerBlock())
    if extra_sections:
        blocks.extend(extra_sections)
    else:
        blocks.append(SectionBlock(text=MarkdownTextObject(
            text="*Promises and thank-yous*\nPromises you made to customers and long-standing customers to "
                 "thank will appear here.")))
    return View(type="home", blocks=blocks[:MAX_HOME_BLOCKS]).to_dict()


# -- promises, thank-yous and keep rate ----------------------------------------------------------------------
def not_staff_blocks() -> list[Block]:
    return [SectionBlock(text=MarkdownTextObject(
        text="*Your promises to customers*\nYou're not in the staff list yet, so no promises, thank-yous or keep "
             "rate are linked to you. Ask an admin to add your Slack user id to the staff list."))]


def promise_blocks(promises: Sequence[PromiseView], *, total: int, now: datetime, tz: tzinfo,
                   handle: str) -> list[Block]:
    """The person's open promises, soonest first, each with Kept / Broken / Reschedule / Reassign. Slack shows
    due times in the reader's own zone; their fallback is in `tz` (the organisation's zone) with its name,
    whatever zone each promise was given in."""
    if not promises:
        return [SectionBlock(text=MarkdownTextObject(text="*Your promises to customers*\nNo open promises."))]
    overdue = sum(1 for p in promises if p.overdue(now))
    head = f"*Your open promises to customers* ({total})"
    if overdue:
        head += f" · *{overdue} overdue*: close, or reschedule with a reason"
    blocks: list[Block] = [SectionBlock(text=MarkdownTextObject(text=head))]
    for promise in promises:
        late = " · *overdue*" if promise.overdue(now) else ""
        blocks.append(SectionBlock(text=MarkdownTextObject(
            text=f"“{escape(trim(promise.text, 300))}” — customer {escape(promise.customer_id)}, due "
                 f"{slack_time(promise.due_at, show_due_in(promise.due_at, tz))}{late}",
            verbatim=True)))
        blocks.append(promise_buttons(promise.id))
    if total > len(promises):
        blocks.append(ContextBlock(elements=[MarkdownTextObject(
            text=f"{total - len(promises)} more: `advocate promises list --owner {escape(handle)}`")]))
    return blocks


def thanks_blocks(items: Sequence[ThankYou], *, total: int, days: int, handle: str) -> list[Block]:
    """Long-standing customers this person should thank soon, each with Mark thanked."""
    if not total:
        return [SectionBlock(text=MarkdownTextObject(
            text=f"*Thank-yous due*\nNobody you would thank reaches a milestone in the next {days} days."))]
    blocks: list[Block] = [SectionBlock(text=MarkdownTextObject(
        text=f"*Thank-yous due* ({total} in the next {days} days)\nThank them yourself — a call or a personal "
             "note — and mark it, so it is not suggested again."))]
    for item in items:
        blocks.append(SectionBlock(
            text=MarkdownTextObject(text=trim(thank_you_text(item), 3000), verbatim=True),
            accessory=ButtonElement(text="Mark thanked", action_id=HOME_THANKS_MARK,
                                    value=thanks_value(item.customer.id, item.milestone)),
        ))
        blocks.append(ContextBlock(elements=[MarkdownTextObject(
            text=trim("_Suggested:_ " + escape(item.message), 2000), verbatim=True)]))
    if total > len(items):
        blocks.append(ContextBlock(elements=[MarkdownTextObject(
            text=f"{total - len(items)} more, with context: `advocate thanks due --for {escape(handle)}`")]))
    return blocks


def keep_rate_blocks(own: KeepRateReport, team: KeepRateReport | None) -> list[Block]:
    """Kept on time / closed last week against the best past week: the person's, and their team's."""
    blocks: list[Block] = [SectionBlock(text=MarkdownTextObject(text=keep_rate_text(own, title="Your keep rate")))]
    if team is not None:
        blocks.append(SectionBlock(text=MarkdownTextObject(text=keep_rate_text(team, title="Your team's keep rate"))))
    blocks.append(ContextBlock(elements=[MarkdownTextObject(
        text="Kept on time / closed, by the week the promise fell due. The standard is the best past week, "
             "not the average.")]))
    return blocks
