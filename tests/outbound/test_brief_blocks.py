"""A brief as Block Kit: within Slack's limits, escaped, masked in channels, trimmed with a way to the rest."""

from __future__ import annotations

import re

from outbound.blocks import quote
from outbound.layouts.brief_message import FULL_BRIEF, HELPFUL, RECORD_PROMISE, full_brief_modal, render_brief
from outbound.layouts.brief_view import BriefView, SourceLine
from outbound.masking import mask_personal_data
from outbound.text import escape, to_plain, trim
from tests.slack_checks import assert_within_limits, shown_as, texts, unexpected_controls

NASTY = ("“Call me on 07700 900123 or mail jo.bloggs@example.com — card 4111 1111 1111 1111. "
         "<!channel> <@U0BOSS> <http://evil.example|click> & <!here> @everyone”")
PERMALINK = "https://acme.slack.com/archives/C0FEED/p1700000000000100"


def view(*, long: bool = False, sources: int = 3) -> BriefView:
    body = "\n".join(f"• point {n}: {NASTY} [1]" for n in range(60 if long else 1))
    return BriefView(
        id="abc123def456",
        question="We plan to replace callbacks with a chatbot",
        sections={
            "decision": "Replace callbacks with a chatbot",
            "definition": "• “We keep our promises.” [2]",
            "customers_said": body,
            "risks": body if long else "• Today: complaints [1]",
            "questions": "• Does this give customers control?",
            "advocate": "The Service customer advocate.",
        },
        sources=[SourceLine(kind="feedback", title=f"Slack feedback <@U0X> {n}", date="2026-11-01", channel="slack",
                            score=3, permalink=PERMALINK if n == 0 else "", where="feedback.csv")
                 for n in range(sources)],
        lenses=["Control", "Keep your promises <!channel>"],
        writer="grounded",
    )


def all_text(rendered_blocks: list[dict], fallback: str) -> str:
    return "\n".join([*texts(rendered_blocks), fallback])


def test_brief_message_is_valid_escaped_and_masked_in_channels() -> None:
    rendered = render_brief(view(), masked=True)
    assert_within_limits(rendered.blocks)
    assert rendered.blocks[0]["type"] == "header"
    assert rendered.text.startswith("Customer impact brief: Replace callbacks with a chatbot")
    everything = all_text(rendered.blocks, rendered.text)
    # Nobody is pinged and no link smuggled in; our own Slack permalink is the only link.
    assert unexpected_controls(everything, allowed=(f"<{PERMALINK}|",)) == []
    assert "&lt;!channel&gt;" in everything and "&lt;@U0BOSS&gt;" in everything and "&amp;" in everything
    assert "@everyone" not in everything  # defused with a zero-width space
    # Personal data masked.
    for secret in ("07700 900123", "jo.bloggs@example.com", "4111 1111 1111 1111"):
        assert secret not in everything
    assert "[phone removed]" in everything and "[email removed]" in everything
    assert "[card number removed]" in everything
    # Numbered sources with title, date and the Slack permalink for feedback from Slack.
    sources = next(t for t in texts(rendered.blocks) if t.startswith("*Sources*"))
    assert f"`[1]` <{PERMALINK}|Slack feedback &lt;@U0X&gt; 0>" in sources
    assert "`[2]` *Slack feedback &lt;@U0X&gt; 1* · 2026-11-01 · slack · score 3/10\n" in sources + "\n"
    assert "feedback.csv" not in everything  # a file on the server means nothing to a reader
    actions = next(b for b in rendered.blocks if b["type"] == "actions")
    assert HELPFUL in [e["action_id"] for e in actions["elements"]]
    assert all(e["value"] == "abc123def456" for e in actions["elements"])
    assert rendered.trimmed and FULL_BRIEF in str(actions)  # the questions are behind the button
    assert RECORD_PROMISE not in str(actions)
    # Section text is marked verbatim: Slack must not auto-link or parse it.
    assert all(b["text"].get("verbatim") for b in rendered.blocks if b["type"] == "section")


def test_direct_messages_are_not_masked_but_still_escaped() -> None:
    rendered = render_brief(view(), masked=False)
    everything = all_text(rendered.blocks, rendered.text)
    assert "07700 900123" in everything and "jo.bloggs@example.com" in everything
    assert unexpected_controls(everything, allowed=(f"<{PERMALINK}|",)) == []


def test_long_brief_is_trimmed_with_full_brief_button_never_over_limits() -> None:
    long = view(long=True, sources=120)
    rendered = render_brief(long, masked=True, promise_button=True)
    assert_within_limits(rendered.blocks)
    assert rendered.trimmed
    actions = next(b for b in rendered.blocks if b["type"] == "actions")
    ids = [e["action_id"] for e in actions["elements"]]
    assert FULL_BRIEF in ids and RECORD_PROMISE in ids
    assert sum(len(t) for t in texts(rendered.blocks)) < 20_000
    assert len(rendered.text) <= 2500
    modal = full_brief_modal(long, masked=True)
    assert modal["type"] == "modal" and len(modal["blocks"]) <= 100
    assert_within_limits(modal["blocks"], max_blocks=100)
    modal_text = "\n".join(texts(modal["blocks"]))
    assert modal_text.count("point 59:") == 2  # every point of both long sections is in the modal
    assert "07700 900123" not in modal_text


def test_long_decision_goes_in_a_section_when_the_header_cannot_hold_it() -> None:
    v = view()
    v.sections["decision"] = "We plan to " + "change a great many things " * 20
    rendered = render_brief(v, masked=True)
    assert len(rendered.blocks[0]["text"]["text"]) <= 150
    assert any(t.startswith("*The decision*") for t in texts(rendered.blocks))


def test_advocate_note_replaces_the_writers_line_and_keeps_our_mention() -> None:
    v = view()
    v.advocate_note = "This looks like a Service decision, so I've looped in <@U0ADVOC8>."
    rendered = render_brief(v, masked=True)
    everything = all_text(rendered.blocks, rendered.text)
    assert "<@U0ADVOC8>" in everything
    assert "The Service customer advocate." not in everything


def test_first_screen_is_the_bottom_line_and_customers_words_within_25_lines() -> None:
    v = view(long=True, sources=30)
    v.sections["bottom_line"] = "\n".join(f"• point {n} of the bottom line [{n + 1}]" for n in range(3))
    rendered = render_brief(v, masked=True)
    shown = [t for t in texts(rendered.blocks) if not t.startswith(("Helpful", "Not helpful", "Raise", "Show"))]
    lines = sum(t.count("\n") + 1 for t in shown)
    assert lines <= 25, shown
    assert shown[2].startswith("*Bottom line*\n• point 0")
    assert any(t.startswith("*What customers told us*") for t in shown)
    assert not any(t.startswith(("*Risks", "*Questions", "*What our definition")) for t in shown)
    sources = next(t for t in shown if t.startswith("*Sources*"))
    assert "`[1]`" in sources and "`[30]`" not in sources  # only what the first screen cites
    actions = next(b for b in rendered.blocks if b["type"] == "actions")
    assert actions["elements"][0]["action_id"] == FULL_BRIEF
    assert actions["elements"][0]["text"]["text"] == "Show the full brief"
    modal_text = "\n".join(texts(full_brief_modal(v, masked=True)["blocks"]))
    assert "*Risks today and over time*" in modal_text and "*Questions to answer before deciding*" in modal_text


def test_brief_view_round_trips_through_json() -> None:
    v = view()
    assert BriefView.from_json(v.as_json()) == v


def test_escape_and_plain_text_helpers() -> None:
    assert escape("a & b <@U1> > c") == "a &amp; b &lt;@U1&gt; &gt; c"
    assert "\u200b" in escape("@here now")
    assert to_plain("<@UBOT> we plan <http://x.example|this> in <#C1|general> &amp; more", drop_user="UBOT") == (
        "we plan this in #general & more")
    assert trim("one two three &amp; four", 17).endswith("…")
    assert "&amp" not in trim("one two three &amp; four", 17).replace("&amp;", "")


def test_masking_leaves_dates_times_and_small_numbers() -> None:
    text = "On 2026-11-01 at 10:30, 3 of 40 customers (C10234) paid £1,200; call 0800 123 4567."
    masked = mask_personal_data(text)
    assert "2026-11-01" in masked and "10:30" in masked and "C10234" in masked and "£1,200" in masked
    assert "0800 123 4567" not in masked


WITH_FORMATTING = "“The *new* app is _so_ slow, ~never~ again: `error 42` & <!here> every time”"


def test_customers_words_show_their_asterisks_underscores_tildes_and_backticks_as_written() -> None:
    brief = view()
    brief.sections["customers_said"] = f"• {WITH_FORMATTING} [1]"
    rendered = render_brief(brief, masked=True)
    modal = full_brief_modal(brief, masked=True)
    for where in (rendered.blocks, modal["blocks"]):
        [said] = [t for t in texts(where) if "error 42" in t]
        [quotation] = re.findall("“.*”", said)
        assert shown_as(quotation) == WITH_FORMATTING  # nothing Slack would turn bold, italic, struck or code
        assert not re.search(r"[*_~`]", re.sub(r"<!date[^>]*>", "", quotation))
        assert unexpected_controls(said) == []
    # Outside quotations the writer's own mrkdwn is left alone: section titles stay bold.
    assert any(t.startswith("*What customers told us*") for t in texts(rendered.blocks))
    # A verbatim quoted in a digest or briefing too, within its limit as sent.
    quoted = quote("A *very* long_name " * 40, 300)
    assert len(quoted) <= 302 and shown_as(quoted[2:]).startswith("A *very* long_name A *very*")
