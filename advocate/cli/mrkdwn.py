"""Slack mrkdwn shown in a terminal as Slack shows it: `*bold*` bold, `_italic_` italic, links as their text
with the address beside it, mentions as @name, escapes undone; and Block Kit messages laid out with Rich.

What `advocate digest preview` prints: the message a person will get, not its markup.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from typing import Any

from rich.console import RenderableType
from rich.rule import Rule
from rich.style import Style
from rich.text import Text

# Slack escapes a literal <, > and & in text, so every <…> is a link, mention or command.
_ANGLE = r"<(?P<angle>[^<>\n]+)>"
# Markers only count at word edges, as in Slack: 2*3*4 stays as it is.
_CODE = r"`(?P<code>[^`\n]+)`"
_BOLD = r"(?<![\w*])\*(?=\S)(?P<bold>[^*\n]*?\S)\*(?![\w*])"
_ITALIC = r"(?<![\w_])_(?=\S)(?P<italic>[^_\n]*?\S)_(?![\w_])"
_STRIKE = r"(?<![\w~])~(?=\S)(?P<strike>[^~\n]*?\S)~(?![\w~])"
TOKEN = re.compile("|".join((_ANGLE, _CODE, _BOLD, _ITALIC, _STRIKE)))
STYLES = {"bold": Style(bold=True), "italic": Style(italic=True), "strike": Style(strike=True)}
QUOTE_BAR = "▌ "


def link_text(inner: str) -> tuple[str, str | None]:
    """What `<…>` shows and where it leads: a link, a @user, a #channel, @here, or a date's fallback."""
    target, _, label = inner.partition("|")
    if target.startswith("@"):
        return "@" + (label or target[1:]), None
    if target.startswith("#"):
        return "#" + (label or target[1:]), None
    if target.startswith("!"):
        command = target[1:].split("^")[0]
        return label or "@" + command, None
    return html.unescape(label or target), html.unescape(target)


def add_inline(text: Text, mrkdwn: str, style: Style | None = None) -> None:
    """`mrkdwn` (one line, no block quote) appended to `text` with its formatting as styles."""
    position = 0
    for match in TOKEN.finditer(mrkdwn):
        text.append(html.unescape(mrkdwn[position:match.start()]), style)
        position = match.end()
        kind = match.lastgroup
        if kind == "angle":
            shown, url = link_text(match.group("angle"))
            if match.group("angle").startswith("!date^"):
                text.append(shown, style)  # Slack shows a date as ordinary text (in the reader's zone)
            elif url is None:
                text.append(shown, Style.chain(style or Style(), Style(bold=True)))
            else:
                text.append(shown, Style.chain(style or Style(), Style(underline=True, link=url)))
                if shown != url and not url.startswith("mailto:"):
                    text.append(f" ({url})", Style(dim=True))
        elif kind == "code":
            text.append(html.unescape(match.group("code")), Style.chain(style or Style(), Style(color="cyan")))
        else:
            assert kind is not None
            add_inline(text, match.group(kind), Style.chain(style or Style(), STYLES[kind]))
    text.append(html.unescape(mrkdwn[position:]), style)


def to_rich(mrkdwn: str) -> Text:
    """Slack mrkdwn as Rich text. Code blocks (```) are kept as they are; `>` lines get a quote bar."""
    result = Text()
    lines = mrkdwn.split("\n")
    in_code = False
    for number, line in enumerate(lines):
        if number:
            result.append("\n")
        if line.strip().startswith("```"):
            in_code = not in_code
            rest = line.strip()[3:].removesuffix("```")
            if line.strip().count("```") > 1:
                in_code = False
            if rest:
                result.append(html.unescape(rest), Style(color="cyan"))
            continue
        if in_code:
            result.append(html.unescape(line), Style(color="cyan"))
            continue
        quoted = re.match(r"(?:>|&gt;) ?", line)
        if quoted:
            result.append(QUOTE_BAR, Style(dim=True))
            add_inline(result, line[quoted.end():], Style(italic=True))
        else:
            add_inline(result, line)
    return result


def button_labels(elements: list[dict[str, Any]]) -> Text:
    return Text("  " + "  ".join(f"[{e.get('text', {}).get('text', '')}]" for e in elements), style="dim")


def section(block: dict[str, Any]) -> Iterator[RenderableType]:
    if "text" in block:
        yield to_rich(block["text"]["text"])
    for field in block.get("fields", []):
        yield to_rich(field.get("text", ""))
    accessory = block.get("accessory") or {}
    if accessory.get("type") == "button":
        yield button_labels([accessory])


def context(block: dict[str, Any]) -> Text:
    line = Text("  ", style="dim")
    for element in block.get("elements", []):
        if element.get("type") == "image":
            line.append(f"[{element.get('alt_text', 'image')}] ")
        else:
            add_inline(line, element.get("text", "").replace("\n", " "), Style(dim=True))
    return line


def blocks(payload: dict[str, Any]) -> Iterator[RenderableType]:
    """A message's Block Kit blocks as things a Rich console prints, in order; its fallback text when it
    has no blocks."""
    if not payload.get("blocks"):
        yield to_rich(payload.get("text", ""))
    for block in payload.get("blocks", []):
        kind = block.get("type")
        if kind == "header":
            yield Text(html.unescape(block["text"]["text"]), style="bold underline")
        elif kind == "section":
            yield from section(block)
        elif kind == "context":
            yield context(block)
        elif kind == "image":
            yield Text(f"[image: {block.get('alt_text', '')}]", style="dim")
        elif kind == "divider":
            yield Rule(style="dim")
        elif kind == "actions":
            yield button_labels(block.get("elements", []))
        if kind != "divider":
            yield Text()
    chart = payload.get("chart")
    if chart:
        yield Text(f"[chart: {chart.get('title', '')}]", style="dim")
