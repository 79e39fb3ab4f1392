"""App Home: each person's own view — ask about a decision, their recent briefs, their advocate function,
and their promises and thank-yous (filled from the promises and loyalty records when they exist).
"""

from __future__ import annotations

from collections.abc import Sequence
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

from bot.slack_text import escape, link, plain, trim
from knowledge.records.slack_records import DeliveredBrief

HOME_ASK = "home_ask"
MAX_HOME_BLOCKS = 100


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
