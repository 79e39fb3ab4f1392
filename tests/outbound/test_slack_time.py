"""Due times as Slack shows them (outbound/text.py `slack_time`): a date token Slack renders in each reader's
own zone, with a readable fallback that names the promise's zone, and that the other text helpers leave whole."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from outbound.text import escape, slack_time, to_plain, trim, unescape
from records.due_times import show_due, show_due_in
from tests.slack_checks import DUE_TOKEN, shown_as, unexpected_controls

LONDON = ZoneInfo("Europe/London")
# 16:00 in Tokyo on Tue 24 Nov 2026 is 07:00 UTC.
TOKYO_1600 = datetime(2026, 11, 24, 7, 0, tzinfo=UTC)
TOKYO_1600_EPOCH = 1795503600


def test_the_token_carries_the_moment_and_a_fallback_in_the_promise_s_zone() -> None:
    assert int(TOKYO_1600.timestamp()) == TOKYO_1600_EPOCH
    token = slack_time(TOKYO_1600, show_due(TOKYO_1600, "Asia/Tokyo", LONDON))
    assert token == f"<!date^{TOKYO_1600_EPOCH}^{{date_short_pretty}} {{time}}|Tue 24 Nov 2026 16:00 (Asia/Tokyo)>"
    assert unexpected_controls(token) == []
    assert shown_as(token) == "Tue 24 Nov 2026 16:00 (Asia/Tokyo)"


@pytest.mark.parametrize("zone", [UTC, LONDON, ZoneInfo("America/New_York"), ZoneInfo("Asia/Kolkata"),
                                  timezone(timedelta(hours=-3, minutes=-30))])
def test_the_epoch_is_the_moment_whatever_zone_the_time_is_held_in(zone: timezone | ZoneInfo) -> None:
    # Across London's clock change (Sun 29 Mar 2026 01:00 UTC) too: the epoch never depends on a wall clock.
    for at in (TOKYO_1600, datetime(2026, 3, 29, 0, 30, tzinfo=UTC), datetime(2026, 3, 29, 1, 30, tzinfo=UTC)):
        found = DUE_TOKEN.fullmatch(slack_time(at.astimezone(zone), show_due_in(at, zone)))
        assert found is not None
        assert int(found["epoch"]) == int(at.timestamp())
        assert found["fallback"] == escape(show_due_in(at, zone))


def test_the_fallback_is_escaped_and_pings_nobody() -> None:
    token = slack_time(TOKYO_1600, "16:00 <!channel> & <@U0BOSS> (here)")
    assert unexpected_controls(token) == []
    assert shown_as(token) == "16:00 <!channel> & <@U0BOSS> (here)"


def test_a_time_without_a_zone_is_refused() -> None:
    with pytest.raises(ValueError, match="naive"):
        slack_time(datetime(2026, 11, 24, 16, 0), "Tue 24 Nov 2026 16:00 (Europe/London)")


def test_the_other_text_helpers_keep_the_token_whole() -> None:
    fallback = show_due(TOKYO_1600, "Asia/Tokyo", LONDON)
    text = f"Call Ada back — due {slack_time(TOKYO_1600, fallback)}."
    # Terminal previews and messages read back for retrieval show the fallback.
    assert unescape(text) == f"Call Ada back — due {fallback}."
    assert to_plain(text) == f"Call Ada back — due {fallback}."
    # A cut never ends inside it: the token is kept whole or left out.
    for limit in range(1, len(text) + 1):
        cut = trim(text, limit)
        assert cut.count("<") == cut.count(">") and unexpected_controls(cut) == [], cut
