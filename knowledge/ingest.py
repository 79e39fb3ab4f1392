"""Ingestion: files → chunks with metadata → the knowledge store, incrementally.

LangChain's indexing API with a SQL record manager decides what is new, changed or unchanged: each
file is one source group, indexed with `scoped_full` cleanup so a changed file's old chunks go once
its new ones are in. Whole files are gathered into one `index()` call until it holds BATCH_CHUNKS
chunks: the model then gets large batches it can sort by length (many small files one at a time
padded short passages to long ones). Writes go to the vector store first and the record manager
after, so an interrupted run leaves nothing half-recorded: re-running finishes the job.
"""

from __future__ import annotations

import hashlib
import json
import os
import zlib
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from langchain_classic.indexes import SQLRecordManager
from langchain_core.documents import Document
from langchain_core.indexing import index
from sqlalchemy import Engine, text

from knowledge.chunking import chunk_blocks
from knowledge.documents import DOCUMENT_SUFFIXES, UnreadableInput, load_document
from knowledge.feedback_rows import FEEDBACK_SUFFIXES, FeedbackRow, RowProblem, read_feedback
from knowledge.kinds import KINDS, VISIBILITIES, infer_kind
from knowledge.vector_store import KnowledgeStore
from records.forgotten import ForgottenCustomers, forgotten_hash

SUPPORTED_SUFFIXES = DOCUMENT_SUFFIXES + FEEDBACK_SUFFIXES
# Key of the PostgreSQL advisory lock held while LangChain creates the record manager's table.
_PG_SCHEMA_LOCK_KEY = zlib.crc32(b"advocate-knowledge-schema")
BATCH_CHUNKS = 512  # chunks gathered (whole files) per index() call, and per embedding batch


def chunk_key(document: Document) -> str:
    """A chunk's id: LangChain's "sha256" key (content hash + metadata hash), computed here so the
    ingestor can tell per file what is new before indexing many files in one call."""
    content = hashlib.sha256(document.page_content.encode("utf-8")).hexdigest()
    metadata = hashlib.sha256(json.dumps(dict(document.metadata or {}), sort_keys=True).encode("utf-8")).hexdigest()
    return hashlib.sha256((content + metadata).encode("utf-8")).hexdigest()


@dataclass
class _PreparedFile:
    path: Path
    shown: str
    documents: list[Document]


@dataclass
class Rejection:
    path: str
    line: int | None
    reason: str

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else self.path
        return f"{where}: {self.reason}"


@dataclass
class IngestSummary:
    added: int = 0  # chunks of files seen for the first time
    updated: int = 0  # chunks written for files that changed
    skipped: int = 0  # chunks already stored unchanged
    deleted: int = 0  # chunks removed: replaced parts of changed files, and pruned files
    forgotten: int = 0  # rows and passages skipped: their customer asked to be forgotten
    rejections: list[Rejection] = field(default_factory=list)
    files: dict[str, str] = field(default_factory=dict)  # path → new / updated / unchanged / pruned

    @property
    def rejected(self) -> int:
        return len(self.rejections)

    def as_dict(self) -> dict[str, object]:
        return {
            "added": self.added,
            "updated": self.updated,
            "skipped": self.skipped,
            "deleted": self.deleted,
            "forgotten": self.forgotten,
            "rejected": self.rejected,
            "rejections": [str(r) for r in self.rejections],
            "files": self.files,
        }


@contextmanager
def schema_lock(engine: Engine) -> Iterator[None]:
    """One process at a time creates the record manager's table on PostgreSQL.

    Processes starting together on a fresh database would otherwise race: `CREATE TABLE IF NOT
    EXISTS` is not atomic there, and the loser fails on a duplicate type in the catalog. The lock is
    held by a transaction of its own, so what runs inside may use other connections. SQLite
    serialises schema changes itself.
    """
    if engine.dialect.name != "postgresql":
        yield
        return
    with engine.begin() as conn:
        conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_SCHEMA_LOCK_KEY})
        yield


def make_record_manager(*, engine: Engine, collection: str) -> SQLRecordManager:
    manager = SQLRecordManager(f"chroma/{collection}", engine=engine)
    with schema_lock(engine):  # processes starting together on PostgreSQL: one creates the table
        manager.create_schema()
    return manager


def display_path(path: Path) -> str:
    try:
        return os.path.relpath(path)
    except ValueError:
        return str(path)


def discover(paths: Iterable[Path]) -> list[Path]:
    """Files to ingest, in a stable order; folders are walked, hidden files and folders skipped."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            for root, dirs, files in os.walk(path):
                dirs[:] = sorted(d for d in dirs if not d.startswith((".", "__")))
                found.extend(Path(root) / f for f in sorted(files) if not f.startswith("."))
        else:
            found.append(path)
    return found


class Ingestor:
    def __init__(
        self, *, store: KnowledgeStore, record_manager: SQLRecordManager, forgotten: ForgottenCustomers
    ) -> None:
        # The knowledge store the chunks go to.
        self.store = store
        # LangChain's SQL record manager: what is stored, by content hash and source.
        self.record_manager = record_manager
        # Customers who asked to be forgotten: their rows are never indexed again.
        self.forgotten = forgotten

    def ingest(
        self,
        paths: list[Path],
        *,
        kind: str | None = None,
        visibility: str = "internal",
        mapping: dict[str, str] | None = None,
        prune: bool = False,
        on_file: Callable[[Path, int], None] | None = None,
    ) -> IngestSummary:
        """Ingest files and folders. `on_file(path, total)` is called as each file is done."""
        if kind is not None and kind not in KINDS:
            raise ValueError(f"unknown kind {kind!r}; use one of {', '.join(KINDS)}")
        if visibility not in VISIBILITIES:
            raise ValueError(f"unknown visibility {visibility!r}; use one of {', '.join(VISIBILITIES)}")
        summary = IngestSummary()
        existing = [p for p in paths if p.exists()]
        for missing in (p for p in paths if not p.exists()):
            if not prune:
                summary.rejections.append(Rejection(display_path(missing), None, "no such file or folder"))
        files = discover(existing)
        skip = self.forgotten.hashes()
        batch: list[_PreparedFile] = []
        waiting: list[Path] = []  # files read but not yet indexed, for the progress callback

        def flush() -> None:
            self._index_files(batch, summary)
            batch.clear()
            for done in waiting:
                if on_file:
                    on_file(done, len(files))
            waiting.clear()

        for path in files:
            prepared = self._prepare_file(path.resolve(), kind, visibility, mapping or {}, summary, skip)
            waiting.append(path)
            if prepared is not None:
                batch.append(prepared)
            if sum(len(f.documents) for f in batch) >= BATCH_CHUNKS:
                flush()
        flush()
        if prune:
            self._prune([p.resolve() for p in paths], summary)
        return summary

    # -- one file: read and chunk; many files: index together -------------------------------------
    def _prepare_file(
        self,
        path: Path,
        kind: str | None,
        visibility: str,
        mapping: dict[str, str],
        summary: IngestSummary,
        skip: frozenset[str] = frozenset(),
    ) -> _PreparedFile | None:
        shown = display_path(path)
        file_kind = kind or infer_kind(path)
        suffix = path.suffix.lower()
        if suffix not in SUPPORTED_SUFFIXES:
            summary.rejections.append(
                Rejection(
                    shown,
                    None,
                    f"unknown file type '{suffix or path.name}'; supported: {', '.join(SUPPORTED_SUFFIXES)}",
                )
            )
            return None
        if file_kind is None:
            file_kind = "feedback" if suffix in FEEDBACK_SUFFIXES else None
        if file_kind is None:
            summary.rejections.append(
                Rejection(
                    shown,
                    None,
                    f"cannot tell the kind: pass --kind ({', '.join(KINDS)}) or put it in a folder named after one",
                )
            )
            return None
        try:
            if suffix in FEEDBACK_SUFFIXES:
                documents = self._feedback_documents(path, visibility, mapping, summary)
            else:
                documents = self._passage_documents(path, file_kind, visibility)
        except UnreadableInput as exc:
            summary.rejections.append(Rejection(shown, exc.line, exc.reason))
            return None
        except OSError as exc:
            summary.rejections.append(Rejection(shown, None, f"cannot read the file ({exc.strerror})"))
            return None
        if skip and documents:
            documents, dropped = without_forgotten(documents, skip)
            summary.forgotten += dropped
            if dropped and not documents:
                # Everything in it was a forgotten customer's: nothing of the file may stay stored.
                summary.deleted += self.remove_source(str(path))
                summary.files[shown] = "forgotten"
                return None
        if not documents:
            summary.rejections.append(Rejection(shown, None, "nothing to ingest: no usable rows or text"))
            return None
        return _PreparedFile(path=path, shown=shown, documents=documents)

    def _index_files(self, files: list[_PreparedFile], summary: IngestSummary) -> None:
        """One `index()` call for whole files; what changed is worked out per file beforehand."""
        if not files:
            return
        for prepared in files:
            source = str(prepared.path)
            stored = set(self.record_manager.list_keys(group_ids=[source]))
            wanted = {chunk_key(d) for d in prepared.documents}
            written, deleted = len(wanted - stored), len(stored - wanted)
            if not stored:
                summary.added += written
                summary.files[prepared.shown] = "new"
            elif written or deleted:
                summary.updated += written
                summary.files[prepared.shown] = "updated"
            else:
                summary.files[prepared.shown] = "unchanged"
        result = index(
            [d for prepared in files for d in prepared.documents],
            self.record_manager,
            self.store,
            cleanup="scoped_full",
            source_id_key="source",
            key_encoder=chunk_key,
            batch_size=BATCH_CHUNKS,
        )
        summary.skipped += result["num_skipped"]
        summary.deleted += result["num_deleted"]

    def _feedback_documents(
        self, path: Path, visibility: str, mapping: dict[str, str], summary: IngestSummary
    ) -> list[Document]:
        shown = display_path(path)
        documents: list[Document] = []
        for item in read_feedback(path, mapping=mapping):
            if isinstance(item, RowProblem):
                summary.rejections.append(Rejection(shown, item.line, item.reason))
                continue
            documents.append(feedback_document(item, source=str(path), source_name=shown, visibility=visibility))
        return documents

    def _passage_documents(self, path: Path, kind: str, visibility: str) -> list[Document]:
        loaded = load_document(path, line_blocks=kind == "transcript")
        passages = chunk_blocks(loaded.blocks, joiner="\n" if kind == "transcript" else "\n\n")
        return [
            Document(
                page_content=p.text,
                metadata={
                    "kind": kind,
                    "source": str(path),
                    "source_name": display_path(path),
                    "title": loaded.title,
                    "heading": p.heading,
                    "date": loaded.date,
                    "customer_id": loaded.fields.get("customer_id", ""),
                    "channel": loaded.fields.get("channel", ""),
                    "visibility": visibility,
                    "position": p.position,
                },
            )
            for p in passages
        ]

    def unforgotten(self, documents: list[Document]) -> list[Document]:
        """The documents that are not a forgotten customer's (for sources indexed outside `ingest`)."""
        skip = self.forgotten.hashes()
        return without_forgotten(documents, skip)[0] if skip else documents

    # -- pruning -----------------------------------------------------------------------------------
    def source_groups(self) -> list[str]:
        with self.record_manager.engine.connect() as conn:  # type: ignore[union-attr]
            rows = conn.execute(
                text("SELECT DISTINCT group_id FROM upsertion_record WHERE namespace = :ns"),
                {"ns": self.record_manager.namespace},
            ).all()
        return sorted(r[0] for r in rows if r[0])

    def remove_source(self, source: str) -> int:
        """Remove every chunk of one source from the store and the record manager."""
        removed = 0
        while keys := self.record_manager.list_keys(group_ids=[source], limit=1000):
            self.store.delete(keys)
            self.record_manager.delete_keys(keys)
            removed += len(keys)
        return removed

    def _prune(self, roots: list[Path], summary: IngestSummary) -> None:
        for source in self.source_groups():
            if not source.startswith("/"):
                continue  # not a file (e.g. a Slack message)
            path = Path(source)
            inside = any(path == root or root in path.parents for root in roots)
            if inside and not path.exists():
                summary.deleted += self.remove_source(source)
                summary.files[display_path(path)] = "pruned"


def feedback_document(row: FeedbackRow, *, source: str, source_name: str, visibility: str) -> Document:
    metadata: dict[str, object] = {
        "kind": "feedback",
        "source": source,
        "source_name": source_name,
        "title": f"Feedback {row.id}".strip() if row.id else f"Feedback, line {row.line}",
        "heading": "",
        "date": row.date,
        "customer_id": row.customer_id,
        "channel": row.channel,
        "visibility": visibility,
        "record_id": row.id,
        # Without an id the line is the row's identity; with one, leave the line out so that inserting
        # rows above does not make every later row look changed.
        "line": 0 if row.id else row.line,
    }
    if row.score is not None:
        metadata["score"] = row.score
    return Document(page_content=row.verbatim, metadata=metadata)


def without_forgotten(documents: list[Document], skip: frozenset[str]) -> tuple[list[Document], int]:
    """(documents kept, how many were dropped): chunks whose customer_id is on the forgotten list go."""
    hashes: dict[str, bool] = {}
    kept: list[Document] = []
    for document in documents:
        customer = str(document.metadata.get("customer_id") or "")
        if customer:
            if customer not in hashes:
                hashes[customer] = forgotten_hash(customer) in skip
            if hashes[customer]:
                continue
        kept.append(document)
    return kept, len(documents) - len(kept)
