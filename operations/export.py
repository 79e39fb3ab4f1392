"""Export and import (`advocate export DIR`, `advocate import-export DIR`): the organisation's data, out and
back in.

An export is a folder: one JSONL file per records table (one row per line, columns by name, times in
ISO 8601 UTC), the forgotten-customers list (hashes only), the knowledge index's sources as JSONL and
CSV (path, kind, title, visibility, chunk count, a hash of the chunks, the file's hash), the chunks of
Slack feedback messages (they have no file to ingest again), and `manifest.json` — written last —
with the schema revision, the embedding model, row counts and a SHA-256 per file. The records are read
in one transaction (a snapshot: SQLite read transaction, PostgreSQL REPEATABLE READ), so the files
agree with each other even while the Slack app keeps writing.

Import restores the records into an empty database in one transaction (all or nothing), after
checking the manifest, every file's hash and count and every row's columns. The knowledge index is
restored by ingesting the recorded source files again where they are (`--reingest`); what is missing
is listed with the command that ingests it.

Not exported (caches and ledgers, see SKIPPED_TABLES): handled Slack event ids, Slack events in flight,
the digest delivery ledger and the live-collection pointer of a reindex.
"""

from __future__ import annotations

import base64
import csv
import hashlib
import io
import json
import logging
import os
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from importlib import metadata as package_metadata
from pathlib import Path
from typing import Any

from langchain_classic.indexes import SQLRecordManager
from langchain_core.documents import Document
from sqlalchemy import (
    JSON,
    Boolean,
    Connection,
    Date,
    Engine,
    Float,
    Integer,
    LargeBinary,
    String,
    Table,
    Text,
    func,
    select,
    text,
)

from knowledge.ingest import Ingestor, IngestSummary
from knowledge.kinds import KINDS
from knowledge.vector_store import KnowledgeStore
from records.clock import now_utc
from records.database import Records
from records.migrate import current_revision, head_revision
from records.models import Base, UTCDateTime

log = logging.getLogger(__name__)

FORMAT = "advocate-export"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"

# Records tables exported (restored parents first, in the order of their foreign keys).
EXPORTED_TABLES: tuple[str, ...] = (
    "staff", "customers", "promises", "promise_events", "thanks", "advocates",
    "decisions", "concerns", "brief_feedback", "slack_briefs",
)
# Records tables left out, and why (docs/operations.md says the same).
SKIPPED_TABLES: dict[str, str] = {
    "slack_events": "Slack event ids already handled: a guard against Slack's redeliveries, needed for minutes",
    "slack_inbox": "Slack events acknowledged but not yet answered: work in flight, for seconds",
    "digest_deliveries": "the ledger of digests and reminders already sent (with chart images); a restored "
    "deployment starts a new one",
    "knowledge_collections": "which Chroma collection is live after a reindex; the restored knowledge index is "
    "built again, in the configured collection",
}
FORGOTTEN = "forgotten_customers"
SOURCES = "knowledge_sources"
SOURCES_CSV = "knowledge_sources_csv"
SLACK_FEEDBACK = "knowledge_slack_feedback"
SOURCE_COLUMNS = ("source", "source_name", "kind", "visibility", "title", "chunks", "content_hash", "file_sha256")
BATCH = 1000


class ExportProblem(Exception):
    """The export folder cannot be written or read as asked; the message says what to do."""


def _tables() -> dict[str, Table]:
    """The exported tables by name, parents before children, then the forgotten list."""
    tables = {t.name: t for t in Base.metadata.sorted_tables if t.name in EXPORTED_TABLES}
    tables[FORGOTTEN] = Base.metadata.tables[FORGOTTEN]
    return tables


def _file_name(key: str) -> str:
    return f"{SOURCES}.csv" if key == SOURCES_CSV else f"{key}.jsonl"


# -- values to JSON and back ---------------------------------------------------------------------------
def _to_json(column_type: Any, value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(column_type, LargeBinary):
        return base64.b64encode(value).decode("ascii")
    return value


def _time(value: Any, kind: Any) -> datetime:
    try:
        parsed = datetime.fromisoformat(str(value))
    except ValueError:
        raise ValueError(f"expected a time like 2026-11-23T09:00:00+00:00, got {value!r}") from None
    if parsed.tzinfo is None:
        raise ValueError(f"time {value!r} has no UTC offset")
    return parsed


def _date(value: Any, kind: Any) -> date:
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise ValueError(f"expected a date like 2026-11-23, got {value!r}") from None


def _boolean(value: Any, kind: Any) -> bool:
    if not isinstance(value, bool):
        raise ValueError(f"expected true or false, got {value!r}")
    return value


def _integer(value: Any, kind: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"expected a whole number, got {value!r}")
    return value


def _float(value: Any, kind: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"expected a number, got {value!r}")
    return float(value)


def _binary(value: Any, kind: Any) -> bytes:
    try:
        return base64.b64decode(str(value), validate=True)
    except ValueError:
        raise ValueError("expected base64 data") from None


def _text(value: Any, kind: Any) -> str:
    if not isinstance(value, str):
        raise ValueError(f"expected text, got {value!r}")
    length = getattr(kind, "length", None)
    if length and len(value) > length:
        raise ValueError(f"longer than {length} characters")
    return value


# Column type → its value from JSON (checked). UTCDateTime before the types it could be mistaken for.
_FROM_JSON: tuple[tuple[type | tuple[type, ...], Callable[[Any, Any], Any]], ...] = (
    (UTCDateTime, _time), (Date, _date), (Boolean, _boolean), (Integer, _integer), (Float, _float),
    (LargeBinary, _binary), ((String, Text), _text), (JSON, lambda value, kind: value),
)


def _from_json(column: Any, value: Any) -> Any:
    """The Python value for `column`, or ValueError saying what was expected."""
    if value is None:
        if not column.nullable:
            raise ValueError("is empty but required")
        return None
    for types, convert in _FROM_JSON:
        if isinstance(column.type, types):
            return convert(value, column.type)
    raise ValueError(f"has a column type the import does not know ({column.type})")


def _line(data: dict[str, Any]) -> str:
    return json.dumps(data, ensure_ascii=False, sort_keys=True) + "\n"


class _Writer:
    """Writes one export file (owner-readable only: it holds personal data), hashing as it goes."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.rows = 0
        self._hash = hashlib.sha256()
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        self._handle = os.fdopen(descriptor, "w", encoding="utf-8", newline="")

    def write(self, chunk: str, *, rows: int = 1) -> None:
        self._handle.write(chunk)
        self._hash.update(chunk.encode("utf-8"))
        self.rows += rows

    def close(self) -> dict[str, Any]:
        self._handle.close()
        return {"file": self.path.name, "rows": self.rows, "sha256": self._hash.hexdigest()}


# -- export ----------------------------------------------------------------------------------------------
@contextmanager
def snapshot(engine: Engine) -> Iterator[Connection]:
    """A read-only connection that sees one moment of the database for as long as it is open."""
    if engine.dialect.name == "sqlite":
        with engine.connect() as connection:
            # pysqlite opens no transaction for reads; an explicit one pins a WAL snapshot.
            connection.exec_driver_sql("BEGIN")
            try:
                yield connection
            finally:
                connection.rollback()
        return
    with engine.connect() as connection:
        connection = connection.execution_options(isolation_level="REPEATABLE READ", postgresql_readonly=True)
        with connection.begin():
            yield connection


@dataclass
class ExportResult:
    directory: Path
    manifest: dict[str, Any]

    def line(self) -> str:
        files = self.manifest["files"]
        parts = [f"{files[t]['rows']:,} {t.replace('_', ' ')}" for t in (*EXPORTED_TABLES, FORGOTTEN)]
        knowledge = self.manifest["knowledge"]
        return (f"exported to {self.directory}: " + ", ".join(parts)
                + f"; knowledge index: {knowledge['sources']:,} sources, {knowledge['chunks']:,} chunks")


def export_data(
    *,
    records: Records,
    store: KnowledgeStore,
    record_manager: SQLRecordManager,
    embedding_model: str,
    collection: str,
    directory: Path,
    force: bool = False,
    now: datetime | None = None,
) -> ExportResult:
    """Write the export into `directory` (created if missing; refused if not empty unless `force`)."""
    if directory.exists() and not directory.is_dir():
        raise ExportProblem(f"{directory} is a file; give a folder to export into")
    if directory.is_dir() and any(directory.iterdir()) and not force:
        raise ExportProblem(f"{directory} is not empty; give a new folder, or pass --force to overwrite an export")
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    # Without a manifest a folder is no export: a run that stops half-way is never mistaken for one.
    (directory / MANIFEST).unlink(missing_ok=True)
    tables = _tables()
    files: dict[str, Any] = {}
    with snapshot(records.engine) as connection:
        revision = current_revision(connection)
        for name, table in tables.items():
            writer = _Writer(directory / _file_name(name))
            query = select(table).order_by(*table.primary_key.columns)
            for row in connection.execution_options(yield_per=BATCH).execute(query):
                mapping = row._mapping
                writer.write(_line({c.name: _to_json(c.type, mapping[c]) for c in table.columns}))
            files[name] = writer.close()
        keys = connection.execute(
            text("SELECT key, group_id FROM upsertion_record WHERE namespace = :ns"),
            {"ns": record_manager.namespace},
        ).all()
    knowledge = _export_knowledge(store, keys, directory, files)
    manifest = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "advocate_version": _version(),
        "created_at": (now or now_utc()).isoformat(),
        "schema_revision": revision,
        "embedding_model": embedding_model,
        "collection": collection,
        "files": files,
        "knowledge": knowledge,
        "not_exported": SKIPPED_TABLES,
    }
    partial = directory / (MANIFEST + ".part")
    partial.write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    partial.chmod(0o600)
    partial.replace(directory / MANIFEST)
    log.info("export written: %d records rows, %d knowledge sources",
             sum(f["rows"] for k, f in files.items() if k in tables), knowledge["sources"])
    return ExportResult(directory=directory, manifest=manifest)


def _export_knowledge(
    store: KnowledgeStore, keys: Iterable[Any], directory: Path, files: dict[str, Any]
) -> dict[str, int]:
    by_source: dict[str, list[str]] = defaultdict(list)
    for key, group in keys:
        by_source[str(group or "")].append(str(key))
    slack = _Writer(directory / _file_name(SLACK_FEEDBACK))
    rows: list[dict[str, Any]] = []
    for source in sorted(by_source):
        ids = sorted(by_source[source])
        is_slack = source.startswith("slack:")
        metas: list[dict[str, Any]] = []
        for start in range(0, len(ids), BATCH):
            got = store.collection.get(
                ids=ids[start : start + BATCH], include=["metadatas", "documents"] if is_slack else ["metadatas"]
            )
            documents = got.get("documents") or [None] * len(got["ids"])
            chunks = sorted(zip(got["ids"], got["metadatas"], documents, strict=False), key=lambda c: c[0])
            for chunk_id, meta, document in chunks:
                metas.append(dict(meta or {}))
                if is_slack:
                    slack.write(_line({"id": chunk_id, "text": document or "", "metadata": dict(meta or {})}))
        kinds = Counter(str(m.get("kind", "")) for m in metas)
        kind = kinds.most_common(1)[0][0] if kinds else ""
        titles = Counter(str(m.get("title", "")) for m in metas)
        path = Path(source)
        rows.append({
            "source": source,
            "source_name": str(metas[0].get("source_name", "")) if metas else "",
            "kind": kind,
            "visibility": str(metas[0].get("visibility", "internal")) if metas else "",
            "title": "" if kind == "feedback" or not titles else titles.most_common(1)[0][0],
            "chunks": len(ids),
            "content_hash": hashlib.sha256("\n".join(ids).encode("utf-8")).hexdigest(),
            "file_sha256": _file_sha256(path) if source.startswith("/") else None,
        })
    files[SLACK_FEEDBACK] = slack.close()
    writer = _Writer(directory / _file_name(SOURCES))
    for row in rows:
        writer.write(_line(row))
    files[SOURCES] = writer.close()
    buffer = io.StringIO()
    table = csv.DictWriter(buffer, fieldnames=SOURCE_COLUMNS, lineterminator="\n")
    table.writeheader()
    table.writerows({k: ("" if v is None else v) for k, v in row.items()} for row in rows)
    writer = _Writer(directory / _file_name(SOURCES_CSV))
    writer.write(buffer.getvalue(), rows=len(rows))
    files[SOURCES_CSV] = writer.close()
    return {"sources": len(rows), "chunks": sum(r["chunks"] for r in rows)}


def _file_sha256(path: Path) -> str | None:
    try:
        digest = hashlib.sha256()
        with path.open("rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
        return digest.hexdigest()
    except OSError:
        return None


def _version() -> str:
    try:
        return package_metadata.version("advocate")
    except package_metadata.PackageNotFoundError:
        return "unknown"


# -- reading an export -----------------------------------------------------------------------------------
@dataclass
class ExportContents:
    directory: Path
    manifest: dict[str, Any]
    # Table name → rows as Python values, in file order.
    rows: dict[str, list[dict[str, Any]]]
    sources: list[dict[str, Any]]
    slack_feedback: list[dict[str, Any]]


def read_export(directory: Path) -> ExportContents:
    """The export checked end to end (manifest, hashes, counts, every row); ExportProblem says what is wrong."""
    if not directory.is_dir():
        raise ExportProblem(f"{directory} is not a folder; give the folder `advocate export` wrote")
    manifest_path = directory / MANIFEST
    if not manifest_path.is_file():
        raise ExportProblem(f"{directory} has no {MANIFEST}: it is not a complete export; export again")
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    except (ValueError, OSError) as exc:
        raise ExportProblem(f"{manifest_path} is not readable JSON ({exc}); export again") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise ExportProblem(f"{manifest_path} is not an Advocate export manifest")
    if manifest.get("format_version") != FORMAT_VERSION:
        raise ExportProblem(
            f"the export has format version {manifest.get('format_version')!r}; this Advocate reads version "
            f"{FORMAT_VERSION}: import it with the Advocate version that wrote it ({manifest.get('advocate_version')})"
        )
    head = head_revision()
    revision = manifest.get("schema_revision")
    if revision != head:
        raise ExportProblem(
            f"the export is of records schema revision {revision!r}, but this Advocate's records are at {head!r}. "
            f"Import it with the Advocate version that wrote it ({manifest.get('advocate_version')}), whose "
            "migrations end at that revision, then start this version on the same database: it migrates the "
            "records on start; then export again if you need a file"
        )
    files = manifest.get("files")
    if not isinstance(files, dict):
        raise ExportProblem(f"{manifest_path} lists no files; export again")
    tables = _tables()
    rows = {name: [_row(table, line_no, obj, name) for line_no, obj in _read_jsonl(directory, files, name)]
            for name, table in tables.items()}
    sources = [obj for _, obj in _read_jsonl(directory, files, SOURCES)]
    slack: list[dict[str, Any]] = []
    for line_no, obj in _read_jsonl(directory, files, SLACK_FEEDBACK):
        if not (isinstance(obj.get("id"), str) and isinstance(obj.get("text"), str)
                and isinstance(obj.get("metadata"), dict)):
            raise ExportProblem(f"{_file_name(SLACK_FEEDBACK)} line {line_no}: expected id, text and metadata")
        slack.append(obj)
    return ExportContents(directory=directory, manifest=manifest, rows=rows, sources=sources, slack_feedback=slack)


def _read_jsonl(directory: Path, files: dict[str, Any], key: str) -> list[tuple[int, dict[str, Any]]]:
    entry = files.get(key)
    if not isinstance(entry, dict) or not isinstance(entry.get("file"), str):
        raise ExportProblem(f"{MANIFEST} does not list the {key} file; export again")
    path = directory / Path(entry["file"]).name
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ExportProblem(f"{path.name} is listed in {MANIFEST} but cannot be read ({exc.strerror})") from None
    if hashlib.sha256(data).hexdigest() != entry.get("sha256"):
        raise ExportProblem(f"{path.name} does not match the hash in {MANIFEST}: it was changed or cut short; "
                            "export again")
    parsed: list[tuple[int, dict[str, Any]]] = []
    for number, raw in enumerate(data.decode("utf-8").splitlines(), start=1):
        if not raw.strip():
            continue
        try:
            obj = json.loads(raw)
        except ValueError as exc:
            raise ExportProblem(f"{path.name} line {number}: not valid JSON ({exc})") from None
        if not isinstance(obj, dict):
            raise ExportProblem(f"{path.name} line {number}: expected one JSON object per line")
        parsed.append((number, obj))
    if len(parsed) != entry.get("rows"):
        raise ExportProblem(f"{path.name} holds {len(parsed)} rows but {MANIFEST} says {entry.get('rows')}")
    return parsed


def _row(table: Table, line_no: int, obj: dict[str, Any], name: str) -> dict[str, Any]:
    where = f"{_file_name(name)} line {line_no}"
    unknown = set(obj) - set(table.columns.keys())
    if unknown:
        raise ExportProblem(f"{where}: unknown column {sorted(unknown)[0]!r} for {name}")
    values: dict[str, Any] = {}
    for column in table.columns:
        if column.name not in obj:
            raise ExportProblem(f"{where}: column {column.name!r} is missing")
        try:
            values[column.name] = _from_json(column, obj[column.name])
        except ValueError as exc:
            raise ExportProblem(f"{where}: {column.name} {exc}") from None
    return values


# -- import ----------------------------------------------------------------------------------------------
class NotEmpty(Exception):
    """The records database already holds records: an import would mix two organisations' data."""


def import_records(records: Records, contents: ExportContents) -> dict[str, int]:
    """Insert every exported row in one transaction: all of them, or (on any error) none."""
    tables = _tables()
    counts: dict[str, int] = {}
    with records.session() as session:
        held = {}
        for name in (*EXPORTED_TABLES, FORGOTTEN):
            count = int(session.execute(select(func.count()).select_from(tables[name])).scalar() or 0)
            if count:
                held[name] = count
        if held:
            listing = ", ".join(f"{n:,} {t.replace('_', ' ')}" for t, n in held.items())
            raise NotEmpty(
                f"the records database already holds records ({listing}); import-export restores only into an "
                "empty one: point ADVOCATE_DATA_DIR (or DATABASE_URL) at a new data dir or database"
            )
        for name, table in tables.items():
            rows = contents.rows[name]
            for start in range(0, len(rows), BATCH):
                session.execute(table.insert(), rows[start : start + BATCH])
            counts[name] = len(rows)
        counts = {name: counts[name] for name in (*EXPORTED_TABLES, FORGOTTEN)}
        if records.engine.dialect.name == "postgresql":
            # Rows came with their ids: the id sequences must continue after the highest one.
            for name, table in tables.items():
                keys = list(table.primary_key.columns)
                if len(keys) == 1 and isinstance(keys[0].type, Integer):
                    column = keys[0].name
                    session.execute(text(
                        f"SELECT setval(pg_get_serial_sequence('{name}', '{column}'), "
                        f"(SELECT COALESCE(MAX({column}), 0) + 1 FROM {name}), false)"
                    ))
    log.info("export imported: %d records rows", sum(counts.values()))
    return counts


@dataclass
class KnowledgeRestore:
    """What became of the exported knowledge sources."""

    # (kind, visibility) → paths ingested again.
    ingested: dict[tuple[str, str], list[str]] = field(default_factory=dict)
    summaries: list[IngestSummary] = field(default_factory=list)
    # Files present but different from when they were exported (ingested as they are now).
    changed: list[str] = field(default_factory=list)
    # Files not found where the export says they were.
    missing: list[dict[str, Any]] = field(default_factory=list)
    # Files present that were not ingested (without --reingest).
    to_ingest: list[dict[str, Any]] = field(default_factory=list)
    slack_restored: int = 0
    slack_waiting: int = 0
    slack_forgotten: int = 0

    def as_json(self) -> dict[str, Any]:
        return {
            "ingested": sum(len(p) for p in self.ingested.values()),
            "chunks_added": sum(s.added + s.updated for s in self.summaries),
            "rejected": [str(r) for s in self.summaries for r in s.rejections],
            "changed_since_export": self.changed,
            "missing": [s["source"] for s in self.missing],
            "to_ingest": [s["source"] for s in self.to_ingest],
            "slack_feedback_restored": self.slack_restored,
            "slack_feedback_waiting": self.slack_waiting,
        }


def restore_knowledge(
    *, ingestor: Ingestor, contents: ExportContents, reingest: bool,
    on_file: Callable[[Path, int], None] | None = None,
) -> KnowledgeRestore:
    """Ingest the exported file sources again where they are (and restore Slack feedback), or list them."""
    result = KnowledgeRestore()
    groups: dict[tuple[str, str], list[Path]] = defaultdict(list)
    for source in contents.sources:
        path_text = str(source.get("source", ""))
        if path_text.startswith("slack:") or not path_text:
            continue
        path = Path(path_text)
        if not path.is_file():
            result.missing.append(source)
            continue
        if not reingest:
            result.to_ingest.append(source)
            continue
        if source.get("file_sha256") and _file_sha256(path) != source.get("file_sha256"):
            result.changed.append(path_text)
        kind = str(source.get("kind", ""))
        visibility = str(source.get("visibility") or "internal")
        groups[(kind if kind in KINDS else "", visibility)].append(path)
    for (kind, visibility), paths in sorted(groups.items()):
        summary = ingestor.ingest(paths, kind=kind or None, visibility=visibility, on_file=on_file)
        result.summaries.append(summary)
        result.ingested[(kind, visibility)] = [str(p) for p in paths]
    if not reingest:
        result.slack_waiting = len(contents.slack_feedback)
        return result
    # Slack messages have no file: their chunks come back as exported, under the same ids.
    documents = [Document(page_content=str(c.get("text", "")), metadata=dict(c.get("metadata") or {}), id=str(c["id"]))
                 for c in contents.slack_feedback]
    kept = ingestor.unforgotten(documents)
    result.slack_forgotten = len(documents) - len(kept)
    stored = ingestor.record_manager.exists([str(d.id) for d in kept]) if kept else []
    fresh = [d for d, there in zip(kept, stored, strict=True) if not there]
    if fresh:
        ids = [str(d.id) for d in fresh]
        ingestor.store.add_documents(fresh, ids=ids)
        ingestor.record_manager.update(ids, group_ids=[str(d.metadata.get("source", "")) for d in fresh])
    result.slack_restored = len(fresh)
    return result


def ingest_commands(sources: list[dict[str, Any]]) -> list[str]:
    """`advocate ingest` command lines that put these sources back, one per kind and visibility."""
    groups: dict[tuple[str, str], list[str]] = defaultdict(list)
    for source in sources:
        groups[(str(source.get("kind", "")), str(source.get("visibility") or "internal"))].append(
            str(source.get("source", ""))
        )
    lines = []
    for (kind, visibility), paths in sorted(groups.items()):
        flags = (f" --kind {kind}" if kind in KINDS else "") + (" --restricted" if visibility == "restricted" else "")
        lines.append(f"advocate ingest{flags} " + " ".join(_quoted(p) for p in paths))
    return lines


def _quoted(path: str) -> str:
    return path if all(c.isalnum() or c in "/._-" for c in path) else "'" + path.replace("'", "'\\''") + "'"
