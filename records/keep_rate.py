"""Keep rate: promises kept on time / promises closed, per week or month, per owner, team and organisation.

A promise counts in the period it fell due. Closed means closed as kept or broken (cancelled ones do
not count); kept on time means kept, and closed no later than due. A promise kept late is closed but
not kept on time. Promises still open past their due time are not closed, so they are not in the rate:
they are counted beside it (`overdue_open`) and shown wherever the rate is, and they are in every
reminder and manager digest until someone closes them. They can no longer be kept on time, so the
customer-unit view — the share of customers whose promises in the period were all kept on time —
counts them against their customer.

The standard is the best past period, not the average: a slipping rate must not quietly become the
new normal. Rows are streamed from an index on due time; nothing loads every promise.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, tzinfo
from typing import TYPE_CHECKING, Literal

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from records.clock import now_utc
from records.models import Promise

if TYPE_CHECKING:
    from records.staff import OrgChart

PeriodKind = Literal["week", "month"]
# A past period needs this many closed promises to be a fair "best" to compare with.
MIN_CLOSED = 3
DEFAULT_PERIODS = {"week": 12, "month": 12}


@dataclass
class PeriodRate:
    label: str
    start: datetime
    end: datetime
    complete: bool
    kept_on_time: int = 0
    kept_late: int = 0
    broken: int = 0
    overdue_open: int = 0
    _customers: dict[str, bool] = field(default_factory=dict, repr=False)

    @property
    def closed(self) -> int:
        """Closed as kept (on time or late) or broken: the rate's denominator."""
        return self.kept_on_time + self.kept_late + self.broken

    @property
    def rate(self) -> float | None:
        """Kept on time / closed; None when nothing was closed."""
        return self.kept_on_time / self.closed if self.closed else None

    @property
    def customers(self) -> int:
        return len(self._customers)

    @property
    def customers_all_kept(self) -> int:
        return sum(1 for kept in self._customers.values() if kept)

    @property
    def customer_rate(self) -> float | None:
        return self.customers_all_kept / self.customers if self.customers else None

    def add(
        self, *, customer_id: str, status: str, due_at: datetime, closed_at: datetime | None, now: datetime
    ) -> None:
        if status == "kept":
            on_time = closed_at is None or closed_at <= due_at
            if on_time:
                self.kept_on_time += 1
            else:
                self.kept_late += 1
        elif status == "broken":
            on_time = False
            self.broken += 1
        elif status == "open" and due_at < now:
            on_time = False  # not in the rate, but it can no longer be kept on time: its customer is not all kept
            self.overdue_open += 1
        else:
            return  # cancelled, or open and not yet due
        self._customers[customer_id] = self._customers.get(customer_id, True) and on_time

    def as_json(self) -> dict[str, object]:
        return {
            "period": self.label, "complete": self.complete, "rate": _round(self.rate), "closed": self.closed,
            "kept_on_time": self.kept_on_time, "kept_late": self.kept_late, "broken": self.broken,
            "overdue_open": self.overdue_open, "customers": self.customers,
            "customers_all_kept": self.customers_all_kept, "customer_rate": _round(self.customer_rate),
        }


@dataclass
class KeepRateReport:
    scope: str  # "org", "team:<manager>" or "owner:<handle>"
    period_kind: PeriodKind
    periods: list[PeriodRate]  # oldest first; the last one is the period in progress

    @property
    def current(self) -> PeriodRate:
        return self.periods[-1]

    @property
    def latest(self) -> PeriodRate | None:
        """The most recent complete period."""
        complete = [p for p in self.periods if p.complete]
        return complete[-1] if complete else None

    @property
    def best_past(self) -> PeriodRate | None:
        """The best complete period before the latest one, among those with enough promises."""
        latest = self.latest
        candidates = [p for p in self.periods if p.complete and p is not latest and p.closed >= MIN_CLOSED]
        return max(candidates, key=lambda p: (p.rate or 0.0, p.start)) if candidates else None

    @property
    def below_best(self) -> bool:
        latest, best = self.latest, self.best_past
        return bool(latest and best and latest.rate is not None and best.rate is not None and latest.rate < best.rate)

    def best_past_text(self) -> str:
        """The standard in words, with its figures and the rule that makes a period count, e.g. "Best past
        week: 90% kept on time (9 of 10 closed, 2026-W44); only weeks with 3 or more closed promises count."
        Shared by every view of the rate (App Home, the manager digest, `advocate keep-rate`)."""
        unit = self.period_kind
        best = self.best_past
        rule = f"only {unit}s with {MIN_CLOSED} or more closed promises count"
        if best is None or best.rate is None:
            return f"No best past {unit} to compare with yet: {rule}."
        return (f"Best past {unit}: {best.rate:.0%} kept on time ({best.kept_on_time} of {best.closed} closed, "
                f"{best.label}); {rule}.")

    def as_json(self) -> dict[str, object]:
        latest, best = self.latest, self.best_past
        return {
            "scope": self.scope, "period": self.period_kind,
            "latest": latest.as_json() if latest else None,
            "best_past": best.as_json() if best else None,
            "below_best": self.below_best, "best_past_min_closed": MIN_CLOSED,
            "current": self.current.as_json(),
            "periods": [p.as_json() for p in self.periods],
        }


def period_start(at: datetime, kind: PeriodKind, tz: tzinfo) -> datetime:
    local = at.astimezone(tz)
    if kind == "week":
        day = local.date() - timedelta(days=local.weekday())
    else:
        day = local.date().replace(day=1)
    return datetime(day.year, day.month, day.day, tzinfo=tz).astimezone(UTC)


def next_start(start: datetime, kind: PeriodKind, tz: tzinfo) -> datetime:
    local = start.astimezone(tz).date()
    if kind == "week":
        day = local + timedelta(days=7)
    else:
        day = (local.replace(day=28) + timedelta(days=4)).replace(day=1)
    return datetime(day.year, day.month, day.day, tzinfo=tz).astimezone(UTC)


def period_label(at: datetime, kind: PeriodKind, tz: tzinfo) -> str:
    local = at.astimezone(tz)
    if kind == "week":
        year, week, _ = local.isocalendar()
        return f"{year}-W{week:02d}"
    return f"{local.year}-{local.month:02d}"


def period_grid(now: datetime, kind: PeriodKind, tz: tzinfo, count: int) -> list[PeriodRate]:
    """`count` complete periods before the current one, then the current one."""
    current = period_start(now, kind, tz)
    starts = [current]
    for _ in range(count):
        local = starts[0].astimezone(tz)
        previous = period_start(local - timedelta(days=1), kind, tz)
        starts.insert(0, previous)
    grid = []
    for start in starts:
        end = next_start(start, kind, tz)
        grid.append(PeriodRate(period_label(start, kind, tz), start, end, complete=end <= now))
    return grid


class KeepRates:
    def __init__(self, *, sessions: sessionmaker[Session], timezone: tzinfo) -> None:
        # Transactions on the records database: `with sessions.begin() as session:` commits at the end.
        self.sessions = sessions
        # The organisation's zone: where weeks and months begin.
        self.timezone = timezone

    def report(
        self,
        *,
        owners: Sequence[str] | None = None,
        scope: str = "org",
        period: PeriodKind = "week",
        periods: int | None = None,
        now: datetime | None = None,
    ) -> KeepRateReport:
        """One scope: the whole organisation (owners=None) or the promises of these owners."""
        now = now or now_utc()
        grid = period_grid(now, period, self.timezone, periods or DEFAULT_PERIODS[period])
        report = KeepRateReport(scope, period, grid)
        index = {p.label: p for p in grid}
        for _owner, customer_id, status, due_at, closed_at in self._rows(grid[0].start, now, owners):
            bucket = index.get(period_label(due_at, period, self.timezone))
            if bucket is not None:
                bucket.add(customer_id=customer_id, status=status, due_at=due_at, closed_at=closed_at, now=now)
        return report

    def reports_by(
        self,
        *,
        by: Literal["owner", "team"],
        chart: OrgChart,
        period: PeriodKind = "week",
        periods: int | None = None,
        now: datetime | None = None,
        only: Sequence[str] | None = None,
    ) -> list[KeepRateReport]:
        """Per owner, or per team (a manager and everyone below), in one streamed pass."""
        now = now or now_utc()
        tz = self.timezone
        count = periods or DEFAULT_PERIODS[period]
        reports: dict[str, KeepRateReport] = {}
        indexes: dict[str, dict[str, PeriodRate]] = {}
        managers = set(chart.managers())
        start = period_grid(now, period, tz, count)[0].start
        for owner, customer_id, status, due_at, closed_at in self._rows(start, now, None):
            if by == "owner":
                keys = [owner]
            else:
                keys = [m for m in [owner, *chart.chain(owner)] if m in managers]
            label = period_label(due_at, period, tz)
            for key in keys:
                if only is not None and key not in only:
                    continue
                if key not in reports:
                    grid = period_grid(now, period, tz, count)
                    reports[key] = KeepRateReport(f"{by}:{key}", period, grid)
                    indexes[key] = {p.label: p for p in grid}
                bucket = indexes[key].get(label)
                if bucket is not None:
                    bucket.add(customer_id=customer_id, status=status, due_at=due_at, closed_at=closed_at, now=now)
        return [reports[k] for k in sorted(reports)]

    def _rows(
        self, start: datetime, now: datetime, owners: Sequence[str] | None
    ) -> Iterator[tuple[str, str, str, datetime, datetime | None]]:
        columns = (Promise.owner, Promise.customer_id, Promise.status, Promise.due_at, Promise.closed_at)
        # Promises not yet due do not count: the range ends now.
        base = select(*columns).where(Promise.due_at >= start, Promise.due_at < now)
        with self.sessions.begin() as session:
            if owners is None:
                yield from session.execute(base.execution_options(yield_per=5000))  # type: ignore[misc]
                return
            owners = list(owners)
            for first in range(0, len(owners), 1000):
                part = base.where(Promise.owner.in_(owners[first : first + 1000]))
                yield from session.execute(part.execution_options(yield_per=5000))  # type: ignore[misc]


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 4)
