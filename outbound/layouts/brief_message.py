"""A brief as a Slack message: Block Kit within Slack's limits, and a plain-text fallback.

The message is what people read before a meeting: the bottom line (three cited bullets at most) and
the sources it cites, within FIRST_SCREEN_LINES; "Show the full brief" opens every section and source
in a modal. Slack rejects a message with more than 50 blocks or a section over 3,000 characters, so
whatever is shown is trimmed to fit (never rejected). All text from sources and people is masked (in
channels) and escaped here, in one place.
"""

from __future__ import annotations

import re
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
from outbound.text import escape, link, literal, plain, trim

MAX_BLOCKS = 50  # Slack's limit for a message
MAX_MODAL_BLOCKS = 100  # Slack's limit for a modal
SECTION_LIMIT = 3000  # characters in a section block's text
HEADER_LIMIT = 150  # characters in a header block
# Section text in one message: more is a wall of text in a thread; the modal has the rest.
MESSAGE_BUDGET = 9000
FALLBACK_LIMIT = 2500  # plain-text fallback (notifications, screen readers)
FIRST_SCREEN_LINES = 25  # lines of text the message itself may take; the rest is behind the button
# Sections shown in the message itself, in this order; the rest is behind "Show the full brief". A brief
# without a bottom line (one written before it existed) shows the older key sections instead.
MESSAGE_SECTIONS = ("bottom_line", "customers_said", "advocate")
# Lines each of them may take on the first screen (the full brief has the rest).
MESSAGE_SECTION_LINES = {"decision": 3, "bottom_line": 3, "customers_said": 5, "advocate": 2}
OLDER_BRIEF_SECTIONS = ("definition", "customers_said", "risks", "advocate")

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


# A quotation in a brief: customers' words, shown exactly as written (`literal`).
_QUOTATION = re.compile(r"“[^“”]*”")


class _Safe:
    """Masking (in channels) then escaping: the one way source or user text enters a message. Quotations
    keep their * _ ~ ` as written (the writer quotes customers character for character)."""

    def __init__(self, *, masked: bool) -> None:
        # Mask emails, phone and card numbers: true for anything shown in a channel.
        self.masked = masked

    def __call__(self, text: str) -> str:
        text = mask_personal_data(text) if self.masked else text
        pieces: list[str] = []
        done = 0
        for quotation in _QUOTATION.finditer(text):
            pieces += [escape(text[done : quotation.start()]), literal(quotation.group(0))]
            done = quotation.end()
        return "".join([*pieces, escape(text[done:])])


def render_brief(view: BriefView, *, masked: bool, promise_button: bool = False) -> RenderedMessage:
    safe = _Safe(masked=masked)
    bodies = _section_bodies(view, safe)
    full = len(bodies) > 1 or bool(view.sources)
    shown_keys = ([k for k in MESSAGE_SECTIONS if k in bodies] if "bottom_line" in bodies
                  else [k for k in OLDER_BRIEF_SECTIONS if k in bodies])
    if "decision" in bodies:  # too long for the header: it leads the message in full
        shown_keys.insert(0, "decision")
    blocks: list[Block] = [_header(view, safe), _context(view)]
    lines_left = FIRST_SCREEN_LINES - 2
    shown_text: list[str] = []
    for key in shown_keys:
        if lines_left < 2:
            break
        body = _first_lines(bodies[key], min(lines_left - 1, MESSAGE_SECTION_LINES.get(key, 4)))
        title = SECTION_TITLES[key]
        shown = trim(body, min(MESSAGE_BUDGET, SECTION_LIMIT - len(title) - 4), marker=" …")
        blocks.append(_section(f"*{title}*\n{shown}"))
        shown_text.append(shown)
        lines_left -= 1 + shown.count("\n") + 1
    cited = _cited_numbers(" ".join(shown_text))
    lines = [source_line(n, s, safe) for n, s in enumerate(view.sources, start=1) if n in cited]
    lines = lines[: max(0, lines_left - 1)]
    if lines:
        blocks.append(_section(trim("*Sources*\n" + "\n".join(lines), SECTION_LIMIT)))
    blocks.append(_buttons(view.id, full=full, promise=promise_button))
    assert len(blocks) <= MAX_BLOCKS
    return RenderedMessage(
        text=fallback_text(view, masked=masked), blocks=[b.to_dict() for b in blocks], trimmed=full
    )


def _first_lines(text: str, count: int) -> str:
    lines = text.split("\n")
    return "\n".join(lines[:count]) + (" …" if len(lines) > count else "")


def _cited_numbers(text: str) -> set[int]:
    return {int(n) for group in re.findall(r"\[(\d+(?:\s*,\s*\d+)*)\]", text) for n in group.split(",")}


def fallback_text(view: BriefView, *, masked: bool) -> str:
    """Plain text for notifications and clients that show no blocks: the decision and the key points."""
    safe = _Safe(masked=masked)
    parts = [f"Customer impact brief: {safe(plain(view.decision))}"]
    keys = [k for k in MESSAGE_SECTIONS if view.sections.get(k, "").strip()] or list(OLDER_BRIEF_SECTIONS)
    for key in keys:
        if key == "advocate":
            continue  # who is looped in is for the message itself, not a notification
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
    if source.where.startswith(("http://", "https://")) and not source.permalink:
        line += f" — {link(source.where, 'open')}"
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
        elements.insert(0, ButtonElement(text="Show the full brief", action_id=FULL_BRIEF, value=brief_id,
                                         style="primary"))
    return ActionsBlock(block_id=f"brief:{brief_id}", elements=elements)


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
