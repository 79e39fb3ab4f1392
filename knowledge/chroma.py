"""Chroma: its client (embedded in the data dir, or a server) and the knowledge collection, opened for the
configured embedding model.

Only chromadb is imported here, not LangChain: a reader that looks chunks up by their metadata (a
customer's feedback on the customer card) starts without the rest of the knowledge store.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlparse

import chromadb
from chromadb.config import Settings as ChromaSettings


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


def open_collection(client: chromadb.ClientAPI, name: str, *, model_label: str) -> Any:
    """The collection `name` (created if missing) for vectors of EMBEDDING_MODEL `model_label`; StoreMismatch
    when it was built with another model."""
    collection = client.get_or_create_collection(
        name, metadata={"hnsw:space": "cosine", "embedding_model": model_label}, embedding_function=None
    )
    stored = (collection.metadata or {}).get("embedding_model")
    if stored and stored != model_label:
        raise StoreMismatch(
            f"the knowledge collection '{name}' was built with EMBEDDING_MODEL {stored!r}, but {model_label!r} is "
            "configured: run `advocate reindex` to rebuild it with the configured model, or set EMBEDDING_MODEL back"
        )
    return collection
