"""Thank-yous recorded per customer and milestone: the same milestone is never suggested twice."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from records.clock import now_utc
from records.errors import InputError
from records.models import Customer, Thanks


@dataclass(frozen=True)
class ThanksRecord:
    customer_id: str
    milestone: int
    thanked_at: datetime
    thanked_by: str
    note: str
    new: bool  # False when it had already been recorded (a second click, a second command)


class ThanksLedger:
    def __init__(self, *, sessions: sessionmaker[Session]) -> None:
        # Transactions on the records database: `with sessions.begin() as session:` commits at the end.
        self.sessions = sessions

    def mark(
        self, customer_id: str, *, milestone: int, by: str, note: str = "", now: datetime | None = None
    ) -> ThanksRecord:
        """Record that the customer was thanked for `milestone` years. Idempotent."""
        now = now or now_utc()
        if milestone < 1:
            raise InputError("milestone", f"{milestone} is not a number of years; give e.g. --milestone 10")
        with self.sessions.begin() as session:
            customer = session.get(Customer, customer_id.strip()) or session.get(Customer, customer_id.strip().upper())
            if customer is None:
                raise InputError("customer", f"no customer with id {customer_id!r}; `advocate customer NAME` finds it")
            reached = now.date().year - customer.customer_since.year + 1
            if milestone > reached:
                raise InputError(
                    "milestone",
                    f"{customer.name} joined in {customer.customer_since.year}; {milestone} years is not reached "
                    "yet (thank them when it comes)",
                )
            existing = session.scalar(
                select(Thanks).where(Thanks.customer_id == customer.id, Thanks.milestone == milestone)
            )
            if existing:
                return _record(existing, new=False)
        try:
            with self.sessions.begin() as session:
                row = Thanks(customer_id=customer.id, milestone=milestone, thanked_at=now, thanked_by=by, note=note)
                session.add(row)
                session.flush()
                return _record(row, new=True)
        except IntegrityError:
            # Someone recorded it between our read and our write: theirs stands.
            with self.sessions.begin() as session:
                existing = session.scalar(
                    select(Thanks).where(Thanks.customer_id == customer.id, Thanks.milestone == milestone)
                )
                assert existing is not None
                return _record(existing, new=False)

    def thanked(self, customer_ids: Sequence[str]) -> set[tuple[str, int]]:
        found: set[tuple[str, int]] = set()
        with self.sessions.begin() as session:
            for start in range(0, len(customer_ids), 1000):
                part = customer_ids[start : start + 1000]
                rows = session.execute(select(Thanks.customer_id, Thanks.milestone).where(Thanks.customer_id.in_(part)))
                found.update((cid, int(m)) for cid, m in rows)
        return found

    def for_customer(self, customer_id: str) -> list[ThanksRecord]:
        with self.sessions.begin() as session:
            rows = session.scalars(select(Thanks).where(Thanks.customer_id == customer_id).order_by(Thanks.milestone))
            return [_record(r, new=False) for r in rows]


def _record(row: Thanks, *, new: bool) -> ThanksRecord:
    return ThanksRecord(row.customer_id, row.milestone, row.thanked_at, row.thanked_by, row.note, new)
