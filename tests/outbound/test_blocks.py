"""Block Kit for digests and App Home: within Slack's limits whatever comes in, and people's text escaped."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from outbound.actions import ACTION_PROMISE_KEPT, parse_thanks_value, promise_buttons, thanks_value
from outbound.blocks import BlockList, Message
from outbound.layouts.home import promise_blocks
from outbound.text import escape, trim
from records.promises import PromiseView


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


def test_app_home_shows_due_times_in_the_reader_s_zone_with_the_organisation_s_as_fallback() -> None:
    def given_in(promise_id: str, due_at: datetime, due_tz: str) -> PromiseView:
        return PromiseView(promise_id, "C00105", "Call back", "mark.ellison", due_at, due_tz, "open", None,
                           datetime(2026, 11, 1, tzinfo=UTC), None, None)

    promises = [given_in("P1", datetime(2026, 11, 20, 10, 0, tzinfo=UTC), "UTC"),
                given_in("P2", datetime(2026, 11, 26, 14, 0, tzinfo=UTC), "America/New_York")]
    blocks = promise_blocks(promises, total=2, now=datetime(2026, 11, 23, 9, 0, tzinfo=UTC),
                            tz=ZoneInfo("Europe/London"), handle="mark.ellison")
    shown = "\n".join(b.to_dict().get("text", {}).get("text", "") for b in blocks)
    # Slack shows the token in each reader's zone; its fallback reads in the organisation's, named.
    assert ("due <!date^1795168800^{date_short_pretty} {time}|Fri 20 Nov 2026 10:00 (Europe/London)> · *overdue*"
            in shown)
    assert "due <!date^1795701600^{date_short_pretty} {time}|Thu 26 Nov 2026 14:00 (Europe/London)>" in shown
    assert "(UTC)" not in shown and "America/New_York" not in shown
