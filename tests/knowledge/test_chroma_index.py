"""The knowledge collection's vector index: cosine, and searched widely enough to find the true nearest."""

from pathlib import Path

import numpy as np

from knowledge import chroma
from knowledge.chroma import DEFAULT_EF, SEARCH_EF, open_chroma, open_collection


def _hnsw(collection: object) -> dict:
    return (getattr(collection, "configuration", None) or {}).get("hnsw") or {}


def test_a_new_collection_is_cosine_and_searched_widely(tmp_path: Path) -> None:
    client = open_chroma(chroma_url="", path=str(tmp_path))
    collection = open_collection(client, "knowledge", model_label="model-a")
    assert _hnsw(collection)["space"] == "cosine"
    assert _hnsw(collection)["ef_search"] == SEARCH_EF


def test_a_collection_made_with_chromas_defaults_is_widened_when_opened(tmp_path: Path) -> None:
    client = open_chroma(chroma_url="", path=str(tmp_path))
    client.get_or_create_collection(
        "knowledge", metadata={"hnsw:space": "cosine", "embedding_model": "model-a"}, embedding_function=None
    )
    assert _hnsw(client.get_collection("knowledge"))["ef_search"] < SEARCH_EF
    open_collection(client, "knowledge", model_label="model-a")
    reopened = open_chroma(chroma_url="", path=str(tmp_path)).get_collection("knowledge")
    assert _hnsw(reopened)["ef_search"] == SEARCH_EF
    assert _hnsw(reopened)["space"] == "cosine"


def test_nearest_neighbours_are_found_as_an_exact_search_finds_them(tmp_path: Path) -> None:
    rng = np.random.default_rng(7)
    vectors = rng.normal(size=(3000, 64)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    client = open_chroma(chroma_url="", path=str(tmp_path))
    collection = open_collection(client, "knowledge", model_label="model-a")
    ids = [f"c{n}" for n in range(len(vectors))]
    for start in range(0, len(ids), 1000):
        collection.add(ids=ids[start:start + 1000], embeddings=vectors[start:start + 1000])
    queries = rng.normal(size=(30, 64)).astype(np.float32)
    found = wanted = 0
    for query in queries / np.linalg.norm(queries, axis=1, keepdims=True):
        exact = {ids[i] for i in np.argsort(-(vectors @ query))[:40]}
        result = collection.query(query_embeddings=[query], n_results=40, include=[])
        found += len(exact & set(result["ids"][0]))
        wanted += len(exact)
    print(f"recall@40 {found / wanted:.3f}")
    assert found / wanted >= 0.98


def test_a_large_collection_keeps_chromas_breadth_for_speed(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(chroma, "WIDE_SEARCH_MAX_CHUNKS", 5)
    client = open_chroma(chroma_url="", path=str(tmp_path))
    collection = open_collection(client, "knowledge", model_label="model-a")
    assert _hnsw(collection)["ef_search"] == SEARCH_EF
    collection.add(ids=[f"c{n}" for n in range(6)], embeddings=np.eye(6, 8, dtype=np.float32))
    assert _hnsw(open_collection(client, "knowledge", model_label="model-a"))["ef_search"] == DEFAULT_EF


def test_a_locked_database_delays_the_breadth_and_never_stops_the_store_opening(
    tmp_path: Path, monkeypatch, caplog  # type: ignore[no-untyped-def]
) -> None:
    import chromadb.errors

    monkeypatch.setattr(chroma, "MODIFY_PAUSES", (0.0, 0.0))
    client = open_chroma(chroma_url="", path=str(tmp_path))
    collection = open_collection(client, "knowledge", model_label="model-a")
    collection.add(ids=[f"c{n}" for n in range(6)], embeddings=np.eye(6, 8, dtype=np.float32))
    monkeypatch.setattr(chroma, "WIDE_SEARCH_MAX_CHUNKS", 5)
    real_modify = type(collection).modify
    failures = iter(["database is locked"] * 2)

    def locked_twice(self, **kwargs):  # type: ignore[no-untyped-def]
        # SQLite's answer while another writer (an ingest, Chroma's own compaction) holds the file.
        if (message := next(failures, None)) is not None:
            raise chromadb.errors.InternalError(f"Database error: error returned from database: (code: 5) {message}")
        return real_modify(self, **kwargs)

    monkeypatch.setattr(type(collection), "modify", locked_twice)
    assert _hnsw(open_collection(client, "knowledge", model_label="model-a"))["ef_search"] == DEFAULT_EF

    failures = iter(["database is locked"] * 10)
    with caplog.at_level("WARNING", logger="knowledge.chroma"):
        monkeypatch.setattr(chroma, "WIDE_SEARCH_MAX_CHUNKS", 20_000)
        opened = open_collection(client, "knowledge", model_label="model-a")
    assert opened.count() == 6, "a lock that outlasts the tries still opens the store"
    assert "locked by another writer" in caplog.text
