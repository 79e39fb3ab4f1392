"""Building messages with slack_sdk's Block Kit models, within Slack's limits, with a text fallback.

Everything that comes from people or customers (names, verbatims, promise texts) goes through
`escape` before it is put in mrkdwn, so `<!channel>` or `<@U…>` in a verbatim shows as text and pings
nobody; verbatims through `literal`, so "*urgent*" shows with its asterisks. Sections are cut to 3,000
characters and a message to 50 blocks, saying what was left out.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from slack_sdk.models.blocks import (
    Block,
    ButtonElement,
    ContextBlock,
    DividerBlock,
    HeaderBlock,
    MarkdownTextObject,
    PlainTextObject,
    SectionBlock,
)

# One escaping rule for every message Advocate sends: the layouts take `escape` from here.
from outbound.text import escape as escape
from outbound.text import literal, trim, unescape

MAX_BLOCKS = 50
MAX_SECTION_CHARS = 3000
MAX_HEADER_CHARS = 150
MAX_CONTEXT_CHARS = 2000
MAX_FALLBACK_CHARS = 3000


def quote(text: str, limit: int = 600) -> str:
    """A verbatim as a mrkdwn block quote, shown exactly as written; at most `limit` characters as sent."""
    return "> " + trim(literal(" ".join(text.split())), limit)


@dataclass(frozen=True)
class Chart:
    png: bytes
    filename: str
    title: str


@dataclass
class Message:
    """One DM: the fallback text (notifications, screen readers), the blocks, maybe a chart."""

    text: str
    blocks: list[Block]
    chart: Chart | None = None

    def blocks_json(self) -> list[dict[str, Any]]:
        return [block.to_dict() for block in self.blocks]

    def payload(self) -> dict[str, Any]:
        """What the delivery ledger stores and the deliverer sends."""
        data: dict[str, Any] = {"text": trim(self.text, MAX_FALLBACK_CHARS), "blocks": self.blocks_json()}
        if self.chart:
            data["chart"] = {"filename": self.chart.filename, "title": self.chart.title}
        return data

    def validate(self) -> None:
        """Raises SlackObjectFormationError when a block breaks Slack's limits."""
        if len(self.blocks) > MAX_BLOCKS:
            raise ValueError(f"{len(self.blocks)} blocks; Slack takes at most {MAX_BLOCKS}")
        for block in self.blocks:
            block.validate_json()

    def readable(self) -> str:
        return readable(self.payload())


class BlockList:
    """Blocks in order, kept within Slack's limits."""

    def __init__(self) -> None:
        self.blocks: list[Block] = []
        self.left_out = 0

    def header(self, text: str) -> None:
        self.blocks.append(HeaderBlock(text=PlainTextObject(text=trim(text, MAX_HEADER_CHARS), emoji=True)))

    def section(self, mrkdwn: str, *, accessory: ButtonElement | None = None) -> None:
        self.blocks.append(SectionBlock(text=MarkdownTextObject(text=trim(mrkdwn, MAX_SECTION_CHARS)),
                                        accessory=accessory))

    def lines(self, title: str, lines: Sequence[str]) -> None:
        """A titled list in as few sections as fit (each ≤ 3,000 characters)."""
        chunk = title
        for line in lines:
            if len(chunk) + 1 + len(line) > MAX_SECTION_CHARS:
                self.section(chunk)
                chunk = line
            else:
                chunk = f"{chunk}\n{line}" if chunk else line
        if chunk:
            self.section(chunk)

    def context(self, mrkdwn: str) -> None:
        self.blocks.append(ContextBlock(elements=[MarkdownTextObject(text=trim(mrkdwn, MAX_CONTEXT_CHARS))]))

    def divider(self) -> None:
        self.blocks.append(DividerBlock())

    def done(self, *, more_hint: str = "") -> list[Block]:
        """The blocks, cut to 50 with a closing note when there were more."""
        blocks = list(self.blocks)
        if len(blocks) > MAX_BLOCKS:
            self.left_out += len(blocks) - (MAX_BLOCKS - 1)
            blocks = blocks[: MAX_BLOCKS - 1]
        if self.left_out:
            note = f"_{self.left_out} more not shown here._ {more_hint}".strip()
            if len(blocks) >= MAX_BLOCKS:
                blocks = blocks[: MAX_BLOCKS - 1]
            blocks.append(ContextBlock(elements=[MarkdownTextObject(text=trim(note, MAX_CONTEXT_CHARS))]))
        return blocks


def button(text: str, *, action_id: str, value: str, style: str | None = None) -> ButtonElement:
    return ButtonElement(text=PlainTextObject(text=text, emoji=True), action_id=action_id, value=value, style=style)


def readable(payload: dict[str, Any]) -> str:
    """A message as a person reads it in a terminal: Block Kit flattened, escapes undone."""
    lines: list[str] = []
    for block in payload.get("blocks", []):
        kind = block.get("type")
        if kind == "header":
            title = unescape(block["text"]["text"])
            lines += [title, "=" * min(len(title), 80)]
        elif kind == "section":
            lines.append(unescape(block["text"]["text"]))
            accessory = block.get("accessory")
            if accessory and accessory.get("type") == "button":
                lines.append(f"  [{accessory['text']['text']}]")
        elif kind == "context":
            lines.append("  " + " ".join(unescape(e.get("text", "")) for e in block.get("elements", [])))
        elif kind == "divider":
            lines.append("-" * 40)
        elif kind == "actions":
            lines.append("  " + " ".join(f"[{e['text']['text']}]" for e in block.get("elements", [])))
        lines.append("")
    chart = payload.get("chart")
    if chart:
        lines.append(f"(chart shown in the message: {chart['title']})")
    return "\n".join(lines).rstrip() + "\n"
