"""`Records`: the records database opened (and migrated) once, with one object per area of work."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import cached_property
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from records.migrate import upgrade_to_head

if TYPE_CHECKING:
    from records.advocates import AdvocateRoster
    from records.customers import CustomerBook
    from records.deliveries import DeliveryLedger
    from records.forgotten import ForgottenCustomers
    from records.keep_rate import KeepRates
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
        self._sessions = sessionmaker(engine, expire_on_commit=False)

    @contextmanager
    def session(self) -> Iterator[Session]:
        """One transaction: committed when the block ends, rolled back (nothing written) on error."""
        with self._sessions.begin() as session:
            yield session

    @cached_property
    def customers(self) -> CustomerBook:
        from records.customers import CustomerBook

        return CustomerBook(records=self)

    @cached_property
    def staff(self) -> StaffDirectory:
        from records.staff import StaffDirectory

        return StaffDirectory(records=self)

    @cached_property
    def promises(self) -> PromiseBook:
        from records.promises import PromiseBook

        return PromiseBook(records=self)

    @cached_property
    def keep_rates(self) -> KeepRates:
        from records.keep_rate import KeepRates

        return KeepRates(records=self)

    @cached_property
    def thanks(self) -> ThanksLedger:
        from records.thanks import ThanksLedger

        return ThanksLedger(records=self)

    @cached_property
    def advocates(self) -> AdvocateRoster:
        from records.advocates import AdvocateRoster

        return AdvocateRoster(records=self)

    @cached_property
    def deliveries(self) -> DeliveryLedger:
        from records.deliveries import DeliveryLedger

        return DeliveryLedger(records=self)

    @cached_property
    def slack(self) -> SlackLedger:
        """Briefs the Slack app delivered, their decisions, concerns, feedback and handled event ids."""
        from records.slack_records import SlackLedger

        return SlackLedger(records=self)

    @cached_property
    def forgotten(self) -> ForgottenCustomers:
        """Customers who asked to be forgotten (hashed ids): ingestion and imports skip them."""
        from records.forgotten import ForgottenCustomers

        return ForgottenCustomers(engine=self.engine)
