"""Checks on what Slack would receive: limits, pings, masking. Shared by the Slack app's and the layouts' tests."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

# Control sequences Slack acts on: a user/group/broadcast mention or a link. Our own mentions are
# the only ones allowed, and they are passed in.
CONTROL = re.compile(r"<(?:@|!|#|https?:|mailto:)[^>]*>")


def texts(blocks: list[dict[str, Any]]) -> Iterator[str]:
    """Every text string inside blocks (section texts, context elements, buttons, headers)."""

    def walk(node: Any) -> Iterator[str]:
        if isinstance(node, dict):
            if node.get("type") in ("mrkdwn", "plain_text") and isinstance(node.get("text"), str):
                yield node["text"]
            for value in node.values():
                yield from walk(value)
        elif isinstance(node, list):
            for item in node:
                yield from walk(item)

    yield from walk(blocks)


def assert_within_limits(blocks: list[dict[str, Any]], *, max_blocks: int = 50) -> None:
    assert 0 < len(blocks) <= max_blocks, f"{len(blocks)} blocks"
    for block in blocks:
        if block["type"] == "section":
            assert len(block["text"]["text"]) <= 3000
        if block["type"] == "header":
            assert len(block["text"]["text"]) <= 150
        if block["type"] == "actions":
            assert len(block["elements"]) <= 25
            for element in block["elements"]:
                assert len(element["text"]["text"]) <= 75
                assert len(element.get("value", "")) <= 2000


def unexpected_controls(text: str, *, allowed: tuple[str, ...] = ()) -> list[str]:
    """Control sequences in `text` other than the allowed ones (our own mentions, our links) and date tokens:
    those that show a formatting character as typed (outbound/text.py `literal`) and due times
    (`slack_time`), which ping nobody."""
    return [c for c in CONTROL.findall(text)
            if not any(c.startswith(a) for a in allowed)
            and not _LITERAL_TOKEN.fullmatch(c) and not DUE_TOKEN.fullmatch(c)]


# Slack's date token with a format it cannot read shows its fallback, as plain text (outbound/text.py `literal`).
_LITERAL_TOKEN = re.compile(r"<!date\^0+\^\{_\}\|[*_~`]>")
# A moment in the reader's zone (outbound/text.py `slack_time`): its epoch, and its fallback naming a zone.
DUE_TOKEN = re.compile(r"<!date\^(?P<epoch>[1-9]\d*)\^\{date_short_pretty\} \{time\}\|(?P<fallback>[^<>|]+\))>")
_DATE_FALLBACK = re.compile(r"<!date\^\d+\^[^|>]*\|([^>]*)>")
_ENTITY = re.compile(r"&(amp|lt|gt);")


def shown_as(mrkdwn: str) -> str:
    """What Slack shows for mrkdwn that should hold no markup: date tokens as their fallback, the three entities
    decoded (in one pass, as Slack does), zero-width spaces unseen. Fails on any other control sequence."""
    text = _DATE_FALLBACK.sub(lambda m: m.group(1), mrkdwn)
    assert "<" not in text and ">" not in text, f"a control sequence is left in {mrkdwn!r}"
    text = _ENTITY.sub(lambda m: {"amp": "&", "lt": "<", "gt": ">"}[m.group(1)], text)
    return text.replace("\u200b", "")
