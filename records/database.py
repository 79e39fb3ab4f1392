"""`Records`: the records database opened (and migrated) once, with one object per area of work.

Each book gets what it uses through its constructor (the session factory, the organisation's zone,
another book); none of them knows this hub.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import cached_property
from zoneinfo import ZoneInfo

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from records.advocates import AdvocateRoster
from records.customers import CustomerBook
from records.deliveries import DeliveryLedger
from records.forgotten import ForgottenCustomers
from records.keep_rate import KeepRates
from records.migrate import upgrade_to_head
from records.promises import PromiseBook
from records.slack_records import SlackLedger
from records.staff import StaffDirectory
from records.thanks import ThanksLedger


class Records:
    def __init__(self, *, engine: Engine, timezone: ZoneInfo, migrate: bool = True) -> None:
        # The records database (SQLite or PostgreSQL), shared with the rest of the process.
        self.engine = engine
        # The organisation's zone: due times given without one, week and month boundaries.
        self.timezone = timezone
        if migrate:
            upgrade_to_head(engine)
        # One transaction per `with sessions.begin() as session:`; rows stay readable after it.
        self.sessions = sessionmaker(engine, expire_on_commit=False)

    @contextmanager
    def session(self) -> Iterator[Session]:
        """One transaction: committed when the block ends, rolled back (nothing written) on error."""
        with self.sessions.begin() as session:
            yield session

    @cached_property
    def customers(self) -> CustomerBook:
        return CustomerBook(sessions=self.sessions, forgotten=self.forgotten)

    @cached_property
    def staff(self) -> StaffDirectory:
        return StaffDirectory(sessions=self.sessions)

    @cached_property
    def promises(self) -> PromiseBook:
        return PromiseBook(sessions=self.sessions, timezone=self.timezone, customers=self.customers)

    @cached_property
    def keep_rates(self) -> KeepRates:
        return KeepRates(sessions=self.sessions, timezone=self.timezone)

    @cached_property
    def thanks(self) -> ThanksLedger:
        return ThanksLedger(sessions=self.sessions)

    @cached_property
    def advocates(self) -> AdvocateRoster:
        return AdvocateRoster(sessions=self.sessions)

    @cached_property
    def deliveries(self) -> DeliveryLedger:
        return DeliveryLedger(sessions=self.sessions)

    @cached_property
    def slack(self) -> SlackLedger:
        """Briefs the Slack app delivered, their decisions, concerns, feedback and handled event ids."""
        return SlackLedger(sessions=self.sessions)

    @cached_property
    def forgotten(self) -> ForgottenCustomers:
        """Customers who asked to be forgotten (hashed ids): ingestion and imports skip them."""
        return ForgottenCustomers(engine=self.engine)
