"""Tenure milestones: customers whose 1st, 3rd, 5th… anniversary falls in a date window.

The customers table keeps an anniversary key (month*100 + day) indexed with customer_since, so a
window is one or two range scans of that index, narrowed to the joining years that make a milestone —
never a pass over every customer. Rows are streamed.
"""

from __future__ import annotations

import calendar
from collections.abc import Collection, Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from sqlalchemy import and_, or_, select

from records.customers import CustomerView
from records.models import Customer, anniversary_key

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

MAX_WINDOW_DAYS = 366


@dataclass(frozen=True)
class Milestone:
    customer: CustomerView
    years: int
    on: date


def anniversary_in(year: int, since: date) -> date:
    """The anniversary of `since` in `year` (29 February falls on the 28th in other years)."""
    if since.month == 2 and since.day == 29 and not calendar.isleap(year):
        return date(year, 2, 28)
    return since.replace(year=year)


def next_milestone(since: date, today: date, years: Sequence[int]) -> Milestone | None:
    """The next configured milestone on or after today, or None past the last one."""
    for year in range(today.year, today.year + max(years, default=0) + 1):
        tenure = year - since.year
        if tenure in years:
            on = anniversary_in(year, since)
            if on >= today:
                return Milestone(CustomerView("", "", since, "", "", None), tenure, on)
    return None


def _year_windows(start: date, end: date) -> Iterator[tuple[int, date, date]]:
    year = start.year
    while year <= end.year:
        yield year, max(start, date(year, 1, 1)), min(end, date(year, 12, 31))
        year += 1


def milestone_condition(start: date, end: date, years: Sequence[int]):  # type: ignore[no-untyped-def]
    """WHERE clause for customers with a milestone anniversary in [start, end]."""
    clauses = []
    for year, first, last in _year_windows(start, end):
        keys = Customer.anniversary.between(anniversary_key(first), anniversary_key(last))
        if not calendar.isleap(year) and first <= date(year, 2, 28) <= last:
            keys = or_(keys, Customer.anniversary == 229)
        joined = [
            Customer.customer_since.between(date(year - n, 1, 1), date(year - n, 12, 31))
            for n in years if year - n >= 1
        ]
        if joined:
            clauses.append(and_(keys, or_(*joined)))
    return or_(*clauses) if clauses else Customer.id.is_(None)


def stream_milestones(
    session: Session,
    *,
    start: date,
    end: date,
    years: Sequence[int],
    owners: Collection[str] | None = None,
    segments: Collection[str] | None = None,
    exclude_segments: Collection[str] = (),
    batch: int = 2000,
) -> Iterator[Milestone]:
    """Customers reaching a milestone in [start, end] (inclusive), by date; optionally only some owners
    or segments. `years` are the configured milestones."""
    if end < start or (end - start).days > MAX_WINDOW_DAYS:
        raise ValueError("the milestone window must run forwards and span at most a year")
    query = select(Customer).where(milestone_condition(start, end, years))
    if owners is not None:
        query = query.where(Customer.owner.in_(list(owners)))
    if segments is not None:
        query = query.where(Customer.segment.in_(list(segments)))
    if exclude_segments:
        query = query.where(Customer.segment.not_in(list(exclude_segments)))
    found: list[Milestone] = []
    for row in session.scalars(query.execution_options(yield_per=batch)):
        for year in range(start.year, end.year + 1):
            on = anniversary_in(year, row.customer_since)
            tenure = year - row.customer_since.year
            if start <= on <= end and tenure in years:
                found.append(Milestone(CustomerView.of(row), tenure, on))
    found.sort(key=lambda m: (m.on, -m.years, m.customer.id))
    yield from found
