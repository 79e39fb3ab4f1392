"""Due times with time zones: parsing what people type, and showing it back in their zone."""

from __future__ import annotations

import re
from datetime import UTC, datetime, time, timedelta, timezone, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from records.errors import InputError

# A due date without a time means the end of that working day.
END_OF_DAY = time(17, 0)
_OFFSET = re.compile(r"([+-])(\d{2}):?(\d{2})")
_FORMATS = ("%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M:%S", "%d/%m/%Y %H:%M", "%d/%m/%Y")


def zone(name: str, *, field: str = "tz") -> tzinfo:
    """An IANA zone (Europe/London) or a fixed offset (+01:00); InputError naming `field` otherwise."""
    name = name.strip()
    if name.upper() in ("UTC", "Z"):
        return UTC
    match = _OFFSET.fullmatch(name)
    if match:
        sign = 1 if match.group(1) == "+" else -1
        hours, minutes = int(match.group(2)), int(match.group(3))
        if hours > 14 or minutes > 59:
            raise InputError(field, f"{name!r} is not a UTC offset; use ±HH:MM between -14:00 and +14:00")
        return timezone(sign * timedelta(hours=hours, minutes=minutes))
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise InputError(field, f"{name!r} is not a time zone; use an IANA name such as Europe/London") from None


def zone_label(tz: tzinfo) -> str:
    if isinstance(tz, ZoneInfo):
        return tz.key
    if tz is UTC:
        return "UTC"
    offset = tz.utcoffset(None) or timedelta(0)
    minutes = int(offset.total_seconds() // 60)
    sign = "+" if minutes >= 0 else "-"
    return f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def parse_due(text: str, *, tz: str | None, default_tz: tzinfo, field: str = "due") -> tuple[datetime, str]:
    """(due time in UTC, the zone's label) from "2026-11-30 16:00", "2026-11-30T16:00+01:00" or "2026-11-30".

    A zone in the text wins; otherwise `tz`, otherwise the organisation's zone. A date alone means
    17:00 that day.
    """
    text = " ".join(text.split())
    if not text:
        raise InputError(field, "empty; give the date and time it is due, e.g. 2026-11-30 16:00")
    given_zone = zone(tz) if tz else None
    parsed: datetime | None = None
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        for fmt in _FORMATS:
            try:
                parsed = datetime.strptime(text, fmt)
                break
            except ValueError:
                continue
    if parsed is None:
        raise InputError(field, f"{text!r} is not a date and time; use YYYY-MM-DD HH:MM, e.g. 2026-11-30 16:00")
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}|\d{2}/\d{2}/\d{4}", text):
        parsed = datetime.combine(parsed.date(), END_OF_DAY)
    if parsed.tzinfo is not None:
        if given_zone is not None and parsed.utcoffset() != parsed.replace(tzinfo=given_zone).utcoffset():
            raise InputError(field, f"{text!r} carries a UTC offset that disagrees with tz {tz!r}; give the zone once")
        label = zone_label(given_zone) if given_zone else zone_label(parsed.tzinfo)
        return parsed.astimezone(UTC), label
    local_zone = given_zone or default_tz
    local = parsed.replace(tzinfo=local_zone)
    # A wall-clock time that does not exist (skipped by a DST change) would silently shift; refuse it.
    if local.astimezone(UTC).astimezone(local_zone).replace(tzinfo=None) != parsed:
        raise InputError(field, f"{text} does not exist in {zone_label(local_zone)} (clocks change); pick another time")
    return local.astimezone(UTC), zone_label(local_zone)


def local_time(at: datetime, tz_label: str | None, default_tz: tzinfo) -> datetime:
    """`at` in the zone it was given in (or the default)."""
    try:
        return at.astimezone(zone(tz_label) if tz_label else default_tz)
    except InputError:
        return at.astimezone(default_tz)


def show_due(at: datetime, tz_label: str | None, default_tz: tzinfo) -> str:
    """E.g. "Tue 24 Nov 2026 16:00 (Europe/London)", in the zone the promise was given in."""
    local = local_time(at, tz_label, default_tz)
    return f"{local:%a %d %b %Y %H:%M} ({tz_label or zone_label(default_tz)})"


def show_due_in(at: datetime, zone: tzinfo) -> str:
    """E.g. "Tue 24 Nov 2026 16:00 (Europe/London)", in `zone` whatever zone the promise was given in, so a
    list of promises reads in one zone with one label."""
    return f"{at.astimezone(zone):%a %d %b %Y %H:%M} ({zone_label(zone)})"
