"""Promises to customers: create, close as kept or broken, cancel, reschedule, reassign, import, list.

Every change is checked completely before anything is written, and recorded as a `PromiseEvent`
(who, when, why) in the same transaction: a refused change leaves nothing behind.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, tzinfo
from pathlib import Path

from sqlalchemy import Select, and_, func, select
from sqlalchemy.orm import Session, sessionmaker

from records.clock import now_utc
from records.csv_rows import CsvRow, ImportSummary, RowProblem, read_rows
from records.customers import MAX_MATCHES, CustomerBook
from records.due_times import parse_due, show_due
from records.errors import InputError, NotFound
from records.models import PROMISE_STATUSES, Customer, Promise, PromiseEvent, Staff

MAX_TEXT = 2000
FIELDS: tuple[str, ...] = ("id", "customer_id", "text", "owner", "due", "tz", "status", "closed_at", "permalink")
REQUIRED: tuple[str, ...] = ("customer_id", "text", "owner", "due")
ALIASES: dict[str, str] = {
    "id": "id", "promiseid": "id", "ref": "id",
    "customerid": "customer_id", "customer": "customer_id", "accountid": "customer_id", "account": "customer_id",
    "promise": "text", "text": "text", "what": "text", "description": "text", "commitment": "text",
    "owner": "owner", "handle": "owner", "assignee": "owner", "assignedto": "owner",
    "due": "due", "dueat": "due", "duedate": "due", "deadline": "due", "by": "due",
    "tz": "tz", "timezone": "tz",
    "status": "status", "state": "status", "outcome": "status",
    "closedat": "closed_at", "closed": "closed_at", "closedon": "closed_at",
    "permalink": "permalink", "link": "permalink", "thread": "permalink", "url": "permalink",
}
_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,63}")
_PERMALINK = re.compile(r"https://[^\s<>|]+")


@dataclass(frozen=True)
class PromiseView:
    id: str
    customer_id: str
    text: str
    owner: str
    due_at: datetime
    due_tz: str
    status: str
    permalink: str | None
    created_at: datetime
    closed_at: datetime | None
    closed_by: str | None

    @classmethod
    def of(cls, row: Promise) -> PromiseView:
        return cls(
            row.id, row.customer_id, row.text, row.owner, row.due_at, row.due_tz, row.status, row.permalink,
            row.created_at, row.closed_at, row.closed_by,
        )

    def overdue(self, now: datetime) -> bool:
        return self.status == "open" and self.due_at < now

    @property
    def kept_on_time(self) -> bool:
        return self.status == "kept" and self.closed_at is not None and self.closed_at <= self.due_at

    def as_json(self) -> dict[str, object]:
        return {
            "id": self.id, "customer_id": self.customer_id, "text": self.text, "owner": self.owner,
            "due_at": self.due_at.isoformat(), "due_tz": self.due_tz, "status": self.status,
            "permalink": self.permalink, "created_at": self.created_at.isoformat(),
            "closed_at": self.closed_at.isoformat() if self.closed_at else None, "closed_by": self.closed_by,
        }


def new_promise_id() -> str:
    return "P-" + uuid.uuid4().hex[:10]


class PromiseBook:
    def __init__(self, *, sessions: sessionmaker[Session], timezone: tzinfo, customers: CustomerBook) -> None:
        # Transactions on the records database: `with sessions.begin() as session:` commits at the end.
        self.sessions = sessions
        # The organisation's zone: due times given without one are in it.
        self.timezone = timezone
        # Where the customer a person names (by id or name) is found.
        self.customers = customers

    # -- one promise ---------------------------------------------------------------------------------
    def add(
        self,
        *,
        customer: str,
        text: str,
        owner: str,
        due: str,
        tz: str | None = None,
        permalink: str | None = None,
        by: str = "",
        now: datetime | None = None,
        promise_id: str | None = None,
    ) -> PromiseView:
        """A new open promise. Raises InputError (naming the field) and writes nothing on bad input."""
        now = now or now_utc()
        text = _checked_text(text)
        due_at, due_tz = parse_due(due, tz=tz, default_tz=self.timezone)
        if due_at <= now:
            raise InputError(
                "due", f"{show_due(due_at, due_tz, self.timezone)} is in the past; a promise falls due later"
            )
        permalink = _checked_permalink(permalink)
        customer = self.customer_id(customer)
        with self.sessions.begin() as session:
            customer_id = _known_customer(session, customer)
            owner = _known_staff(session, owner, field="owner")
            if promise_id and session.get(Promise, promise_id):
                raise InputError("id", f"a promise {promise_id!r} already exists")
            row = Promise(
                id=promise_id or new_promise_id(), customer_id=customer_id, text=text, owner=owner, due_at=due_at,
                due_tz=due_tz, permalink=permalink, status="open", created_at=now, created_by=by or owner,
            )
            row.events.append(PromiseEvent(kind="created", at=now, by=by or owner, new_value=due_at.isoformat()))
            session.add(row)
            session.flush()
            return PromiseView.of(row)

    def customer_id(self, customer: str) -> str:
        """The customer a person means: an id, or a name — whole, or its start — that fits one customer only
        (the Slack modal and `promises add` take either; imports take ids only)."""
        query = customer.strip()
        if not query:
            raise InputError("customer", "empty; give the customer's name or id")
        matches = self.customers.find(query)
        if len(matches) == 1:
            return matches[0].id
        if not matches:
            raise InputError("customer", f"no customer with id {query!r} and none named so; check it, or import "
                                         "customers first")
        shown = ", ".join(f"{m.id} {m.name}" for m in matches[:5]) + (" …" if len(matches) > 5 else "")
        count = f"{len(matches)} or more" if len(matches) >= MAX_MATCHES else str(len(matches))
        raise InputError("customer", f"{count} customers match {query!r}: {shown}; give the id of the one you mean")

    def get(self, promise_id: str) -> PromiseView:
        with self.sessions.begin() as session:
            return PromiseView.of(_promise(session, promise_id))

    def events(self, promise_id: str) -> list[PromiseEvent]:
        with self.sessions.begin() as session:
            row = _promise(session, promise_id)
            return list(row.events)

    def close(
        self, promise_id: str, *, outcome: str, by: str, why: str = "", now: datetime | None = None
    ) -> PromiseView:
        """Close an open promise as kept or broken."""
        if outcome not in ("kept", "broken"):
            raise InputError("outcome", f"{outcome!r}: a promise closes as kept or broken (or cancel it)")
        return self._finish(promise_id, status=outcome, by=by, why=why, now=now or now_utc())

    def cancel(self, promise_id: str, *, by: str, why: str, now: datetime | None = None) -> PromiseView:
        """Cancel an open promise (no longer wanted by the customer): it leaves the keep rate."""
        if not why.strip():
            raise InputError("reason", "empty; say why the promise is cancelled (it stays on the record)")
        return self._finish(promise_id, status="cancelled", by=by, why=why, now=now or now_utc())

    def _finish(self, promise_id: str, *, status: str, by: str, why: str, now: datetime) -> PromiseView:
        with self.sessions.begin() as session:
            row = _promise(session, promise_id)
            _must_be_open(row)
            row.status, row.closed_at, row.closed_by = status, now, by or row.owner
            kind = "cancelled" if status == "cancelled" else "closed"
            row.events.append(PromiseEvent(kind=kind, at=now, by=by or row.owner, why=why.strip(), new_value=status))
            session.flush()
            return PromiseView.of(row)

    def reschedule(
        self, promise_id: str, *, due: str, why: str, by: str, tz: str | None = None, now: datetime | None = None
    ) -> PromiseView:
        now = now or now_utc()
        if not why.strip():
            raise InputError("reason", "empty; say why the due time moves (the customer will ask)")
        due_at, due_tz = parse_due(due, tz=tz, default_tz=self.timezone)
        if due_at <= now:
            raise InputError(
                "due", f"{show_due(due_at, due_tz, self.timezone)} is in the past; pick a later time"
            )
        with self.sessions.begin() as session:
            row = _promise(session, promise_id)
            _must_be_open(row)
            if due_at == row.due_at:
                raise InputError("due", "is the same as the current due time; nothing to reschedule")
            old = row.due_at.isoformat()
            row.due_at, row.due_tz = due_at, due_tz
            row.events.append(PromiseEvent(
                kind="rescheduled", at=now, by=by or row.owner, why=why.strip(), old_value=old,
                new_value=due_at.isoformat(),
            ))
            session.flush()
            return PromiseView.of(row)

    def reassign(
        self, promise_id: str, *, to: str, by: str, why: str = "", now: datetime | None = None
    ) -> PromiseView:
        now = now or now_utc()
        with self.sessions.begin() as session:
            row = _promise(session, promise_id)
            _must_be_open(row)
            new_owner = _known_staff(session, to, field="to")
            if new_owner == row.owner:
                raise InputError("to", f"{new_owner} already owns {row.id}; nothing to reassign")
            old = row.owner
            row.owner = new_owner
            row.events.append(PromiseEvent(
                kind="reassigned", at=now, by=by or old, why=why.strip(), old_value=old, new_value=new_owner
            ))
            session.flush()
            return PromiseView.of(row)

    # -- many ------------------------------------------------------------------------------------------
    def list(
        self,
        *,
        owners: Sequence[str] | None = None,
        customer: str | None = None,
        status: str | None = "open",
        due_before: datetime | None = None,
        due_after: datetime | None = None,
        limit: int = 200,
    ) -> list[PromiseView]:
        if status is not None and status not in PROMISE_STATUSES:
            raise InputError("status", f"{status!r}: use one of {', '.join(PROMISE_STATUSES)}")
        query = _filtered(owners=owners, customer=customer, status=status, due_before=due_before, due_after=due_after)
        with self.sessions.begin() as session:
            return [PromiseView.of(r) for r in session.scalars(query.order_by(Promise.due_at).limit(limit))]

    def count(
        self, *, owners: Sequence[str] | None = None, status: str | None = "open",
        due_before: datetime | None = None, due_after: datetime | None = None,
    ) -> int:
        query = _filtered(owners=owners, customer=None, status=status, due_before=due_before, due_after=due_after)
        with self.sessions.begin() as session:
            return int(session.scalar(select(func.count()).select_from(query.subquery())) or 0)

    def open_for_customers(self, customer_ids: Sequence[str]) -> dict[str, list[PromiseView]]:
        found: dict[str, list[PromiseView]] = {}
        with self.sessions.begin() as session:
            for start in range(0, len(customer_ids), 1000):
                part = customer_ids[start : start + 1000]
                query = select(Promise).where(Promise.customer_id.in_(part), Promise.status == "open")
                for row in session.scalars(query.order_by(Promise.due_at)):
                    found.setdefault(row.customer_id, []).append(PromiseView.of(row))
        return found

    def stream_open_due(self, *, after: datetime, until: datetime, batch: int = 1000) -> Iterator[PromiseView]:
        """Open promises due in (after, until], earliest first, streamed (index on status, due_at)."""
        query = (
            select(Promise)
            .where(Promise.status == "open", Promise.due_at > after, Promise.due_at <= until)
            .order_by(Promise.due_at)
            .execution_options(yield_per=batch)
        )
        with self.sessions.begin() as session:
            for row in session.scalars(query):
                yield PromiseView.of(row)

    # -- import ------------------------------------------------------------------------------------------
    def import_csv(
        self, path: Path, *, mapping: dict[str, str] | None = None, by: str = "import", now: datetime | None = None
    ) -> ImportSummary:
        """Upsert promises by id (rows without an id get one). History is allowed: past dues, closed rows.

        A kept or broken row without closed_at is taken as closed at its due time.
        """
        now = now or now_utc()
        summary = ImportSummary(what="promises")
        rows: list[tuple[CsvRow, dict[str, object]]] = []
        seen: dict[str, int] = {}
        for item in read_rows(path, fields=FIELDS, required=REQUIRED, aliases=ALIASES, mapping=mapping):
            if isinstance(item, RowProblem):
                summary.problems.append(item)
                continue
            try:
                values = self._row_values(item)
            except InputError as exc:
                summary.problems.append(RowProblem(item.line, f"{exc.field} {exc.message}"))
                continue
            promise_id = str(values["id"])
            if promise_id in seen:
                summary.problems.append(RowProblem(item.line, f"id {promise_id!r} already on line {seen[promise_id]}"))
                continue
            seen[promise_id] = item.line
            rows.append((item, values))
        for start in range(0, len(rows), 1000):
            self._import_batch(rows[start : start + 1000], summary, by=by, now=now)
        return summary

    def _row_values(self, row: CsvRow) -> dict[str, object]:
        promise_id = row.get("id") or _stable_id(row)
        if not _ID.fullmatch(promise_id):
            raise InputError("id", f"{promise_id!r} has characters other than letters, digits and ._:-")
        status = (row.get("status") or "open").lower()
        if status not in PROMISE_STATUSES:
            raise InputError("status", f"{status!r} is not one of {', '.join(PROMISE_STATUSES)}")
        due_at, due_tz = parse_due(row.get("due"), tz=row.get("tz") or None, default_tz=self.timezone)
        closed_at: datetime | None = None
        if status != "open":
            closed_text = row.get("closed_at")
            closed_at = parse_due(closed_text, tz=row.get("tz") or None, default_tz=self.timezone,
                                  field="closed_at")[0] if closed_text else due_at
        return {
            "id": promise_id, "customer_id": row.get("customer_id"), "text": _checked_text(row.get("text")),
            "owner": row.get("owner").lower(), "due_at": due_at, "due_tz": due_tz, "status": status,
            "closed_at": closed_at, "permalink": _checked_permalink(row.get("permalink") or None),
        }

    def _import_batch(
        self, rows: list[tuple[CsvRow, dict[str, object]]], summary: ImportSummary, *, by: str, now: datetime
    ) -> None:
        with self.sessions.begin() as session:
            customers = set(session.scalars(
                select(Customer.id).where(Customer.id.in_({str(v["customer_id"]) for _, v in rows}))
            ))
            owners = {str(v["owner"]) for _, v in rows}
            staff = set(session.scalars(select(Staff.handle).where(Staff.handle.in_(owners))))
            ids = [str(v["id"]) for _, v in rows]
            existing = {p.id: p for p in session.scalars(select(Promise).where(Promise.id.in_(ids)))}
            for item, values in rows:
                if values["customer_id"] not in customers:
                    summary.problems.append(RowProblem(
                        item.line, f"customer {values['customer_id']!r} is unknown; import customers first"
                    ))
                    continue
                if values["owner"] not in staff:
                    summary.problems.append(RowProblem(
                        item.line, f"owner {values['owner']!r} is not in staff; import staff first"
                    ))
                    continue
                row = existing.get(str(values["id"]))
                if row is None:
                    promise = Promise(**values, created_at=now, created_by=by,
                                      closed_by=by if values["status"] != "open" else None)
                    promise.events.append(PromiseEvent(kind="created", at=now, by=by, why="imported"))
                    if values["status"] != "open":
                        promise.events.append(PromiseEvent(
                            kind="cancelled" if values["status"] == "cancelled" else "closed",
                            at=now, by=by, why="imported", new_value=str(values["status"]),
                        ))
                    session.add(promise)
                    summary.added += 1
                    continue
                if _apply_import(row, values, by=by, now=now):
                    summary.updated += 1
                else:
                    summary.unchanged += 1


def _apply_import(row: Promise, values: dict[str, object], *, by: str, now: datetime) -> bool:
    changed = False
    if values["due_at"] != row.due_at:
        row.events.append(PromiseEvent(kind="rescheduled", at=now, by=by, why="imported",
                                       old_value=row.due_at.isoformat(), new_value=str(values["due_at"])))
        changed = True
    if values["owner"] != row.owner:
        row.events.append(PromiseEvent(kind="reassigned", at=now, by=by, why="imported",
                                       old_value=row.owner, new_value=str(values["owner"])))
        changed = True
    if values["status"] != row.status:
        row.events.append(PromiseEvent(kind="cancelled" if values["status"] == "cancelled" else "closed",
                                       at=now, by=by, why="imported", old_value=row.status,
                                       new_value=str(values["status"])))
        row.closed_by = by if values["status"] != "open" else None
        changed = True
    for name in ("customer_id", "text", "owner", "due_at", "due_tz", "status", "closed_at", "permalink"):
        if getattr(row, name) != values[name]:
            setattr(row, name, values[name])
            changed = True
    return changed


def _stable_id(row: CsvRow) -> str:
    # Without an id, the same row imported twice must map to the same promise.
    digest = uuid.uuid5(uuid.NAMESPACE_URL, "|".join(row.get(f) for f in ("customer_id", "text", "owner", "due")))
    return "P-" + digest.hex[:10]


def _filtered(
    *, owners: Sequence[str] | None, customer: str | None, status: str | None,
    due_before: datetime | None, due_after: datetime | None,
) -> Select[tuple[Promise]]:
    conditions = []
    if owners is not None:
        conditions.append(Promise.owner.in_(list(owners)))
    if customer:
        conditions.append(Promise.customer_id == customer)
    if status:
        conditions.append(Promise.status == status)
    if due_before is not None:
        conditions.append(Promise.due_at < due_before)
    if due_after is not None:
        conditions.append(Promise.due_at >= due_after)
    return select(Promise).where(and_(True, *conditions))


def _checked_text(text: str) -> str:
    text = " ".join((text or "").split())
    if not text:
        raise InputError(
            "text", "what was promised is empty; say what will be done, e.g. 'Call back with the refund date'"
        )
    if len(text) > MAX_TEXT:
        raise InputError("text", f"is {len(text)} characters; keep it under {MAX_TEXT} (link the thread for detail)")
    return text


def _checked_permalink(permalink: str | None) -> str | None:
    if not permalink:
        return None
    permalink = permalink.strip()
    if not _PERMALINK.fullmatch(permalink) or len(permalink) > 500:
        raise InputError("permalink", "expected the https:// link of the Slack message where the promise was made")
    return permalink


def _known_customer(session: Session, customer: str) -> str:
    customer = customer.strip()
    if not customer:
        raise InputError("customer", "empty; give the customer's name or id")
    row = session.get(Customer, customer) or session.get(Customer, customer.upper())
    if row is None:
        raise InputError("customer", f"no customer with id {customer!r}; check the id or import customers first")
    return row.id


def _known_staff(session: Session, handle: str, *, field: str) -> str:
    handle = handle.strip().lstrip("@").lower()
    if not handle:
        raise InputError(field, "empty; give the staff handle of who keeps the promise")
    row = session.get(Staff, handle) or session.scalar(select(Staff).where(Staff.slack_user_id == handle.upper()))
    if row is None:
        raise InputError(field, f"{handle!r} is not in staff; check the handle or import staff first")
    return row.handle


def _promise(session: Session, promise_id: str) -> Promise:
    row = session.get(Promise, promise_id.strip())
    if row is None:
        raise NotFound(f"no promise {promise_id!r}; `advocate promises list` shows the open ones")
    return row


def _must_be_open(row: Promise) -> None:
    if row.status != "open":
        when = f" on {row.closed_at:%Y-%m-%d}" if row.closed_at else ""
        raise InputError("promise", f"{row.id} is already {row.status}{when}; only open promises change")
