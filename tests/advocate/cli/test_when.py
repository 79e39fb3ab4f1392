"""Relative due times typed at the terminal, made the date and time the records read."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from advocate.cli.when import absolute

LONDON = ZoneInfo("Europe/London")
# Monday 23 November 2026, 23:30 in London (already Tuesday in Tokyo).
NOW = datetime(2026, 11, 23, 23, 30, tzinfo=UTC)


@pytest.mark.parametrize(("typed", "meant"), [
    ("tomorrow 16:00", "2026-11-24 16:00"),
    ("Tomorrow at 4pm", "2026-11-24 16:00"),
    ("tomorrow", "2026-11-24"),  # a date alone: the records make it 17:00
    ("today 23:45", "2026-11-23 23:45"),
    ("in 3 days", "2026-11-26"),
    ("in 1 week 9:30", "2026-11-30 09:30"),
    ("in 2 hours", "2026-11-24 01:30"),
    ("in 45 minutes", "2026-11-24 00:15"),
    ("friday 10:00", "2026-11-27 10:00"),
    ("monday", "2026-11-30"),  # on a Monday, "monday" is next week's
    ("next wednesday 12am", "2026-11-25 00:00"),
])
def test_phrases_become_dates_in_the_zone(typed: str, meant: str) -> None:
    assert absolute(typed, now=NOW, zone=LONDON) == meant


def test_the_zone_decides_which_day_tomorrow_is() -> None:
    assert absolute("tomorrow 09:00", now=NOW, zone=ZoneInfo("Asia/Tokyo")) == "2026-11-25 09:00"


@pytest.mark.parametrize("typed", ["2026-12-01 16:00", "soon", "tomorrow 25:00", "tomorrow 13pm", "in three days"])
def test_anything_else_is_left_for_the_records_to_read(typed: str) -> None:
    assert absolute(typed, now=NOW, zone=LONDON) == typed
