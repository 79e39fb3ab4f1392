"""Chroma: its client (embedded in the data dir, or a server) and the knowledge collection, opened for the
configured embedding model.

Only chromadb is imported here, not LangChain: a reader that looks chunks up by their metadata (a
customer's feedback on the customer card) starts without the rest of the knowledge store.
"""

from __future__ import annotations

import logging
import sqlite3
import time
from contextlib import closing
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import chromadb
import chromadb.errors
from chromadb.config import Settings as ChromaSettings

from knowledge.hnsw_files import clear_unused_slots

log = logging.getLogger(__name__)


class StoreMismatch(Exception):
    """The collection was built with another embedding model than the one configured."""


def open_chroma(*, chroma_url: str, path: str) -> chromadb.ClientAPI:
    """A persistent client on `path`, or an HTTP client when `chroma_url` is set."""
    settings = ChromaSettings(anonymized_telemetry=False, allow_reset=False)
    if chroma_url:
        parsed = urlparse(chroma_url)
        return chromadb.HttpClient(
            host=parsed.hostname or "localhost",
            port=parsed.port or (443 if parsed.scheme == "https" else 8000),
            ssl=parsed.scheme == "https",
            settings=settings,
        )
    return chromadb.PersistentClient(path=path, settings=settings)


# How widely Chroma's vector index searches. Its default (100) is approximate enough to miss true
# nearest passages: on the 1,500 real complaints it found 97.2 % of each question's 40 nearest, and
# lost one ranked third; at 500 it found 99.9 % (docs/BENCHMARKS.md). At 100k chunks the wide search
# costs about 130 ms a brief (its filtered queries explore far more), so a large collection keeps
# Chroma's default; the breadth is set again whenever the collection is opened.
SEARCH_EF = 500
DEFAULT_EF = 100
WIDE_SEARCH_MAX_CHUNKS = 20_000
MODIFY_PAUSES = (0.2, 0.5, 1.0, 2.0)  # seconds between tries at setting the breadth while the database is locked


def open_collection(client: chromadb.ClientAPI, name: str, *, model_label: str) -> Any:
    """The collection `name` (created if missing) for vectors of EMBEDDING_MODEL `model_label`; StoreMismatch
    when it was built with another model."""
    collection = client.get_or_create_collection(
        name,
        metadata={"hnsw:space": "cosine", "embedding_model": model_label},
        # The space is repeated here: a configuration without it makes Chroma build an L2 index.
        configuration={"hnsw": {"space": "cosine", "ef_search": SEARCH_EF}},
        embedding_function=None,
    )
    hnsw = (getattr(collection, "configuration", None) or {}).get("hnsw") or {}
    breadth = SEARCH_EF if collection.count() <= WIDE_SEARCH_MAX_CHUNKS else DEFAULT_EF
    if int(hnsw.get("ef_search") or 0) != breadth:
        # Made before this setting, by another tool, or grown past (or back under) the limit.
        _set_breadth(collection, breadth, name=name)
    stored = (collection.metadata or {}).get("embedding_model")
    if stored and stored != model_label:
        raise StoreMismatch(
            f"the knowledge collection '{name}' was built with EMBEDDING_MODEL {stored!r}, but {model_label!r} is "
            "configured: run `advocate reindex` to rebuild it with the configured model, or set EMBEDDING_MODEL back"
        )
    return collection


def _set_breadth(collection: Any, breadth: int, *, name: str) -> None:
    """Set the search breadth, waiting out a write another process or Chroma's own background work holds
    (SQLite's "database is locked"); if it stays locked, the collection opens at the breadth it has, as
    the breadth changes how widely a search looks, never what the store holds."""
    for pause in (*MODIFY_PAUSES, None):
        try:
            collection.modify(configuration={"hnsw": {"ef_search": breadth}})
            return
        except chromadb.errors.InternalError as exc:
            if "locked" not in str(exc):
                raise
            if pause is None:
                log.warning("the knowledge collection '%s' stays at its search breadth: Chroma's database "
                            "was locked by another writer", name)
                return
            time.sleep(pause)


# Chroma's own SQLite file in a persistent directory (its catalogue, metadata, full-text index and log).
CHROMA_SQLITE = "chroma.sqlite3"


def clear_freed_space(client: chromadb.ClientAPI) -> list[str]:
    """Rewrite an embedded Chroma's files so that deleted rows and process memory leave no bytes behind; for
    a Chroma server, what its operator must run instead. Returns those instructions (none when done here)."""
    settings = client.get_settings()
    if not settings.is_persistent or not settings.persist_directory:
        return _server_vacuum_note()
    return clear_directory(Path(settings.persist_directory))


def clear_directory(root: Path) -> list[str]:
    """Clear a Chroma directory (embedded, or a stopped server's): its SQLite file is rebuilt from live rows
    and its vector indexes' unused slots are zeroed. Returns what could not be done, if anything.

    Deleting marks rows' pages free without overwriting them, and its full-text index keeps deleted
    texts' tokens in old segments: 'optimize' merges those away, VACUUM rebuilds the file from live rows.
    The index files' unused slots hold process memory (knowledge/hnsw_files.py).
    """
    path = root / CHROMA_SQLITE
    if path.is_file():
        with closing(sqlite3.connect(path, timeout=30, isolation_level=None)) as connection:
            tables = {row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
            if "embedding_fulltext_search" in tables:
                connection.execute(
                    "INSERT INTO embedding_fulltext_search(embedding_fulltext_search) VALUES ('optimize')"
                )
            connection.execute("VACUUM")
    return clear_unused_slots(root).problems


def _server_vacuum_note() -> list[str]:
    return ["the Chroma server's log is purged, but its chroma.sqlite3 keeps freed pages and its vector index "
            "files may hold process memory: on the server's host, stop it, run `advocate clear-chroma-dir DIR` "
            "(DIR: its --path) and start it again"]
