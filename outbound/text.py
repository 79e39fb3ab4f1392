"""Text for Slack: mrkdwn escaping, broadcast defusing and trimming.

Everything that comes from a source or a person (verbatims, titles, questions) is escaped before it is
put into a message, so `<!channel>`, `<@U…>` or `<http://…|…>` inside it show as text and ping nobody.
Slack asks for exactly three characters to be escaped: & < >.

People's own words (verbatims) also go through `literal`: Slack has no escape for the formatting
characters * _ ~ `, and `verbatim: true` leaves formatting on, so "*urgent*" would show in bold. Each of
them becomes a date token Slack cannot read, which it shows as its fallback text, unformatted:
`<!date^00000000^{_}|*>` shows a plain "*" (the technique jsx-slack's <Escape> uses). A zero-width space
would not do: Slack treats it as a word break, which makes formatting more likely, not less.

A moment (a promise's due time) goes out as a date token Slack can read (`slack_time`): each reader sees
it in their own time zone.
"""

from __future__ import annotations

import html
import re
import unicodedata
from datetime import datetime

_BROADCAST = re.compile(r"@(here|channel|everyone)\b", re.IGNORECASE)
_ZERO_WIDTH_SPACE = "\u200b"


def escape(text: str) -> str:
    """Escape &, < and > for mrkdwn and plain-text fallbacks (Slack's own rule), and defuse @channel."""
    escaped = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    # Bare "@here" is not a control sequence, but some clients link it; a zero-width space keeps it text.
    return _BROADCAST.sub(lambda m: "@" + _ZERO_WIDTH_SPACE + m.group(1), escaped)


_FORMATTING = re.compile(r"[*_~`]")
# A date whose format Slack cannot read shows its fallback (the character) as plain text.
_LITERAL_TOKEN = "<!date^00000000^{{_}}|{}>"


def literal(text: str) -> str:
    """People's words for mrkdwn, shown exactly as written: escaped, and * _ ~ ` shown as typed, never as
    formatting. Not for code spans (`…`), where Slack shows tokens as they are."""
    return _FORMATTING.sub(lambda m: _LITERAL_TOKEN.format(m.group(0)), escape(text))


# Any date token: `literal`'s, whose fallback is the character typed, and `slack_time`'s.
_DATE_TOKEN_FOUND = re.compile(r"<!date\^\d+\^[^|>]*\|([^>]*)>")


def unescape(mrkdwn: str) -> str:
    """Escaped text as people read it (terminal previews): date tokens as their fallback, entities undone."""
    return html.unescape(_DATE_TOKEN_FOUND.sub(lambda m: m.group(1), mrkdwn))


def slack_time(at: datetime, fallback: str) -> str:
    """`at` as mrkdwn that Slack shows in each reader's own time zone and clock ("tomorrow 4:00 PM",
    "Nov 24, 2026 16:00").

    `fallback` is shown where the token cannot be rendered (older clients, notifications): readable text
    that names its zone. It is escaped here; give it unescaped. Not for plain_text fields, which show the
    token as typed: they take the fallback text itself."""
    if at.tzinfo is None:
        raise ValueError("naive datetime; attach a time zone so the epoch is the moment meant")
    return f"<!date^{int(at.timestamp())}^{{date_short_pretty}} {{time}}|{escape(fallback)}>"


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
    """At most `limit` characters, cut at a line or word boundary where one is near, and never inside an
    escape (&amp;), a token (<…>) or a character a person sees as one (an accent, an emoji sequence)."""
    if len(text) <= limit:
        return text
    if limit <= len(marker):  # no room for the marker and any text
        return _whole(text[: max(0, limit)], text)
    room = limit - len(marker)
    cut = text[:room]
    for boundary in ("\n", " "):
        at = cut.rfind(boundary)
        if at >= room * 0.6:
            cut = cut[:at]
            break
    return _whole(cut, text) + marker


def _whole(cut: str, text: str) -> str:
    """`cut` (a prefix of `text`) shortened to end between whole escapes, tokens and characters, and
    not in whitespace (dropping it can bare a joiner, so it is dropped in the same loop)."""
    while True:
        shorter = cut.rstrip()
        amp = shorter.rfind("&")
        if amp != -1 and ";" not in shorter[amp:]:
            shorter = shorter[:amp]
        opening = shorter.rfind("<")
        if opening != -1 and ">" not in shorter[opening:]:
            shorter = shorter[:opening]
        while shorter and _joined(shorter, text[len(shorter)]):
            shorter = shorter[:-1]
        if shorter == cut:
            return cut
        cut = shorter


_REGIONAL_INDICATORS = re.compile("[\U0001F1E6-\U0001F1FF]+$")


def _joined(before: str, after: str) -> bool:
    """Whether the last character of `before` and `after` are parts of one character as people see it."""
    last = before[-1]
    if "\ud800" <= last <= "\udbff" and "\udc00" <= after <= "\udfff":
        return True  # a surrogate pair
    if unicodedata.category(after) in ("Mn", "Me", "Mc") or last == "\u200d" or after == "\u200d":
        return True  # an accent or other combining mark; a zero-width joiner (emoji sequences)
    if "\ufe00" <= after <= "\ufe0f" or "\U0001F3FB" <= after <= "\U0001F3FF" or "\U000E0020" <= after <= "\U000E007F":
        return True  # a variation selector, a skin tone, a tag (subdivision flags)
    flags = _REGIONAL_INDICATORS.search(before)  # a flag is two regional indicators
    return bool(flags) and "\U0001F1E6" <= after <= "\U0001F1FF" and len(flags.group(0)) % 2 == 1  # type: ignore[union-attr]


def plain(text: str) -> str:
    """One line of text for plain_text fields (headers, modal titles): whitespace folded."""
    return " ".join(text.split())


_USER_REF = re.compile(r"<@([UW][A-Z0-9]+)(?:\|[^>]*)?>")
_CHANNEL_REF = re.compile(r"<#[CGD][A-Z0-9]+(?:\|([^>]*))?>")
_LINK_REF = re.compile(r"<((?:https?|mailto):[^>|]+)(?:\|([^>]*))?>")
_SPECIAL_REF = re.compile(r"<!([a-z]+)(?:\^[^>|]*)?(?:\|([^>]*))?>")


def to_plain(text: str, *, drop_user: str | None = None) -> str:
    """A Slack message as plain words for retrieval: markup resolved, the bot's own mention dropped."""
    text = _DATE_TOKEN_FOUND.sub(lambda m: m.group(1), text)
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
