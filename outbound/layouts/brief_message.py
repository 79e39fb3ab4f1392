"""A brief as a Slack message: Block Kit within Slack's limits, and a plain-text fallback.

Slack rejects a message with more than 50 blocks or a section over 3,000 characters; a long brief is
trimmed to fit (never rejected) and gets a "Full brief" button that opens the whole of it in a modal.
All text from sources and people is masked (in channels) and escaped here, in one place.
"""

from __future__ import annotations

from dataclasses import dataclass
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

from briefs.brief import SECTION_TITLES
from outbound.layouts.brief_view import BriefView, SourceLine
from outbound.masking import mask_personal_data
from outbound.text import escape, link, plain, trim

MAX_BLOCKS = 50  # Slack's limit for a message
MAX_MODAL_BLOCKS = 100  # Slack's limit for a modal
SECTION_LIMIT = 3000  # characters in a section block's text
HEADER_LIMIT = 150  # characters in a header block
# Section text in one message: more is a wall of text in a thread; the modal has the rest.
MESSAGE_BUDGET = 9000
MIN_SECTION_SHARE = 400  # a trimmed section still shows this much
FALLBACK_LIMIT = 2500  # plain-text fallback (notifications, screen readers)

# Action ids of the buttons under a brief; the actions listeners match on them.
HELPFUL = "brief_helpful"
NOT_HELPFUL = "brief_not_helpful"
RAISE_CONCERN = "brief_raise_concern"
RECORD_PROMISE = "brief_record_promise"
FULL_BRIEF = "brief_full"


@dataclass
class RenderedMessage:
    text: str  # the plain-text fallback, always set
    blocks: list[dict[str, Any]]
    trimmed: bool


class _Safe:
    """Masking (in channels) then escaping: the one way source or user text enters a message."""

    def __init__(self, *, masked: bool) -> None:
        # Mask emails, phone and card numbers: true for anything shown in a channel.
        self.masked = masked

    def __call__(self, text: str) -> str:
        return escape(mask_personal_data(text) if self.masked else text)


def render_brief(view: BriefView, *, masked: bool, promise_button: bool = False) -> RenderedMessage:
    safe = _Safe(masked=masked)
    bodies = _section_bodies(view, safe)
    budgets = _budgets({key: len(body) for key, body in bodies.items()}, MESSAGE_BUDGET)
    trimmed = False
    blocks: list[Block] = [_header(view, safe), _context(view)]
    for key, body in bodies.items():
        title = SECTION_TITLES[key]
        room = min(budgets[key], SECTION_LIMIT - len(title) - 4)
        shown = trim(body, room, marker=" …")
        trimmed = trimmed or shown != body
        blocks.append(_section(f"*{title}*\n{shown}"))
    source_blocks, sources_trimmed = _source_blocks(view.sources, safe, room_for=MAX_BLOCKS - len(blocks) - 3)
    trimmed = trimmed or sources_trimmed
    if source_blocks:
        blocks.append(DividerBlock())
        blocks.extend(source_blocks)
    blocks.append(_buttons(view.id, full=trimmed, promise=promise_button))
    if trimmed:
        blocks.append(ContextBlock(elements=[MarkdownTextObject(
            text="Trimmed to fit Slack. *Full brief* shows every section and source.")]))
    assert len(blocks) <= MAX_BLOCKS
    return RenderedMessage(
        text=fallback_text(view, masked=masked), blocks=[b.to_dict() for b in blocks], trimmed=trimmed
    )


def fallback_text(view: BriefView, *, masked: bool) -> str:
    """Plain text for notifications and clients that show no blocks: the decision and the key points."""
    safe = _Safe(masked=masked)
    parts = [f"Customer impact brief: {safe(plain(view.decision))}"]
    for key in ("definition", "customers_said", "risks"):
        body = view.sections.get(key, "").strip()
        if body:
            parts.append(f"{SECTION_TITLES[key]}\n{safe(body)}")
    return trim("\n\n".join(parts), FALLBACK_LIMIT)


def full_brief_modal(view: BriefView, *, masked: bool) -> dict[str, Any]:
    """Every section and source of a brief, for the "Full brief" button (a modal holds 100 blocks)."""
    safe = _Safe(masked=masked)
    blocks: list[Block] = [_header(view, safe), _context(view)]
    for key, body in _section_bodies(view, safe).items():
        for n, chunk in enumerate(_chunks(body, SECTION_LIMIT - len(SECTION_TITLES[key]) - 4)):
            blocks.append(_section(f"*{SECTION_TITLES[key]}*\n{chunk}" if n == 0 else chunk))
    source_blocks, _ = _source_blocks(view.sources, safe, room_for=MAX_MODAL_BLOCKS - len(blocks) - 2)
    if source_blocks:
        blocks.append(DividerBlock())
        blocks.extend(source_blocks)
    blocks = blocks[: MAX_MODAL_BLOCKS - 1]
    modal = View(
        type="modal",
        callback_id="full_brief",
        title=PlainTextObject(text="Full brief"),
        close=PlainTextObject(text="Close"),
        blocks=blocks,
    )
    return modal.to_dict()


# -- parts ---------------------------------------------------------------------------------------------

def _section_bodies(view: BriefView, safe: _Safe) -> dict[str, str]:
    bodies: dict[str, str] = {}
    for key in SECTION_TITLES:
        if key == "decision" and len(plain(view.decision)) + len("Customer impact: ") <= HEADER_LIMIT:
            continue  # the header already says it in full
        if key == "advocate" and view.advocate_note:
            bodies[key] = view.advocate_note  # already mrkdwn: built from escaped parts and real mentions
            continue
        body = view.sections.get(key, "").strip()
        if body:
            bodies[key] = safe(body)
    return bodies


def _header(view: BriefView, safe: _Safe) -> HeaderBlock:
    # Header text is plain_text: no escaping is interpreted there, so only masking applies.
    decision = plain(mask_personal_data(view.decision) if safe.masked else view.decision)
    return HeaderBlock(text=PlainTextObject(text=trim(f"Customer impact: {decision}", HEADER_LIMIT), emoji=False))


def _context(view: BriefView) -> ContextBlock:
    bits = []
    if view.lenses:
        bits.append("Lenses: " + " · ".join(escape(t) for t in view.lenses))
    bits.append(("Written from our sources by a language model" if view.writer == "llm"
                 else "Composed from our sources") + f" · ref `{escape(view.id)}`")
    return ContextBlock(elements=[MarkdownTextObject(text=trim("   |   ".join(bits), 2000), verbatim=True)])


def _section(text: str) -> SectionBlock:
    # verbatim: Slack must not turn words in quoted text into links or mentions on its own.
    return SectionBlock(text=MarkdownTextObject(text=text, verbatim=True))


def source_line(number: int, source: SourceLine, safe: _Safe) -> str:
    title = plain(source.title)
    shown_title = link(source.permalink, title) if source.permalink else f"*{safe(title)}*"
    facts = [source.heading, source.date, source.channel,
             f"score {source.score}/10" if source.score is not None else "",
             f"customer {source.customer_id}" if source.customer_id else ""]
    line = f"`[{number}]` {shown_title}"
    rest = " · ".join(safe(plain(f)) for f in facts if f)
    if rest:
        line += f" · {rest}"
    if source.where and not source.permalink:
        line += f" — _{safe(plain(source.where))}_"
    return trim(line, 600)


def _source_blocks(sources: list[SourceLine], safe: _Safe, *, room_for: int) -> tuple[list[Block], bool]:
    if not sources:
        return [], False
    lines = [source_line(n, s, safe) for n, s in enumerate(sources, start=1)]
    blocks: list[Block] = []
    current = "*Sources*"
    for line in lines:
        if len(current) + 1 + len(line) > SECTION_LIMIT:
            blocks.append(_section(current))
            current = line
        else:
            current = f"{current}\n{line}"
    blocks.append(_section(current))
    if len(blocks) > max(1, room_for):
        return blocks[: max(1, room_for)], True
    return blocks, False


def _buttons(brief_id: str, *, full: bool, promise: bool) -> ActionsBlock:
    elements = [
        ButtonElement(text="Helpful", action_id=HELPFUL, value=brief_id),
        ButtonElement(text="Not helpful", action_id=NOT_HELPFUL, value=brief_id),
        ButtonElement(text="Raise a customer concern", action_id=RAISE_CONCERN, value=brief_id, style="danger"),
    ]
    if promise:
        elements.append(ButtonElement(text="Record a promise", action_id=RECORD_PROMISE, value=brief_id))
    if full:
        elements.append(ButtonElement(text="Full brief", action_id=FULL_BRIEF, value=brief_id, style="primary"))
    return ActionsBlock(block_id=f"brief:{brief_id}", elements=elements)


def _budgets(lengths: dict[str, int], total: int) -> dict[str, int]:
    """Share `total` characters among sections: short ones keep all, long ones share what is left."""
    budgets = dict(lengths)
    if sum(lengths.values()) <= total:
        return budgets
    remaining, open_keys = total, sorted(lengths, key=lambda k: lengths[k])
    while open_keys:
        share = max(MIN_SECTION_SHARE, remaining // len(open_keys))
        key = open_keys.pop(0)
        budgets[key] = min(lengths[key], share)
        remaining = max(0, remaining - budgets[key])
    return budgets


def _chunks(text: str, size: int) -> list[str]:
    """Split at line boundaries into pieces of at most `size` characters (over-long lines are cut)."""
    chunks: list[str] = []
    current = ""
    for line in text.split("\n"):
        while len(line) > size:
            if current:
                chunks.append(current)
                current = ""
            head = trim(line, size, marker="") or line[:size]
            chunks.append(head)
            line = line[len(head):].lstrip()
        candidate = f"{current}\n{line}" if current else line
        if len(candidate) > size:
            chunks.append(current)
            current = line
        else:
            current = candidate
    if current:
        chunks.append(current)
    return chunks or [""]
