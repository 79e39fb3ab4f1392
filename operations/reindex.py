"""`advocate reindex`: rebuild the knowledge collection with the configured embedding model, then switch.

The knowledge base lives in three places tied to one Chroma collection name: the collection itself,
the lexical index rows (keyed by that name) and LangChain's record manager (namespace
`chroma/<name>`). `ADVOCATE_COLLECTION` is the *logical* name; which physical collection is live is a
row in the records database (`knowledge_collections`, created on first use like the lexical index's
tables, so no migration), read once when a process opens the store. Without a row the live collection
is the logical name itself, as before any reindex.

A reindex reads every chunk (text and metadata) from the live collection, embeds it again with the
configured model into a new collection (`<name>-r<UTC timestamp>`), copies the lexical rows (written as
the chunks are added) and the record-manager rows, checks that the new collection holds exactly the old
one's chunks, and only then moves the pointer: one row, one transaction. Until that moment every
process keeps reading and writing the old collection; an interrupted or failed run leaves it live and
the half-built one is removed (at once, or by the next run). After the switch the old collection is
deleted, or kept with `--keep-old` until `advocate reindex --drop-old`.

Processes read the pointer when they start: restart the Slack app and the scheduler after a reindex.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Annotated, Any

import typer
from langchain_core.documents import Document
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from sqlalchemy import Column, Engine, MetaData, String, Table, Text, inspect, select, text, update
from sqlalchemy.dialects import postgresql, sqlite

from knowledge.embeddings import EmbeddingModelError
from knowledge.ingest import make_record_manager
from knowledge.lexical_index import LexicalIndex, schema_lock
from knowledge.vector_store import KnowledgeStore

if TYPE_CHECKING:
    import chromadb

    from advocate.services import Services

POINTER_TABLE = "knowledge_collections"
PAGE = 256  # chunks read, embedded and written per step
CATCH_UP_ROUNDS = 5  # passes that copy what other processes wrote to the old collection meanwhile

_metadata = MetaData()
_pointer = Table(
    POINTER_TABLE,
    _metadata,
    # ADVOCATE_COLLECTION: the logical name every process is configured with.
    Column("name", String(255), primary_key=True),
    # The physical Chroma collection that is live for it.
    Column("live", String(255), nullable=False),
    # A collection being built by a reindex (removed by the next run if that one never finished).
    Column("building", String(255), nullable=True),
    # Former live collections kept with --keep-old, as a JSON list.
    Column("retired", Text, nullable=False, default="[]"),
    # EMBEDDING_MODEL the live collection was built with, and when it went live (ISO 8601, UTC).
    Column("embedding_model", Text, nullable=True),
    Column("switched_at", String(40), nullable=True),
)


class ReindexError(Exception):
    """The reindex could not finish; the old collection is still live. The message says what to do."""


class NothingToReindex(ReindexError):
    """There is no knowledge collection yet."""


@dataclass
class PointerState:
    name: str
    live: str
    building: str | None = None
    retired: list[str] = field(default_factory=list)


class CollectionPointer:
    """Which physical Chroma collection is live for a logical ADVOCATE_COLLECTION name."""

    def __init__(self, *, engine: Engine) -> None:
        # The records database, shared by every process (the lexical index and record manager live there too).
        self.engine = engine

    def live(self, name: str) -> str:
        """The live collection for `name`: `name` itself until a reindex has switched it. Reads only."""
        return self.state(name).live

    def state(self, name: str) -> PointerState:
        if not inspect(self.engine).has_table(POINTER_TABLE):
            return PointerState(name=name, live=name)
        with self.engine.connect() as conn:
            row = conn.execute(select(_pointer).where(_pointer.c.name == name)).first()
        if row is None:
            return PointerState(name=name, live=name)
        return PointerState(name=name, live=row.live, building=row.building, retired=json.loads(row.retired or "[]"))

    def ensure_table(self) -> None:
        with schema_lock(self.engine):
            _metadata.create_all(self.engine, checkfirst=True)

    def set_building(self, name: str, building: str | None) -> None:
        self._upsert(name, building=building)

    def switch(self, name: str, *, live: str, retired: str, embedding_model: str) -> None:
        """Make `live` the live collection and `retired` a former one, in one transaction."""
        state = self.state(name)
        kept = [c for c in state.retired if c not in (live, retired)] + [retired]
        self._upsert(
            name, live=live, building=None, retired=json.dumps(kept), embedding_model=embedding_model,
            switched_at=datetime.now(UTC).isoformat(timespec="seconds"),
        )

    def set_retired(self, name: str, retired: list[str]) -> None:
        self._upsert(name, retired=json.dumps(retired))

    def _upsert(self, name: str, **values: Any) -> None:
        with self.engine.begin() as conn:
            found = conn.execute(select(_pointer.c.name).where(_pointer.c.name == name)).first()
            if found is None:
                row = {"name": name, "live": name, "building": None, "retired": "[]"} | values
                dialect = postgresql if self.engine.dialect.name == "postgresql" else sqlite
                # Two reindexes starting at once: the second one's insert does nothing, then updates.
                conn.execute(dialect.insert(_pointer).values(**row).on_conflict_do_nothing())
            conn.execute(update(_pointer).where(_pointer.c.name == name).values(**values))


@dataclass
class ReindexReport:
    old: str  # the collection that was live before
    new: str  # the collection now live
    chunks: int  # chunks embedded again into the new collection
    records: int  # record-manager rows carried over
    dropped: list[str]  # former collections deleted
    seconds: float
    note: str = ""  # what is left to do, if anything

    def line(self) -> str:
        gone = f"; deleted {', '.join(self.dropped)}" if self.dropped else f"; kept {self.old}"
        return (
            f"reindexed {self.chunks} chunks ({self.records} record-manager rows) from {self.old} into {self.new} "
            f"in {self.seconds:.1f}s{gone}" + (f"; {self.note}" if self.note else "")
        )

    def as_dict(self) -> dict[str, object]:
        return {"old": self.old, "new": self.new, "chunks": self.chunks, "records": self.records,
                "dropped": self.dropped, "seconds": round(self.seconds, 2), "note": self.note}


def record_namespace(collection: str) -> str:
    """The record manager's namespace for a physical collection (knowledge/ingest.py)."""
    return f"chroma/{collection}"


def new_collection_name(logical: str) -> str:
    stamp = datetime.now(UTC).strftime("%Y%m%d%H%M%S")
    return f"{logical}-r{stamp}{uuid.uuid4().hex[:4]}"


def reindex(
    services: Services,
    *,
    keep_old: bool = False,
    page: int = PAGE,
    on_progress: Callable[[int, int], None] | None = None,
) -> ReindexReport:
    """Rebuild the live collection with the configured embedding model and switch to it when complete."""
    started = time.perf_counter()
    settings = services.settings
    engine = services.engine
    client = services.store.client
    pointer = CollectionPointer(engine=engine)
    pointer.ensure_table()
    state = pointer.state(settings.collection)
    if state.building and state.building != state.live:
        discard(client, engine, state.building)  # left by a run that never finished
        pointer.set_building(settings.collection, None)
    old = get_collection(client, state.live)
    if old is None:
        raise NothingToReindex(
            f"there is no knowledge collection '{state.live}' yet: nothing to reindex; `advocate ingest` builds one "
            "with the configured EMBEDDING_MODEL"
        )
    new_name = new_collection_name(settings.collection)
    pointer.set_building(settings.collection, new_name)
    assert services.embedder is not None
    new_store = KnowledgeStore(
        client=client, collection_name=new_name, embeddings=services.embedder,
        lexical=LexicalIndex(engine=engine, collection=new_name), model_label=settings.embedding_model,
    )
    try:
        _copy_chunks(old, new_store, page=page, on_progress=on_progress)
        for _ in range(CATCH_UP_ROUNDS):
            # Another process may have ingested into (or removed from) the old collection meanwhile.
            _catch_up(old, new_store, page=page)
            records = _copy_records(engine, old=state.live, new=new_name)
            if _all_ids(old) == _all_ids(new_store.collection):
                break
        else:
            raise ReindexError(
                "the knowledge base kept changing while it was copied; stop the Slack app and any ingest, then run "
                "`advocate reindex` again"
            )
        pointer.switch(settings.collection, live=new_name, retired=state.live, embedding_model=settings.embedding_model)
    except BaseException:
        # Nothing points at the half-built collection; remove it now (or the next run will).
        try:
            discard(client, engine, new_name)
            pointer.set_building(settings.collection, None)
        except Exception:  # noqa: BLE001 - the first error is the one to report
            pass
        raise
    note = ""
    dropped: list[str] = []
    if not keep_old:
        try:
            dropped = drop_retired(services, only=[state.live])
        except Exception as exc:  # noqa: BLE001 - the switch is done; the old collection can go later
            note = f"the old collection is not deleted yet ({type(exc).__name__}): run `advocate reindex --drop-old`"
    return ReindexReport(old=state.live, new=new_name, chunks=new_store.count(), records=records, dropped=dropped,
                         seconds=time.perf_counter() - started, note=note)


def drop_retired(services: Services, *, only: list[str] | None = None) -> list[str]:
    """Delete former live collections (all, or those in `only`) with their lexical and record-manager rows."""
    settings = services.settings
    pointer = CollectionPointer(engine=services.engine)
    state = pointer.state(settings.collection)
    dropped: list[str] = []
    for name in list(state.retired):
        if name == state.live or (only is not None and name not in only):
            continue
        discard(services.store.client, services.engine, name)
        dropped.append(name)
        pointer.set_retired(settings.collection, [c for c in pointer.state(settings.collection).retired if c != name])
    return dropped


def discard(client: chromadb.ClientAPI, engine: Engine, name: str) -> None:
    """Remove a collection that is not live: its vectors, lexical rows and record-manager rows."""
    if get_collection(client, name) is not None:
        client.delete_collection(name)
    LexicalIndex(engine=engine, collection=name).drop_collection()
    make_record_manager(engine=engine, collection=name)  # the table exists before the delete below
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM upsertion_record WHERE namespace = :ns"), {"ns": record_namespace(name)})


def get_collection(client: chromadb.ClientAPI, name: str) -> Any | None:
    from chromadb.errors import NotFoundError

    try:
        return client.get_collection(name, embedding_function=None)
    except (NotFoundError, ValueError):
        return None


def _copy_chunks(
    old: Any, new_store: KnowledgeStore, *, page: int, on_progress: Callable[[int, int], None] | None
) -> int:
    total = int(old.count())
    done = 0
    if on_progress:
        on_progress(0, total)
    while True:
        batch = old.get(limit=page, offset=done, include=["documents", "metadatas"])
        if not batch["ids"]:
            return done
        _add(new_store, batch)
        done += len(batch["ids"])
        if on_progress:
            on_progress(done, total)


def _catch_up(old: Any, new_store: KnowledgeStore, *, page: int) -> int:
    old_ids, new_ids = _all_ids(old), _all_ids(new_store.collection)
    missing = sorted(old_ids - new_ids)
    extra = sorted(new_ids - old_ids)
    if extra:
        new_store.delete(extra)
    for start in range(0, len(missing), page):
        _add(new_store, old.get(ids=missing[start : start + page], include=["documents", "metadatas"]))
    return len(missing)


def _add(store: KnowledgeStore, batch: dict[str, Any]) -> None:
    documents = [
        Document(page_content=doc or "", metadata=dict(meta or {}), id=cid)
        for cid, doc, meta in zip(batch["ids"], batch["documents"], batch["metadatas"], strict=True)
    ]
    store.add_documents(documents, ids=list(batch["ids"]))


def _all_ids(collection: Any, *, page: int = 5000) -> set[str]:
    ids: set[str] = set()
    offset = 0
    while True:
        found = collection.get(limit=page, offset=offset, include=[])["ids"]
        ids.update(found)
        offset += len(found)
        if len(found) < page:
            return ids


def _copy_records(engine: Engine, *, old: str, new: str) -> int:
    """The new namespace gets exactly the old one's record-manager rows (keys, sources, times)."""
    make_record_manager(engine=engine, collection=new)
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM upsertion_record WHERE namespace = :ns"), {"ns": record_namespace(new)})
        rows = conn.execute(
            text("SELECT key, group_id, updated_at FROM upsertion_record WHERE namespace = :ns"),
            {"ns": record_namespace(old)},
        ).all()
        if rows:
            conn.execute(
                text(
                    "INSERT INTO upsertion_record (uuid, key, namespace, group_id, updated_at) "
                    "VALUES (:uuid, :key, :ns, :group_id, :updated_at)"
                ),
                [
                    {"uuid": str(uuid.uuid4()), "key": r[0], "ns": record_namespace(new), "group_id": r[1],
                     "updated_at": r[2]}
                    for r in rows
                ],
            )
    return len(rows)


# -- the command ----------------------------------------------------------------------------------------------
err = Console(stderr=True, soft_wrap=True)

GetServices = Callable[[], "Services"]
Fail = Callable[..., typer.Exit]


def register(app: typer.Typer, *, services: GetServices, fail: Fail) -> None:
    @app.command("reindex")
    def reindex_command(
        keep_old: Annotated[
            bool, typer.Option("--keep-old", help="Keep the old collection after the switch (delete it later).")
        ] = False,
        drop_old: Annotated[
            bool, typer.Option("--drop-old", help="Only delete collections kept by an earlier --keep-old.")
        ] = False,
        as_json: Annotated[bool, typer.Option("--json", help="Print the outcome as one JSON object.")] = False,
    ) -> None:
        """Rebuild the knowledge collection with the configured EMBEDDING_MODEL; switch over when complete."""
        svc = services()
        if drop_old:
            dropped = drop_retired(svc)
            if as_json:
                print(json.dumps({"dropped": dropped}))
            else:
                print(f"deleted {', '.join(dropped)}" if dropped else "no old collections to delete")
            return
        try:
            with Progress(
                TextColumn("[bold]reindex[/bold]"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                console=err, transient=True,
            ) as progress:
                task = progress.add_task("", total=None)
                report = reindex(svc, keep_old=keep_old,
                                 on_progress=lambda done, total: progress.update(task, completed=done, total=total))
        except NothingToReindex as exc:
            print(str(exc))
            return
        except (ReindexError, EmbeddingModelError) as exc:
            raise fail(str(exc)) from None
        except KeyboardInterrupt:
            raise fail("interrupted: the old collection is still live; run `advocate reindex` again", 130) from None
        if as_json:
            print(json.dumps(report.as_dict()))
        else:
            print(report.line())
        err.print("restart the Slack app and the scheduler: they read the live collection when they start",
                  markup=False, highlight=False)
