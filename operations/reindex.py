"""Reindex: rebuild the knowledge collection with the configured embedding model, then switch.

The knowledge base lives in three places tied to one Chroma collection name: the collection itself,
the lexical index rows (keyed by that name) and LangChain's record manager (namespace
`chroma/<name>`). `ADVOCATE_COLLECTION` is the *logical* name; which physical collection is live is a
row in the records database (records/collection_pointer.py), read once when a process opens the store.
Without a row the live collection is the logical name itself, as before any reindex.

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

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from langchain_core.documents import Document
from langchain_core.embeddings import Embeddings
from sqlalchemy import Engine, text

from knowledge.ingest import make_record_manager
from knowledge.lexical_index import LexicalIndex
from knowledge.vector_store import KnowledgeStore
from records.clock import now_utc
from records.collection_pointer import CollectionPointer

if TYPE_CHECKING:
    import chromadb

PAGE = 256  # chunks read, embedded and written per step
CATCH_UP_ROUNDS = 5  # passes that copy what other processes wrote to the old collection meanwhile

class ReindexError(Exception):
    """The reindex could not finish; the old collection is still live. The message says what to do."""


class NothingToReindex(ReindexError):
    """There is no knowledge collection yet."""


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
    stamp = now_utc().strftime("%Y%m%d%H%M%S")
    return f"{logical}-r{stamp}{uuid.uuid4().hex[:4]}"


def reindex(
    *,
    engine: Engine,
    client: chromadb.ClientAPI,
    embedder: Embeddings,
    collection: str,
    embedding_model: str,
    keep_old: bool = False,
    page: int = PAGE,
    on_progress: Callable[[int, int], None] | None = None,
) -> ReindexReport:
    """Rebuild the live collection of `collection` (ADVOCATE_COLLECTION) with `embedder` (EMBEDDING_MODEL
    `embedding_model`) and switch to it when complete. `engine` is the records database, migrated."""
    started = time.perf_counter()
    pointer = CollectionPointer(engine=engine)
    state = pointer.state(collection)
    if state.building and state.building != state.live:
        discard(client, engine, state.building)  # left by a run that never finished
        pointer.set_building(collection, None)
    old = get_collection(client, state.live)
    if old is None:
        raise NothingToReindex(
            f"there is no knowledge collection '{state.live}' yet: nothing to reindex; `advocate ingest` builds one "
            "with the configured EMBEDDING_MODEL"
        )
    new_name = new_collection_name(collection)
    pointer.set_building(collection, new_name)
    new_store = KnowledgeStore(
        client=client, collection_name=new_name, embeddings=embedder,
        lexical=LexicalIndex(engine=engine, collection=new_name), model_label=embedding_model,
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
        pointer.switch(collection, live=new_name, retired=state.live, embedding_model=embedding_model)
    except BaseException:
        # Nothing points at the half-built collection; remove it now (or the next run will).
        try:
            discard(client, engine, new_name)
            pointer.set_building(collection, None)
        except Exception:  # noqa: BLE001 - the first error is the one to report
            pass
        raise
    note = ""
    dropped: list[str] = []
    if not keep_old:
        try:
            dropped = drop_retired(engine=engine, client=client, collection=collection, only=[state.live])
        except Exception as exc:  # noqa: BLE001 - the switch is done; the old collection can go later
            note = f"the old collection is not deleted yet ({type(exc).__name__}): run `advocate reindex --drop-old`"
    return ReindexReport(old=state.live, new=new_name, chunks=new_store.count(), records=records, dropped=dropped,
                         seconds=time.perf_counter() - started, note=note)


def drop_retired(
    *, engine: Engine, client: chromadb.ClientAPI, collection: str, only: list[str] | None = None
) -> list[str]:
    """Delete former live collections of `collection` (all, or those in `only`) with their lexical and
    record-manager rows."""
    pointer = CollectionPointer(engine=engine)
    state = pointer.state(collection)
    dropped: list[str] = []
    for name in list(state.retired):
        if name == state.live or (only is not None and name not in only):
            continue
        discard(client, engine, name)
        dropped.append(name)
        pointer.set_retired(collection, [c for c in pointer.state(collection).retired if c != name])
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
