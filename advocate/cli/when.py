"""Due times as people say them at a terminal: "tomorrow 16:00", "in 3 days", "friday", "in 2 hours".

`absolute` turns such a phrase into the form the records take ("2026-11-24 16:00", or a date alone,
which the records read as the end of that working day), in the given zone and from the given moment.
Anything else is handed on unchanged, for the records to read (or refuse, saying what they accept).
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta, tzinfo

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_AT = r"(?:\s+(?:at\s+)?(?P<hour>\d{1,2})(?::(?P<minute>\d{2}))?\s*(?P<ampm>am|pm)?)?"
_DAY = re.compile(r"(?P<day>today|tomorrow|(?:next\s+)?(?:" + "|".join(WEEKDAYS) + r"))" + _AT)
_IN_DAYS = re.compile(r"in\s+(?P<count>\d{1,3})\s+(?P<unit>days?|weeks?)" + _AT)
_IN_HOURS = re.compile(r"in\s+(?P<count>\d{1,3})\s+(?P<unit>hours?|minutes?|mins?)")



def at_time(day: date, match: re.Match[str]) -> str | None:
    """The day with the time the phrase names ("YYYY-MM-DD HH:MM"), the day alone without one, None when
    the time is not a time of day."""
    if match.group("hour") is None:
        return day.isoformat()
    hour, minute = int(match.group("hour")), int(match.group("minute") or 0)
    if match.group("ampm"):
        if not 1 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if match.group("ampm") == "pm" else 0)
    if hour > 23 or minute > 59:
        return None
    return f"{day.isoformat()} {hour:02d}:{minute:02d}"


def named_day(word: str, today: date) -> date:
    """today, tomorrow, or the next such weekday after today ("friday" on a Friday is a week on)."""
    if word == "today":
        return today
    if word == "tomorrow":
        return today + timedelta(days=1)
    weekday = WEEKDAYS.index(word.split()[-1])
    return today + timedelta(days=(weekday - today.weekday() - 1) % 7 + 1)


def absolute(text: str, *, now: datetime, zone: tzinfo) -> str:
    """`text` as the records read a due time, when it is a relative phrase; otherwise `text` unchanged."""
    phrase = " ".join(text.lower().split())
    local = now.astimezone(zone)
    if match := _DAY.fullmatch(phrase):
        return at_time(named_day(" ".join(match.group("day").split()), local.date()), match) or text
    if match := _IN_DAYS.fullmatch(phrase):
        days = int(match.group("count")) * (7 if match.group("unit").startswith("week") else 1)
        return at_time(local.date() + timedelta(days=days), match) or text
    if match := _IN_HOURS.fullmatch(phrase):
        minutes = int(match.group("count")) * (60 if match.group("unit").startswith("hour") else 1)
        return f"{(now + timedelta(minutes=minutes)).astimezone(zone):%Y-%m-%d %H:%M}"
    return text
