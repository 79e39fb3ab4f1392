"""The time, in one place: now in UTC, and which day it is in a zone.

Everything stored is an aware UTC time; a day (a due date, a tenure milestone, "today" in a digest)
is always a day somewhere, so it is asked for with its zone.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, tzinfo


def now_utc() -> datetime:
    return datetime.now(UTC)


def today_in(zone: tzinfo, now: datetime | None = None) -> date:
    """The date it is in `zone` at `now` (default: now)."""
    return (now or now_utc()).astimezone(zone).date()
