"""The weekly advocate briefing as a DM: complaints and praise side by side, themes by lens, new research,
the function's decisions with the concerns raised, and how helpful recent briefs were.

`jobs/advocate_briefing.py` gathers a `Briefing` for each advocate; this lays it out.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime

from briefs.functions import Function
from knowledge.retrieval import Source
from outbound.blocks import BlockList, Message, escape, quote
from outbound.text import link, plain, trim
from records.advocates import AdvocateView, BriefVotes, DecisionView

# A research snippet's length: a glance, with a link to the whole source where it has one.
SNIPPET_CHARS = 240
# A quoted verbatim's length: six of them fill the first screen.
VERBATIM_CHARS = 320


@dataclass
class Briefing:
    """What one advocate's briefing says."""

    advocate: AdvocateView
    function: Function | None
    week_label: str  # ISO week, e.g. 2026-W48
    since: datetime
    complaints: list[Source]
    praise: list[Source]
    research: list[Source]
    themes: list[tuple[str, int, int]]  # (lens title, complaints, praise)
    decisions: list[DecisionView]
    votes: BriefVotes
    new_feedback: int = 0
    notes: list[str] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        # Vote counts alone are not worth a message.
        return not (self.complaints or self.praise or self.research or self.decisions)


def advocate_briefing_message(briefing: Briefing) -> Message:
    title = briefing.function.title if briefing.function else briefing.advocate.function
    out = BlockList()
    out.header(f"Your {title} advocate briefing")
    out.context(f"Week {briefing.week_label.split('-W')[1]} · new since {briefing.since:%-d %b %Y} · "
                f"{briefing.new_feedback} new comments about {escape(title.lower())}")
    out.section("*What customers complained about*" + ("" if briefing.complaints else "\nNothing new."))
    for source in briefing.complaints:
        out.section(_verbatim(source))
    out.section("*What customers praised*" + ("" if briefing.praise else "\nNothing new."))
    for source in briefing.praise:
        out.section(_verbatim(source))
    if briefing.themes:
        out.lines("*Themes, by lens*", [
            f"• {escape(name)}: {c} complaint{'s' if c != 1 else ''}, {p} praise" for name, c, p in briefing.themes
        ])
    if briefing.research:
        out.lines("*New research and conversations*", [_research_line(s) for s in briefing.research])
    out.divider()
    if briefing.decisions:
        lines = []
        for decision in briefing.decisions:
            line = f"• {escape(decision.question[:200])} ({decision.created_at:%-d %b})"
            for raised_by, text in decision.concerns[:3]:
                line += f"\n    :warning: concern from {_mention(raised_by)}: {escape(text[:200])}"
            lines.append(line)
        out.lines(f"*{escape(title)} decisions briefed*", lines)
    else:
        out.section(f"*{escape(title)} decisions briefed*\nNone since the last briefing.")
    votes = briefing.votes
    out.context(f"Recent briefs for {escape(title.lower())}: {votes.helpful} helpful, {votes.not_helpful} not helpful.")
    text = (f"Your {title} advocate briefing: {len(briefing.complaints)} complaints and {len(briefing.praise)} "
            f"praise quoted, {len(briefing.research)} new research items, {len(briefing.decisions)} decisions.")
    return Message(text=text, blocks=out.done())


def snippet(text: str, limit: int = SNIPPET_CHARS) -> str:
    """As many whole sentences as fit in `limit` characters; a first sentence too long for it is cut at a
    word. "…" says there is more."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    kept = ""
    for sentence in re.split(r"(?<=[.!?])\s+", text):
        if len(kept) + len(sentence) + 3 > limit:
            break
        kept = f"{kept} {sentence}".strip()
    return f"{kept} …" if kept else trim(text, limit)


def source_link(source: Source) -> str:
    """Where a reader can open the whole source: its Slack permalink or its own web address; never a path on
    the server, which means nothing to a reader (empty then)."""
    for where in (str(source.extra.get("permalink") or ""), source.source):
        if where.startswith(("https://", "http://")):
            return where
    return ""


def _research_line(source: Source) -> str:
    title = plain(source.title or source.source_name or source.kind)
    url = source_link(source)
    shown = link(url, title) if url else f"*{escape(title)}*"
    date = f" ({escape(source.date)})" if source.date else ""
    return f"• {shown}{date}: {escape(snippet(source.text))}"


def _verbatim(source: Source) -> str:
    score = f"score {source.feedback_score}, " if source.feedback_score is not None else ""
    where = ", ".join(p for p in (source.channel, source.date, source.customer_id) if p)
    return f"{quote(source.text, VERBATIM_CHARS)}\n— {escape(score + where)}"


def _mention(user_id: str) -> str:
    # Only a well-formed user id becomes a mention; anything else is shown as text.
    if user_id[:1] in ("U", "W") and user_id.isalnum() and user_id.isupper():
        return f"<@{user_id}>"
    return escape(user_id)
