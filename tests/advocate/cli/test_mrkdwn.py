"""Slack mrkdwn rendered for the terminal: formatting becomes style, links keep their address."""

from __future__ import annotations

from rich.console import Console
from rich.text import Text

from advocate.cli.mrkdwn import blocks, to_rich


def styles_of(text: Text, part: str) -> list[str]:
    """The styles applied to the first occurrence of `part` in `text`."""
    start = text.plain.index(part)
    end = start + len(part)
    return [str(span.style) for span in text.spans if span.start <= start and span.end >= end]


def test_bold_italic_strike_and_code_become_styles() -> None:
    text = to_rich("*Overdue promises* (1) — _Suggested:_ call ~today~ `P012`")
    assert text.plain == "Overdue promises (1) — Suggested: call today P012"
    assert "bold" in styles_of(text, "Overdue promises")
    assert "italic" in styles_of(text, "Suggested:")
    assert "strike" in styles_of(text, "today")
    assert any("cyan" in s for s in styles_of(text, "P012"))


def test_nested_formatting_and_markers_inside_words_stay() -> None:
    text = to_rich("_*5 years*_ on 2*3*4 and snake_case_name")
    assert text.plain == "5 years on 2*3*4 and snake_case_name"
    styles = styles_of(text, "5 years")
    assert any("bold" in s for s in styles) and any("italic" in s for s in styles)


def test_links_show_their_text_and_address() -> None:
    text = to_rich("See <https://example.com/doc?a=1&amp;b=2|the pricing review> or <https://example.com>")
    assert text.plain == ("See the pricing review (https://example.com/doc?a=1&b=2) or https://example.com")
    assert any("link https://example.com/doc?a=1&b=2" in s for s in styles_of(text, "the pricing review"))


def test_mentions_escapes_and_quotes() -> None:
    text = to_rich("<@U012AB|ruth> in <#C99|cx-team>: &lt;!channel&gt; &amp; more\n> a verbatim *quote*")
    assert text.plain == "@ruth in #cx-team: <!channel> & more\n▌ a verbatim quote"
    assert to_rich("<!here> now").plain == "@here now"


def test_a_date_token_shows_its_fallback_as_ordinary_text() -> None:
    text = to_rich("*Due* <!date^1765290600^{date_short} {time}|9 Dec 2025, 14:30 (Europe/London)> to Ruth")
    assert text.plain == "Due 9 Dec 2025, 14:30 (Europe/London) to Ruth"
    assert styles_of(text, "9 Dec 2025") == []
    assert "bold" in styles_of(text, "Due")


def test_a_message_is_laid_out_without_markup() -> None:
    payload = {"text": "fallback", "blocks": [
        {"type": "header", "text": {"type": "plain_text", "text": "Your week &amp; customers"}},
        {"type": "section", "text": {"type": "mrkdwn", "text": "*Thank* _them_"},
         "accessory": {"type": "button", "text": {"type": "plain_text", "text": "Mark thanked"}}},
        {"type": "divider"},
        {"type": "context", "elements": [{"type": "mrkdwn", "text": "owner *Tom*"}]},
        {"type": "image", "image_url": "https://example.com/c.png", "alt_text": "Keep rate 80%"},
    ], "chart": {"title": "Keep rate, by week"}}
    console = Console(width=60, record=True, color_system=None)
    for part in blocks(payload):
        console.print(part)
    shown = console.export_text()
    assert "Your week & customers" in shown and "Thank them" in shown and "[Mark thanked]" in shown
    assert "owner Tom" in shown and "[image: Keep rate 80%]" in shown and "[chart: Keep rate, by week]" in shown
    assert "*" not in shown and "_them_" not in shown
