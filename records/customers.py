"""Customers: import from CSV (upsert by id), look up by id or name."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from records.clock import now_utc
from records.csv_rows import CsvRow, ImportSummary, RowProblem, read_rows
from records.csv_text import parse_date
from records.forgotten import ForgottenCustomers, forgotten_hash
from records.models import Customer, anniversary_key

FIELDS: tuple[str, ...] = ("id", "name", "customer_since", "owner", "segment", "value")
REQUIRED: tuple[str, ...] = ("id", "name", "customer_since", "owner")

# Header names seen in CRM exports, normalised (lower case, letters and digits only).
ALIASES: dict[str, str] = {
    "id": "id", "customerid": "id", "customer": "id", "accountid": "id", "account": "id", "clientid": "id",
    "custid": "id", "accountnumber": "id", "customerref": "id",
    "name": "name", "customername": "name", "fullname": "name", "accountname": "name", "company": "name",
    "customersince": "customer_since", "since": "customer_since", "startdate": "customer_since",
    "joined": "customer_since", "joineddate": "customer_since", "signupdate": "customer_since",
    "tenurestart": "customer_since", "createddate": "customer_since", "start": "customer_since",
    "owner": "owner", "accountowner": "owner", "accountmanager": "owner", "ownerhandle": "owner",
    "handle": "owner",
    "segment": "segment", "customersegment": "segment", "tier": "segment", "customertype": "segment",
    "type": "segment",
    "value": "value", "revenue": "value", "annualvalue": "value", "yearlyrevenue": "value", "arr": "value",
}
BATCH = 1000
MAX_MATCHES = 10


@dataclass(frozen=True)
class CustomerView:
    """A customer as read (detached from any session)."""

    id: str
    name: str
    customer_since: date
    owner: str
    segment: str
    value: float | None

    @classmethod
    def of(cls, row: Customer) -> CustomerView:
        return cls(row.id, row.name, row.customer_since, row.owner, row.segment, row.value)


def name_key(name: str) -> str:
    return " ".join(name.lower().split())


class CustomerBook:
    def __init__(self, *, sessions: sessionmaker[Session], forgotten: ForgottenCustomers) -> None:
        # Transactions on the records database: `with sessions.begin() as session:` commits at the end.
        self.sessions = sessions
        # Customers who asked to be forgotten: an import of the CRM list does not bring them back.
        self.forgotten = forgotten

    def get(self, customer_id: str) -> CustomerView | None:
        with self.sessions.begin() as session:
            row = session.get(Customer, customer_id.strip())
            return CustomerView.of(row) if row else None

    def get_many(self, ids: Sequence[str]) -> dict[str, CustomerView]:
        found: dict[str, CustomerView] = {}
        with self.sessions.begin() as session:
            for start in range(0, len(ids), BATCH):
                for row in session.scalars(select(Customer).where(Customer.id.in_(ids[start : start + BATCH]))):
                    found[row.id] = CustomerView.of(row)
        return found

    def find(self, query: str) -> list[CustomerView]:
        """By id (exact, any case), else by name: exact name first, then names starting with it."""
        query = query.strip()
        if not query:
            return []
        with self.sessions.begin() as session:
            row = session.get(Customer, query) or session.get(Customer, query.upper())
            if row:
                return [CustomerView.of(row)]
            key = name_key(query)
            exact = list(session.scalars(select(Customer).where(Customer.name_key == key).limit(MAX_MATCHES)))
            if exact:
                return [CustomerView.of(r) for r in exact]
            # A prefix range, not LIKE: an indexed scan on both SQLite and PostgreSQL.
            prefix = session.scalars(
                select(Customer)
                .where(Customer.name_key >= key, Customer.name_key < key + "\uffff")
                .order_by(Customer.name_key)
                .limit(MAX_MATCHES)
            )
            return [CustomerView.of(r) for r in prefix]

    def count(self) -> int:
        with self.sessions.begin() as session:
            return int(session.scalar(select(func.count()).select_from(Customer)) or 0)

    def segments_and_starts(self) -> list[tuple[str, date]]:
        """Every customer's segment and the day they joined: what the customer base looks like as a whole."""
        with self.sessions.begin() as session:
            return [(segment or "", since) for segment, since in session.execute(
                select(Customer.segment, Customer.customer_since))]

    def import_csv(self, path: Path, *, mapping: dict[str, str] | None = None) -> ImportSummary:
        """Upsert customers by id; bad rows are reported by line and the good ones kept."""
        summary = ImportSummary(what="customers")
        seen: dict[str, int] = {}
        batch: list[tuple[int, dict[str, object]]] = []
        today = now_utc().date()
        # Customers who asked to be forgotten stay forgotten when the CRM list is imported again.
        forgotten = self.forgotten.hashes()
        for item in read_rows(path, fields=FIELDS, required=REQUIRED, aliases=ALIASES, mapping=mapping):
            if isinstance(item, RowProblem):
                summary.problems.append(item)
                continue
            checked = _validated(item, today)
            if isinstance(checked, RowProblem):
                summary.problems.append(checked)
                continue
            customer_id = str(checked["id"])
            if forgotten and forgotten_hash(customer_id) in forgotten:
                summary.forgotten += 1
                continue
            if customer_id in seen:
                earlier = seen[customer_id]
                summary.problems.append(RowProblem(item.line, f"id {customer_id!r} already on line {earlier}"))
                continue
            seen[customer_id] = item.line
            batch.append((item.line, checked))
            if len(batch) >= BATCH:
                self._upsert(batch, summary)
                batch = []
        if batch:
            self._upsert(batch, summary)
        return summary

    def _upsert(self, batch: list[tuple[int, dict[str, object]]], summary: ImportSummary) -> None:
        with self.sessions.begin() as session:
            ids = [str(values["id"]) for _, values in batch]
            existing = {c.id: c for c in session.scalars(select(Customer).where(Customer.id.in_(ids)))}
            now = now_utc()
            for _, values in batch:
                row = existing.get(str(values["id"]))
                if row is None:
                    session.add(Customer(**values, updated_at=now))
                    summary.added += 1
                    continue
                changed = False
                for name, value in values.items():
                    if getattr(row, name) != value:
                        setattr(row, name, value)
                        changed = True
                if changed:
                    row.updated_at = now
                    summary.updated += 1
                else:
                    summary.unchanged += 1


_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:/-]{0,63}")


def _validated(row: CsvRow, today: date) -> dict[str, object] | RowProblem:
    customer_id = row.get("id")
    if not customer_id:
        return RowProblem(row.line, "empty id: every customer needs the id the CRM knows them by")
    if not _ID.fullmatch(customer_id):
        return RowProblem(row.line, f"id {customer_id!r} has characters other than letters, digits and ._:/-")
    name = " ".join(row.get("name").split())
    if not name:
        return RowProblem(row.line, f"customer {customer_id}: empty name")
    if len(name) > 200:
        return RowProblem(row.line, f"customer {customer_id}: name longer than 200 characters")
    since_text = row.get("customer_since")
    since = parse_date(since_text) if since_text else None
    if since is None:
        return RowProblem(
            row.line, f"customer {customer_id}: customer_since {since_text!r} is not a date; use YYYY-MM-DD"
        )
    if since > today:
        return RowProblem(row.line, f"customer {customer_id}: customer_since {since.isoformat()} is in the future")
    owner = row.get("owner")
    if not owner:
        return RowProblem(row.line, f"customer {customer_id}: empty owner; give the staff handle who looks after them")
    value: float | None = None
    value_text = row.get("value").replace(",", "").lstrip("£$€")
    if value_text:
        try:
            value = float(value_text)
        except ValueError:
            return RowProblem(row.line, f"customer {customer_id}: value {row.get('value')!r} is not a number")
        if value < 0:
            return RowProblem(row.line, f"customer {customer_id}: value {value_text} is negative")
    return {
        "id": customer_id, "name": name, "name_key": name_key(name), "customer_since": since,
        "anniversary": anniversary_key(since), "owner": owner, "segment": row.get("segment").lower(),
        "value": value,
    }
