"""`/advocate help`: every way to ask and every command, in one screen."""

from __future__ import annotations

from typing import Any

from slack_sdk.models.blocks import ContextBlock, HeaderBlock, MarkdownTextObject, PlainTextObject, SectionBlock

from outbound.text import escape


def help_text(*, emoji: str, functions: list[str], problem: str = "") -> str:
    lines = [
        f"{escape(problem)}\n" if problem else "",
        "*Ask how a decision affects customers* — the brief quotes our definition, research and customers' own "
        "words, with sources:",
        "• mention me in a channel, a thread or a group DM I'm in: "
        "`@Advocate we plan to close the phone line at weekends`",
        "• send me a direct message",
        "• `/advocate <the decision or question>`",
        "• on any message: *More actions* (⋯) → *Assess customer impact*",
        f"• react to a message with :{emoji}:",
        "The answer goes into the thread of the message asked about. In a thread I've answered, ask follow-up "
        "questions without mentioning me; other replies are left alone.",
        "",
        "*Decision channels*: a message starting `Decision:` or `Proposal:` gets a brief by itself.",
        "*Under each brief*: Helpful / Not helpful (one vote each, click again to change it), *Raise a customer "
        "concern* (advocates), *Full brief* when it was trimmed.",
        "",
        "*Commands*",
        "• `/advocate help` — this",
        "• `/advocate customer <name or id>` — tenure, next milestone, recent feedback and open promises, "
        "shown only to you: what you need to thank them in a conversation",
        "• `/advocate promise [what was promised]` — record a promise to a customer (also: *More actions* (⋯) "
        "→ *Record a promise* on a message)",
        "• `/advocate advocates` — the advocate roster",
        "• `/advocate advocates add @someone <function>` / `remove @someone` — admins",
        f"Functions: {escape(', '.join(functions))}.",
        "",
        "*Your promises*: reminders and App Home have *Kept*, *Broken*, *Reschedule* (with a reason) and "
        "*Reassign* (to someone else in the staff list, who is told).",
    ]
    return "\n".join(line for line in lines if line is not None).strip()


def help_blocks(*, emoji: str, functions: list[str], problem: str = "") -> list[dict[str, Any]]:
    text = help_text(emoji=emoji, functions=functions, problem=problem)
    return [
        HeaderBlock(text=PlainTextObject(text="Advocate: the customer's standpoint in every decision")).to_dict(),
        SectionBlock(text=MarkdownTextObject(text=text[:3000], verbatim=True)).to_dict(),
        ContextBlock(elements=[MarkdownTextObject(
            text="Guests and people from other organisations can't get briefs; channels shared with other "
                 "organisations never get them.")]).to_dict(),
    ]


def help_reply(*, emoji: str, functions: list[str], problem: str = "") -> dict[str, Any]:
    """The help as an ephemeral reply to `/advocate` (text fallback and blocks)."""
    return {
        "text": help_text(emoji=emoji, functions=functions, problem=problem),
        "blocks": help_blocks(emoji=emoji, functions=functions, problem=problem),
        "response_type": "ephemeral",
    }
