"""Text for Slack: mrkdwn escaping, broadcast defusing and trimming.

Everything that comes from a source or a person (verbatims, titles, questions) is escaped before it is
put into a message, so `<!channel>`, `<@U…>` or `<http://…|…>` inside it show as text and ping nobody.
Slack asks for exactly three characters to be escaped: & < >.
"""

from __future__ import annotations

import re

_BROADCAST = re.compile(r"@(here|channel|everyone)\b", re.IGNORECASE)
_ZERO_WIDTH_SPACE = "\u200b"


def escape(text: str) -> str:
    """Escape &, < and > for mrkdwn and plain-text fallbacks (Slack's own rule), and defuse @channel."""
    escaped = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    # Bare "@here" is not a control sequence, but some clients link it; a zero-width space keeps it text.
    return _BROADCAST.sub(lambda m: "@" + _ZERO_WIDTH_SPACE + m.group(1), escaped)


def link(url: str, label: str) -> str:
    """A mrkdwn link whose label is escaped; an unsafe URL gives the label alone."""
    if not re.fullmatch(r"https?://[^\s<>|]+", url):
        return escape(label)
    return f"<{url}|{escape(label).replace('|', '¦')}>"


def user_mention(user_id: str) -> str:
    if not re.fullmatch(r"[UW][A-Z0-9]{2,31}", user_id):
        raise ValueError(f"not a Slack user id: {user_id!r}")
    return f"<@{user_id}>"


def trim(text: str, limit: int, *, marker: str = "…") -> str:
    """At most `limit` characters, cut at a line or word boundary where one is near."""
    if len(text) <= limit:
        return text
    room = limit - len(marker)
    cut = text[:room]
    for boundary in ("\n", " "):
        at = cut.rfind(boundary)
        if at >= room * 0.6:
            cut = cut[:at]
            break
    # Never leave half an escape sequence (&amp;) at the end.
    amp = cut.rfind("&")
    if amp != -1 and ";" not in cut[amp:]:
        cut = cut[:amp]
    return cut.rstrip() + marker


def plain(text: str) -> str:
    """One line of text for plain_text fields (headers, modal titles): whitespace folded."""
    return " ".join(text.split())


_USER_REF = re.compile(r"<@([UW][A-Z0-9]+)(?:\|[^>]*)?>")
_CHANNEL_REF = re.compile(r"<#[CGD][A-Z0-9]+(?:\|([^>]*))?>")
_LINK_REF = re.compile(r"<((?:https?|mailto):[^>|]+)(?:\|([^>]*))?>")
_SPECIAL_REF = re.compile(r"<!([a-z]+)(?:\^[^>|]*)?(?:\|([^>]*))?>")


def to_plain(text: str, *, drop_user: str | None = None) -> str:
    """A Slack message as plain words for retrieval: markup resolved, the bot's own mention dropped."""
    text = _USER_REF.sub(lambda m: "" if m.group(1) == drop_user else "@someone", text)
    text = _CHANNEL_REF.sub(lambda m: f"#{m.group(1) or 'channel'}", text)
    text = _LINK_REF.sub(lambda m: m.group(2) or m.group(1), text)
    text = _SPECIAL_REF.sub(lambda m: f"@{m.group(2) or m.group(1)}", text)
    text = text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
    return " ".join(text.split())


def mentions_other_people(text: str, *, bot_user_id: str | None) -> bool:
    return any(uid != bot_user_id for uid in _USER_REF.findall(text))


def mentions(text: str, user_id: str | None) -> bool:
    return bool(user_id) and user_id in _USER_REF.findall(text)
