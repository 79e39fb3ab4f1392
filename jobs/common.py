"""What the digest jobs share: the week a run belongs to, and what a run did."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, tzinfo

from jobs.delivery import Outcome


def now_utc() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Week:
    label: str  # ISO week, e.g. 2026-W48: the period in delivery keys
    first: date  # Monday
    last: date  # Sunday
    end: datetime  # the Monday after, 00:00 local, in UTC

    @property
    def shown(self) -> str:
        if self.first.month == self.last.month:
            return f"{self.first.day}–{self.last:%-d %b %Y}"
        return f"{self.first:%-d %b} – {self.last:%-d %b %Y}"


def week_of(now: datetime, tz: tzinfo) -> Week:
    local = now.astimezone(tz).date()
    first = local - timedelta(days=local.weekday())
    last = first + timedelta(days=6)
    year, number, _ = local.isocalendar()
    end = datetime.combine(last + timedelta(days=1), datetime.min.time(), tzinfo=tz).astimezone(UTC)
    return Week(f"{year}-W{number:02d}", first, last, end)


@dataclass
class RunReport:
    """What one run of a job did, for logs and the CLI."""

    job: str
    outcomes: list[Outcome] = field(default_factory=list)
    skipped: int = 0  # recipients with nothing to say

    def count(self, status: str) -> int:
        return sum(1 for o in self.outcomes if o.status == status)

    def line(self) -> str:
        parts = [f"{s} {self.count(s)}" for s in ("sent", "recovered", "already_sent", "pending", "busy", "failed")]
        return f"{self.job}: " + ", ".join(parts) + f", nothing to send {self.skipped}"
