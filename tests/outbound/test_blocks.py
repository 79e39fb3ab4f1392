"""Block Kit for digests: within Slack's limits whatever comes in, and people's text escaped."""

from __future__ import annotations

from outbound.actions import ACTION_PROMISE_KEPT, parse_thanks_value, promise_buttons, thanks_value
from outbound.blocks import BlockList, Message
from outbound.text import escape, trim


def test_block_limits_hold_for_big_digests() -> None:
    blocks = BlockList()
    for n in range(80):
        blocks.section("x" * 3500 + str(n))
    done = blocks.done(more_hint="See the CLI.")
    assert len(done) == 50
    assert all(len(b.to_dict().get("text", {}).get("text", "")) <= 3000 for b in done)
    assert "31 more not shown" in done[-1].to_dict()["elements"][0]["text"]
    for block in done:
        block.validate_json()
    assert escape("a<b>&c") == "a&lt;b&gt;&amp;c"
    assert trim("word &amp; more", 8) == "word…"  # never half an escape
    assert trim("word &amp; more words here", 12) == "word &amp;…"


def test_a_message_reads_as_a_person_sees_it() -> None:
    blocks = BlockList()
    blocks.header("Your week")
    blocks.section(f"*Promise* {escape('<!channel> & co')}")
    blocks.blocks.append(promise_buttons("P001"))
    message = Message(text="Your week", blocks=blocks.done())
    message.validate()
    readable = message.readable()
    assert "Your week\n=========" in readable and "*Promise* <!channel> & co" in readable
    assert "[Kept] [Broken] [Reschedule] [Reassign]" in readable
    buttons = message.payload()["blocks"][-1]["elements"]
    assert buttons[0]["action_id"] == ACTION_PROMISE_KEPT and {b["value"] for b in buttons} == {"P001"}


def test_thanks_button_values_round_trip_and_refuse_anything_else() -> None:
    assert parse_thanks_value(thanks_value("C00105", 20)) == ("C00105", 20)
    for bad in ("C00105", "C00105:", ":20", "C00105:twenty"):
        try:
            parse_thanks_value(bad)
        except ValueError:
            continue
        raise AssertionError(f"{bad!r} was taken as a thanks value")
