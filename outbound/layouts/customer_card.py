"""`/advocate customer <name or id>`: the customer card (`Loyalty.lookup`, as `advocate customer` prints it)
in Block Kit, or the customers that match when several do.

Everything from records and the knowledge base is escaped. `masked` (outside a DM) masks the feedback and
promise texts (emails, phone and card numbers) as briefs in channels are.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, tzinfo
from typing import Any

from slack_sdk.models.blocks import Block, ContextBlock, HeaderBlock, MarkdownTextObject, PlainTextObject, SectionBlock

from outbound.masking import mask_personal_data
from outbound.text import escape, plain, slack_time, trim
from records.customers import CustomerView
from records.due_times import show_due
from records.loyalty import CustomerCard

OPEN_PROMISES_SHOWN = 10


def no_match_text(query: str) -> str:
    return (f"No customer matches “{escape(trim(query, 100))}”. Give the customer id (like C10234) or the name or "
            "its start, as in the customer list. (To ask about a decision that starts with “customer”, use "
            "`/advocate ask …`.)")


def candidates_reply(query: str, candidates: Sequence[CustomerView]) -> dict[str, Any]:
    lines = [f"• `{escape(c.id)}` {escape(trim(c.name, 120))} — customer since {c.customer_since:%Y}"
             + (f", {escape(c.segment)}" if c.segment else "") for c in candidates]
    head = f"*{len(candidates)} customers match “{escape(trim(query, 100))}”* — which one?"
    first = escape(candidates[0].id)
    blocks: list[Block] = [
        SectionBlock(text=MarkdownTextObject(text=trim(head + "\n" + "\n".join(lines), 3000), verbatim=True)),
        ContextBlock(elements=[MarkdownTextObject(
            text=f"Ask again with the id of the one you mean, e.g. `/advocate customer {first}`.")]),
    ]
    return {"text": f"{len(candidates)} customers match; give the id of the one you mean",
            "blocks": [b.to_dict() for b in blocks]}


def card_reply(card: CustomerCard, *, masked: bool, now: datetime, tz: tzinfo) -> dict[str, Any]:
    """The card as an ephemeral reply: a text fallback and the blocks."""
    return {"text": f"{card.customer.name} ({card.customer.id}): customer for {card.tenure_years} years "
                    f"{card.tenure_months} months",
            "blocks": [b.to_dict() for b in card_blocks(card, masked=masked, now=now, tz=tz)]}


def card_blocks(card: CustomerCard, *, masked: bool, now: datetime, tz: tzinfo) -> list[Block]:
    c = card.customer
    shown = mask_personal_data if masked else (lambda text: text)
    facts = (f"*Customer since* {c.customer_since:%-d %B %Y} — *{card.tenure_years} years "
             f"{card.tenure_months} months*\n*Segment* {escape(c.segment or '-')} · *owner* "
             f"{escape(card.owner_name)} · *who thanks them* {escape(card.sender_name)}")
    if card.next_milestone:
        facts += f"\n*Next milestone:* {card.next_milestone.years} years on {card.next_milestone.on:%-d %B %Y}"
    if card.thanked:
        facts += "\n*Already thanked for:* " + ", ".join(f"{m} years" for m in card.thanked)
    blocks: list[Block] = [
        HeaderBlock(text=PlainTextObject(text=trim(plain(f"{c.name} ({c.id})"), 150))),
        SectionBlock(text=MarkdownTextObject(text=trim(facts, 3000), verbatim=True)),
    ]
    if card.fix_first:
        blocks.append(SectionBlock(text=MarkdownTextObject(
            text=trim(":warning: *Fix first, thank after:* " + escape("; ".join(card.fix_first)), 3000),
            verbatim=True)))
    if card.feedback:
        lines = ["*Recent feedback*"]
        for item in card.feedback:
            score = f"score {item.score}, " if item.score is not None else ""
            lines.append(f">“{escape(trim(shown(' '.join(item.text.split())), 600))}”\n"
                         f">_{escape(score + item.channel)}, {escape(item.date)}_")
        blocks.append(SectionBlock(text=MarkdownTextObject(text=trim("\n".join(lines), 3000), verbatim=True)))
    else:
        blocks.append(SectionBlock(text=MarkdownTextObject(
            text="*Recent feedback*\nNone from this customer in the knowledge base.")))
    if card.open_promises:
        lines = [f"*Open promises* ({len(card.open_promises)})"]
        for promise in card.open_promises[:OPEN_PROMISES_SHOWN]:
            late = " · *overdue*" if promise.overdue(now) else ""
            due = slack_time(promise.due_at, show_due(promise.due_at, promise.due_tz, tz))
            lines.append(f"• “{escape(trim(shown(promise.text), 300))}” — {escape(promise.owner)}, due {due}{late}")
        if len(card.open_promises) > OPEN_PROMISES_SHOWN:
            lines.append(f"…and {len(card.open_promises) - OPEN_PROMISES_SHOWN} more: "
                         f"`advocate promises list --customer {escape(c.id)}`")
        blocks.append(SectionBlock(text=MarkdownTextObject(text=trim("\n".join(lines), 3000), verbatim=True)))
    else:
        blocks.append(SectionBlock(text=MarkdownTextObject(text="*Open promises*\nNone.")))
    note = "Only you can see this."
    if masked:
        note += " Emails and phone and card numbers are hidden outside a direct message with me."
    blocks.append(ContextBlock(elements=[MarkdownTextObject(text=note)]))
    return blocks
