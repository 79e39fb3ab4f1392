"""Forgetting a customer (`advocate forget-customer ID`): a customer's right to be forgotten.

Removes the customer's records (the customer row, their promises with their history, thank-yous),
their chunks from the knowledge base (the vector store, the lexical index and the record manager: any
chunk whose `customer_id` is theirs — feedback rows, Slack feedback, transcripts), and masks them in
the decision logs (their id, name and quoted verbatims become "[forgotten customer]"). Their id goes
on the forgotten list (as a hash), which ingestion and the customer import consult: re-ingesting the
same feedback export does not bring them back.

Order, so that an interruption loses nothing and a second run finishes the job: the customer's chunks
are read first (their verbatims are what gets masked); then one records transaction adds them to the
forgotten list, deletes their rows, masks the logs, deletes the Slack events waiting in the inbox that
name or quote them (records/forgotten.py says why those are deleted, not masked) and drops their
record-manager rows; then their chunks leave the vector store and the lexical index; last, the files are
rewritten so that no byte of theirs stays on disk (Chroma's write-ahead log and freed pages, the unused
slots of its vector index files, the keyword index's old segments, the records database's freed pages
and `-wal` file, PostgreSQL's dead row versions: `clear_traces`). Run the same command again after any
failure: for someone already forgotten it clears the files again.
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from langchain_classic.indexes import SQLRecordManager
from sqlalchemy import text

from knowledge.chroma import clear_freed_space as clear_chroma_freed_space
from knowledge.vector_store import Hit, KnowledgeStore
from records.customers import CustomerView
from records.database import Records
from records.forgotten import (
    FORGET_TABLES,
    FORGOTTEN_MASK,
    CustomerMasker,
    ForgottenCustomers,
    RecordsForgotten,
    forget_in_records,
)
from records.forgotten import clear_freed_space as clear_records_freed_space

log = logging.getLogger(__name__)

SHOWN = 10  # sources, links and mentions listed in the report before "… and N more"


class UnknownCustomer(LookupError):
    """No customer with that id in the records, the knowledge base or the forgotten list."""


@dataclass
class ForgetPlan:
    """What forgetting one customer will remove and mask (nothing changed yet)."""

    customer_id: str
    name: str
    # Their chunks in the knowledge base (by customer_id metadata).
    chunks: list[Hit]
    # The records part, counted without changing anything.
    records: RecordsForgotten
    # Sources of other chunks that mention their id or name in the text (reported, not removed).
    mentions: list[str]
    already_forgotten: bool

    @property
    def nothing_left(self) -> bool:
        r = self.records
        return not (self.chunks or r.customers or r.promises or r.thanks or r.masked or r.inbox_events)

    @property
    def sources(self) -> dict[str, int]:
        """Where their chunks came from (file paths, or slack:CHANNEL:TS), with chunk counts."""
        return dict(sorted(Counter(str(h.metadata.get("source", "")) for h in self.chunks).items()))


@dataclass
class ForgetReport:
    plan: ForgetPlan
    records: RecordsForgotten
    vector_store: int = 0
    lexical_index: int = 0
    record_manager: int = 0
    # Chunks of theirs still found after the deletes (0 unless something failed).
    remaining: int = 0
    # Whether the files were rewritten so that nothing deleted stays on disk (Chroma's log, freed pages).
    cleared: bool = False
    # What the operator must still do for that (a Chroma server's vacuum, a table left to its owner).
    notes: list[str] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {
            "customer_id": self.plan.customer_id,
            "records": self.records.as_json(),
            "knowledge": {
                "vector_store": self.vector_store, "lexical_index": self.lexical_index,
                "record_manager": self.record_manager, "remaining": self.remaining,
                "sources": self.plan.sources,
            },
            "mentions_elsewhere": self.plan.mentions,
            "freed_space": {"cleared": self.cleared, "to_do": list(self.notes)},
        }


class CustomerForgetter:
    def __init__(self, *, records: Records, store: KnowledgeStore, record_manager: SQLRecordManager) -> None:
        # The records database (customers, promises, thanks, decision logs, the forgotten list).
        self.records = records
        # The knowledge store: the Chroma collection and its lexical index.
        self.store = store
        # LangChain's record manager: what ingestion believes is stored, by chunk id.
        self.record_manager = record_manager

    @property
    def forgotten(self) -> ForgottenCustomers:
        return self.records.forgotten

    # -- looking ------------------------------------------------------------------------------------
    def plan(self, customer_id: str) -> ForgetPlan:
        customer_id = customer_id.strip()
        customer = self.records.customers.get(customer_id) or self.records.customers.get(customer_id.upper())
        stored_id = customer.id if customer else customer_id
        chunks = self.chunks_of(stored_id)
        already = self.forgotten.contains(stored_id)
        if customer is None and not chunks and not already:
            raise UnknownCustomer(self._unknown_message(customer_id))
        masker = self.masker(stored_id, customer, chunks)
        with self.records.session() as session:
            counted = forget_in_records(session, customer_id=stored_id, masker=masker, apply=False)
        return ForgetPlan(
            customer_id=stored_id, name=customer.name if customer else "", chunks=chunks, records=counted,
            mentions=self._mentions(stored_id, customer, {h.id for h in chunks}), already_forgotten=already,
        )

    def chunks_of(self, customer_id: str) -> list[Hit]:
        variants = list(dict.fromkeys([customer_id, customer_id.upper(), customer_id.lower()]))
        return self.store.by_metadata({"customer_id": {"$in": variants}})

    @staticmethod
    def masker(customer_id: str, customer: CustomerView | None, chunks: list[Hit]) -> CustomerMasker:
        return CustomerMasker(
            customer_id=customer_id, name=customer.name if customer else "", verbatims=[h.text for h in chunks]
        )

    def _mentions(self, customer_id: str, customer: CustomerView | None, own: set[str]) -> list[str]:
        found: set[str] = set()
        for needle in [customer_id, *([customer.name] if customer else [])]:
            result = self.store.collection.get(where_document={"$contains": needle}, include=["metadatas"])
            for chunk_id, meta in zip(result["ids"], result["metadatas"], strict=False):
                if chunk_id not in own:
                    meta = meta or {}
                    found.add(str(meta.get("source_name") or meta.get("source") or chunk_id))
        return sorted(found)

    def _unknown_message(self, customer_id: str) -> str:
        hint = "check the id (`advocate customer NAME` finds it)"
        candidates = self.records.customers.find(customer_id)
        if len(candidates) == 1:
            hint = f"did you mean {candidates[0].id}? forget-customer takes the id"
        elif candidates:
            hint = f"{len(candidates)} customers' names match; forget-customer takes the id"
        return f"no customer {customer_id!r} in the records or the knowledge base; {hint}"

    # -- forgetting ---------------------------------------------------------------------------------
    def forget(self, plan: ForgetPlan, *, now: datetime | None = None, clear_freed_space: bool = True) -> ForgetReport:
        """Forget them; with `clear_freed_space` (the default) also rewrite the files so that no byte of
        theirs stays on disk (see `clear_traces`)."""
        customer = self.records.customers.get(plan.customer_id)
        chunks = plan.chunks
        masker = self.masker(plan.customer_id, customer, chunks)
        ids = [h.id for h in chunks]
        with self.records.session() as session:
            self.forgotten.add(session, plan.customer_id, now=now)
            done = forget_in_records(session, customer_id=plan.customer_id, masker=masker, apply=True)
            record_manager = self._drop_record_manager_rows(session, ids)
        report = ForgetReport(plan=plan, records=done, record_manager=record_manager)
        report.lexical_index = self._lexical_count(ids)
        self.store.delete(ids)
        report.vector_store = len(ids)
        report.remaining = len(self.chunks_of(plan.customer_id))
        if clear_freed_space and not report.remaining:
            report.notes = self.clear_traces()
            report.cleared = True
        # Counts only: the log must not name whom it forgot.
        log.info("customer forgotten: %d records rows removed, %d chunks removed, %d log rows masked, %d left",
                 done.customers + done.promises + done.promise_events + done.thanks, len(ids),
                 sum(done.masked.values()), report.remaining)
        return report

    def clear_traces(self) -> list[str]:
        """Leave no bytes of deleted rows in the files: Chroma's write-ahead log and freed pages, its vector
        index files' unused slots (process memory), the keyword index's old segments, the records database's
        freed pages, `-wal` file or dead row versions.
        Returns what the operator must still do (a Chroma server's files are out of reach here).

        Safe to repeat; `forget-customer` on someone already forgotten runs it again, which is how an
        interrupted run finishes."""
        self.store.purge_log()
        notes = clear_chroma_freed_space(self.store.client)
        self.store.lexical.compact()
        tables = (*FORGET_TABLES, "upsertion_record", self.store.lexical.table)
        notes += clear_records_freed_space(self.records.engine, tables=tables)
        return notes

    def _drop_record_manager_rows(self, session: Any, ids: list[str]) -> int:
        dropped = 0
        for start in range(0, len(ids), 500):
            part = ids[start : start + 500]
            marks = ", ".join(f":k{n}" for n in range(len(part)))
            params: dict[str, str] = {f"k{n}": key for n, key in enumerate(part)}
            params["ns"] = self.record_manager.namespace
            result = session.execute(
                text(f"DELETE FROM upsertion_record WHERE namespace = :ns AND key IN ({marks})"), params
            )
            dropped += int(result.rowcount or 0)
        return dropped

    def _lexical_count(self, ids: list[str]) -> int:
        lexical = self.store.lexical
        table = lexical.table
        found = 0
        with lexical.engine.connect() as connection:
            for start in range(0, len(ids), 500):
                part = ids[start : start + 500]
                marks = ", ".join(f":i{n}" for n in range(len(part)))
                params: dict[str, str] = {f"i{n}": value for n, value in enumerate(part)}
                params["collection"] = lexical.collection
                found += int(connection.execute(
                    text(f"SELECT count(*) FROM {table} WHERE collection = :collection AND chunk_id IN ({marks})"),
                    params,
                ).scalar() or 0)
        return found


# -- what the plan and the report say ----------------------------------------------------------------------
def _plural(count: int, one: str, many: str | None = None) -> str:
    return f"{count} {one if count == 1 else (many or one + 's')}"


def _listed(items: list[str]) -> list[str]:
    lines = [f"    {item}" for item in items[:SHOWN]]
    if len(items) > SHOWN:
        lines.append(f"    … and {len(items) - SHOWN} more")
    return lines


def _records_line(r: RecordsForgotten, verb: str) -> str:
    return (f"  records: {verb} {_plural(r.customers, 'customer')}, {_plural(r.promises, 'promise')} "
            f"({_plural(r.promise_events, 'event')}), {_plural(r.thanks, 'thank-you', 'thank-yous')}")


def _masked_line(r: RecordsForgotten, verb: str) -> str:
    if not r.masked:
        return "  decision logs: no mention of them"
    names = {"decisions": "decision", "concerns": "concern", "brief_feedback": "feedback comment",
             "slack_briefs": "delivered brief", "digest_deliveries": "digest delivery"}
    parts = [_plural(n, names.get(t, t), "digest deliveries" if t == "digest_deliveries" else None)
             for t, n in r.masked.items()]
    return f"  decision logs: {verb} in " + ", ".join(parts) + f" (as {FORGOTTEN_MASK})"


def _inbox_line(r: RecordsForgotten, verb: str) -> list[str]:
    if not r.inbox_events:
        return []
    return [f"  Slack events waiting to be answered: {verb} {_plural(r.inbox_events, 'event')} that named or "
            "quoted them (their askers get no answer if the app restarts before answering)"]


def plan_text(plan: ForgetPlan) -> str:
    who = f"{plan.customer_id} ({plan.name})" if plan.name else plan.customer_id
    kinds = Counter(str(h.metadata.get("kind", "")) for h in plan.chunks)
    knowledge = ", ".join(f"{_plural(n, k + ' chunk')}" for k, n in sorted(kinds.items())) or "no chunks"
    lines = [
        f"forget customer {who}:",
        _records_line(plan.records, "remove"),
        f"  knowledge: remove {knowledge} from {_plural(len(plan.sources), 'source')}",
        _masked_line(plan.records, "mask them"),
        *_inbox_line(plan.records, "drop"),
    ]
    return "\n".join(lines)


def report_text(report: ForgetReport) -> str:
    plan, r = report.plan, report.records
    lines = [
        f"forgot customer {plan.customer_id}:",
        _records_line(r, "removed"),
        f"  knowledge: removed {_plural(report.vector_store, 'chunk')} from the vector store, "
        f"{report.lexical_index} from the lexical index, {report.record_manager} from the record manager",
        _masked_line(r, "masked them"),
        *_inbox_line(r, "dropped"),
    ]
    if report.remaining:
        lines.append(f"  WARNING: {_plural(report.remaining, 'chunk')} of theirs still found; run the command again")
    lines.extend(freed_space_lines(report.notes) if report.cleared else [])
    if r.posted_briefs:
        lines.append("  briefs already posted in Slack named or quoted them; edit or delete these in Slack:")
        lines.extend(_listed(r.posted_briefs))
    files = [s for s in plan.sources if not s.startswith("slack:")]
    if files:
        lines.append("  their rows are still in these source files (ingesting them again skips their rows; "
                     "remove the rows there too):")
        lines.extend(_listed(files))
    if plan.mentions:
        lines.append("  other chunks mention their id or name (not removed: edit these sources and ingest again):")
        lines.extend(_listed(plan.mentions))
    return "\n".join(lines)


def freed_space_lines(notes: list[str]) -> list[str]:
    """What clearing the files did, and what is left for the operator."""
    if not notes:
        return ["  freed space: cleared (Chroma's log, database and vector index files, the keyword index, the records "
                "database)"]
    return ["  freed space: cleared here, except (until then their words stay on disk):",
            *(f"    {note}" for note in notes)]
