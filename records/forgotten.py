"""Forgetting a customer in the records: the "forgotten customers" list, deleting their rows, masking logs.

The list keeps no names and no ids: only a SHA-256 of each forgotten id (case-folded), enough for
ingestion and the customer import to recognise the id and skip it, so that re-ingesting an old
feedback export or re-importing the CRM list does not bring the customer back. (Customer ids are
short; the hash keeps the list from naming anyone at a glance, it is not encryption.)

Decision logs (decisions, concerns, brief feedback comments, delivered briefs, digest deliveries) are
not deleted — they are other people's work — but every mention of the customer is masked: their id,
their name, and any run of their verbatims' words quoted there.

Slack events waiting in the inbox (`slack_inbox`, bot/inbox.py) that mention them are deleted, not masked.
A row there lives for the seconds its answer takes, or until the next start takes it up after a crash; it
is the raw delivery, and what the app does with it is not known here. A message in a feedback channel
that names the customer is dropped at ingestion because its id is on the forgotten list: masked, it would
lose that id and be stored with their words. Deleting costs at most one answer: a process still working
on the event finishes it from memory (its own delete then finds nothing), and after a crash the event is
not taken up again.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, delete, func, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, load_only

from records.clock import now_utc
from records.models import (
    AcceptedSlackEvent,
    BriefFeedback,
    Concern,
    Customer,
    Decision,
    DigestDelivery,
    ForgottenCustomer,
    Promise,
    PromiseEvent,
    SlackBrief,
    Thanks,
)

FORGOTTEN_MASK = "[forgotten customer]"
# Runs of this many words shared with one of the customer's verbatims are theirs, wherever quoted.
MIN_QUOTED_WORDS = 5


def forgotten_hash(customer_id: str) -> str:
    """The form a forgotten id is kept in: SHA-256 of the case-folded, trimmed id."""
    return hashlib.sha256(("advocate-forgotten:" + customer_id.strip().casefold()).encode("utf-8")).hexdigest()


class ForgottenCustomers:
    """The persistent list of customers who asked to be forgotten (hashed ids only)."""

    def __init__(self, *, engine: Engine) -> None:
        # The records database (SQLite or PostgreSQL, migrated) the list lives in.
        self.engine = engine

    def hashes(self) -> frozenset[str]:
        """Every forgotten id's hash: read once per ingest, then checked per row."""
        with self.engine.connect() as connection:
            return frozenset(connection.scalars(select(ForgottenCustomer.id_hash)))

    def contains(self, customer_id: str) -> bool:
        with self.engine.connect() as connection:
            found = connection.scalar(
                select(ForgottenCustomer.id_hash).where(ForgottenCustomer.id_hash == forgotten_hash(customer_id))
            )
            return found is not None

    def count(self) -> int:
        with self.engine.connect() as connection:
            return int(connection.scalar(select(func.count()).select_from(ForgottenCustomer)) or 0)

    def add(self, session: Session, customer_id: str, *, now: datetime | None = None) -> bool:
        """Add the id inside the caller's transaction; False if it was already on the list."""
        key = forgotten_hash(customer_id)
        exists = session.execute(select(ForgottenCustomer.id_hash).where(ForgottenCustomer.id_hash == key)).first()
        if exists:
            return False
        session.add(ForgottenCustomer(id_hash=key, forgotten_at=now or now_utc()))
        return True


# -- masking -------------------------------------------------------------------------------------------
_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)*")
_QUOTES = "\"'“”‘’«»„"


def _words(text: str) -> list[tuple[str, int, int]]:
    """(normalised word, start, end) for each word in text."""
    return [(m.group(0).casefold().replace("’", "'"), m.start(), m.end()) for m in _WORD.finditer(text)]


class CustomerMasker:
    """Replaces a customer's id, name and quoted verbatims with FORGOTTEN_MASK in text and JSON values."""

    def __init__(self, *, customer_id: str, name: str = "", verbatims: Iterable[str] = ()) -> None:
        # The customer's id (matched as a whole token, any case).
        self.customer_id = customer_id
        # Their name as on record ("" if they were never in the customer list).
        self.name = " ".join(name.split())
        patterns = [re.escape(customer_id.strip())]
        if self.name:
            patterns.append(r"\s+".join(re.escape(part) for part in self.name.split()))
        self._direct = re.compile(r"(?<![\w])(?:" + "|".join(patterns) + r")(?![\w])", re.IGNORECASE)
        parts = self.name.split()
        # A first name alone is theirs only where the full name or the id was found (a thank-you greeting).
        self._given = re.compile(r"(?<![\w])" + re.escape(parts[0]) + r"(?![\w])") if len(parts) > 1 else None
        self._grams: set[tuple[str, ...]] = set()
        self._short: list[tuple[str, ...]] = []
        for verbatim in verbatims:
            words = tuple(w for w, _, _ in _words(verbatim))
            if len(words) >= MIN_QUOTED_WORDS:
                self._grams.update(words[i : i + MIN_QUOTED_WORDS] for i in range(len(words) - MIN_QUOTED_WORDS + 1))
            elif words:
                self._short.append(words)

    def text(self, value: str) -> str:
        masked, hits = self._direct.subn(FORGOTTEN_MASK, value)
        if hits and self._given is not None:
            masked = self._given.sub(FORGOTTEN_MASK, masked)
        return self._mask_quotes(masked)

    def json(self, value: Any) -> Any:
        """The same JSON value with every string in it masked (keys are left alone)."""
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, list):
            return [self.json(v) for v in value]
        if isinstance(value, dict):
            return {k: self.json(v) for k, v in value.items()}
        return value

    def _mask_quotes(self, text: str) -> str:
        if not self._grams and not self._short:
            return text
        words = _words(text)
        marked = self._quoted_words(text, words)
        return _masked_runs(text, words, marked) if any(marked) else text

    def _quoted_words(self, text: str, words: list[tuple[str, int, int]]) -> list[bool]:
        """For each word of `text`: is it part of a run quoted from one of the customer's verbatims?"""
        tokens = [w for w, _, _ in words]
        marked = [False] * len(words)
        n = MIN_QUOTED_WORDS
        for i in range(len(words) - n + 1):
            if tuple(tokens[i : i + n]) in self._grams:
                marked[i : i + n] = [True] * n
        # Verbatims too short to be recognised by their words alone count only when quoted whole.
        for short in self._short:
            size = len(short)
            for i in range(len(words) - size + 1):
                if tuple(tokens[i : i + size]) == short and _quoted(text, words[i][1], words[i + size - 1][2]):
                    marked[i : i + size] = [True] * size
        return marked


def _masked_runs(text: str, words: list[tuple[str, int, int]], marked: list[bool]) -> str:
    """`text` with each run of marked words (and the quote's own trailing ellipsis or punctuation) masked."""
    pieces: list[str] = []
    last = 0
    i = 0
    while i < len(words):
        if not marked[i]:
            i += 1
            continue
        start = words[i][1]
        while i + 1 < len(words) and marked[i + 1]:
            i += 1
        end, i = _quote_end(text, words, i)
        pieces.append(text[last:start])
        pieces.append(FORGOTTEN_MASK)
        last = end
        i += 1
    pieces.append(text[last:])
    return "".join(pieces)


def _quote_end(text: str, words: list[tuple[str, int, int]], i: int) -> tuple[int, int]:
    """Where a quoted run ending at word `i` ends in `text`, and its last word."""
    end = words[i][2]
    # A quote cut short ends in a part-word and an ellipsis; both go with the words.
    if i + 1 < len(words) and not text[end : words[i + 1][1]].strip():
        after = words[i + 1][2]
        if text.startswith(("…", "..."), after):
            end, i = after, i + 1
    for ellipsis in ("…", "..."):
        if text.startswith(ellipsis, end):
            end += len(ellipsis)
            break
    # The verbatim's own closing punctuation, inside the quotation marks.
    if text[end : end + 1] in (".", "!", "?") and text[end + 1 : end + 2] in _QUOTES:
        end += 1
    return end, i


def _quoted(text: str, start: int, end: int) -> bool:
    before = text[:start].rstrip()[-1:]
    after = text[end:].lstrip(".,!?;: ")[:1]
    return bool(before) and before in _QUOTES and bool(after) and after in _QUOTES


# -- deleting and masking in one transaction ---------------------------------------------------------
@dataclass
class RecordsForgotten:
    """What forgetting did (or would do) in the records database."""

    customers: int = 0
    promises: int = 0
    promise_events: int = 0
    thanks: int = 0
    # Rows whose text mentioned the customer and was masked, per table.
    masked: dict[str, int] = field(default_factory=dict)
    # Slack permalinks (or channel/ts) of briefs already posted that quoted or named them.
    posted_briefs: list[str] = field(default_factory=list)
    # Slack events waiting in the inbox whose body named or quoted them (deleted).
    inbox_events: int = 0

    def as_json(self) -> dict[str, Any]:
        return {
            "customers": self.customers, "promises": self.promises, "promise_events": self.promise_events,
            "thanks": self.thanks, "masked": dict(self.masked), "posted_briefs": list(self.posted_briefs),
            "inbox_events": self.inbox_events,
        }


def _customer_ids(session: Session, customer_id: str) -> list[str]:
    """The id as stored (exact first, then upper case, as `thanks mark` resolves it)."""
    for candidate in dict.fromkeys([customer_id.strip(), customer_id.strip().upper()]):
        if session.get(Customer, candidate) is not None:
            return [candidate]
    return []


# The decision logs' columns that may mention a customer: text, and JSON with text inside.
_LOG_TEXT: dict[type, tuple[str, ...]] = {
    Decision: ("question",), Concern: ("text",), BriefFeedback: ("comment",), SlackBrief: ("question",),
    DigestDelivery: ("last_error",),
}
_LOG_JSON: dict[type, tuple[str, ...]] = {Decision: ("lenses",), SlackBrief: ("view",), DigestDelivery: ("payload",)}
# Where a delivered brief is in Slack, to list the posted ones that named the customer.
_BRIEF_PLACE = ("permalink", "channel", "message_ts")


def forget_in_records(session: Session, *, customer_id: str, masker: CustomerMasker, apply: bool) -> RecordsForgotten:
    """Delete the customer's rows and mask their mentions, inside the caller's transaction.

    With `apply=False` nothing is changed: the counts say what would be.
    """
    done = RecordsForgotten()
    stored = _customer_ids(session, customer_id)
    if stored:
        _forget_rows(session, stored, done, apply=apply)
    for model, columns in _LOG_TEXT.items():
        json_columns = _LOG_JSON.get(model, ())
        extra = _BRIEF_PLACE if model is SlackBrief else ()
        # Only the columns read: digest deliveries carry chart images.
        wanted = load_only(*(getattr(model, c) for c in (*columns, *json_columns, *extra)))
        changed = 0
        for row in session.scalars(select(model).options(wanted)):
            if _mask_row(row, masker, text_columns=columns, json_columns=json_columns, apply=apply):
                changed += 1
                if model is SlackBrief:
                    done.posted_briefs.append(row.permalink or f"channel {row.channel}, message {row.message_ts}")
        if changed:
            done.masked[model.__tablename__] = changed
    done.inbox_events = _forget_inbox_events(session, masker, apply=apply)
    if apply:
        session.flush()
    return done


def _forget_inbox_events(session: Session, masker: CustomerMasker, *, apply: bool) -> int:
    """Count (and with `apply` delete) the inbox's Slack events whose body names or quotes the customer."""
    theirs: list[str] = []
    for event_id, body in session.execute(select(AcceptedSlackEvent.event_id, AcceptedSlackEvent.body)):
        if _mentions(body, masker):
            theirs.append(event_id)
    if apply:
        for start in range(0, len(theirs), 500):
            part = theirs[start : start + 500]
            session.execute(delete(AcceptedSlackEvent).where(AcceptedSlackEvent.event_id.in_(part)))
    return len(theirs)


def _mentions(body: str, masker: CustomerMasker) -> bool:
    """Whether a delivery's body names or quotes the customer. Read as JSON, since Slack's escapes (`\\u00e9`,
    `\\/`) can hide a name in the raw text; a body that is not JSON is read as it is."""
    try:
        value = json.loads(body)
    except ValueError:
        return masker.text(body) != body
    return masker.json(value) != value


def _forget_rows(session: Session, stored: list[str], done: RecordsForgotten, *, apply: bool) -> None:
    """Count (and with `apply` delete) the customer's own rows: them, their promises with history, thank-yous."""
    promise_ids = list(session.scalars(select(Promise.id).where(Promise.customer_id.in_(stored))))
    done.customers = len(stored)
    done.promises = len(promise_ids)
    done.promise_events = _count(session, PromiseEvent, PromiseEvent.promise_id.in_(promise_ids))
    done.thanks = _count(session, Thanks, Thanks.customer_id.in_(stored))
    if not apply:
        return
    # Explicit deletes: SQLite enforces no ON DELETE CASCADE without a pragma.
    for start in range(0, len(promise_ids), 500):
        part = promise_ids[start : start + 500]
        session.execute(delete(PromiseEvent).where(PromiseEvent.promise_id.in_(part)))
        session.execute(delete(Promise).where(Promise.id.in_(part)))
    session.execute(delete(Thanks).where(Thanks.customer_id.in_(stored)))
    session.execute(delete(Customer).where(Customer.id.in_(stored)))


def _mask_row(
    row: Any, masker: CustomerMasker, *, text_columns: Sequence[str], json_columns: Sequence[str], apply: bool
) -> bool:
    """Whether the row mentions the customer; with `apply` those mentions are masked in it."""
    mentions = False
    for column in (*text_columns, *json_columns):
        value = getattr(row, column)
        if column in text_columns:
            masked = masker.text(value) if isinstance(value, str) else value
        else:
            masked = masker.json(value) if value is not None else value
        if masked != value:
            mentions = True
            if apply:
                setattr(row, column, masked)
    return mentions


def _count(session: Session, model: type, condition: Any) -> int:
    return int(session.scalar(select(func.count()).select_from(model).where(condition)) or 0)


# -- leaving no bytes behind -------------------------------------------------------------------------------
# The tables `forget_in_records` deletes from or rewrites.
FORGET_TABLES: tuple[str, ...] = tuple(
    model.__tablename__ for model in (Customer, Promise, PromiseEvent, Thanks, *_LOG_TEXT, AcceptedSlackEvent)
)
# How long PostgreSQL's VACUUM FULL waits for its lock before leaving the table for the operator. While
# it waits, every write to the table queues behind it, and `slack_inbox` is written before each Slack
# acknowledgement, which Slack wants within 3 s: at 15 s an inbox write waited 14.7 s behind a long read
# (`python -m bench.vacuum_stall`). Held, the lock costs milliseconds.
VACUUM_LOCK_TIMEOUT = "1s"


def clear_freed_space(engine: Engine, *, tables: Sequence[str]) -> list[str]:
    """Rewrite the records database so that deleted and rewritten rows leave no bytes on disk; returns what
    the operator must still do (nothing when all went well).

    SQLite marks a deleted row's space free without overwriting it, and its write-ahead log (`-wal`) keeps
    earlier page images until a checkpoint: VACUUM rebuilds the file from live rows, then a TRUNCATE
    checkpoint empties the log. PostgreSQL keeps dead row versions in the table, its TOAST and its
    indexes until they are reused: VACUUM FULL rewrites `tables` (a short exclusive lock on each).
    """
    if engine.dialect.name == "sqlite":
        return _vacuum_sqlite(engine)
    if engine.dialect.name == "postgresql":
        return _vacuum_postgresql(engine, tables)
    return [f"the {engine.dialect.name} records database keeps deleted rows until its own vacuum runs"]


def _vacuum_sqlite(engine: Engine) -> list[str]:
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.exec_driver_sql("VACUUM")
        busy = connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)").first()
    if busy is not None and busy[0]:
        return ["the records database's -wal file could not be emptied while another process reads it "
                "(a running `advocate serve`): run the same command again when it is stopped"]
    return []


def _vacuum_postgresql(engine: Engine, tables: Sequence[str]) -> list[str]:
    left: list[str] = []
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        owned = set(connection.scalars(text(
            "SELECT relname FROM pg_class WHERE relnamespace = current_schema()::regnamespace "
            "AND relkind = 'r' AND relname = ANY(:names) AND pg_has_role(current_user, relowner, 'USAGE')"
        ), {"names": list(tables)}))
        connection.exec_driver_sql(f"SET lock_timeout = '{VACUUM_LOCK_TIMEOUT}'")
        try:
            for table in tables:
                if table not in owned:
                    left.append(table)
                    continue
                try:
                    connection.exec_driver_sql(f'VACUUM (FULL) "{table}"')
                except DBAPIError:  # the lock was not granted in time: another transaction holds the table
                    left.append(table)
        finally:
            connection.exec_driver_sql("RESET lock_timeout")  # the connection goes back to the pool
    if left:
        return [f"PostgreSQL keeps dead row versions of theirs until `VACUUM (FULL)` runs on {', '.join(left)}: "
                "run it as the tables' owner when the app is quiet"]
    return []
