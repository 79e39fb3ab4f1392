"""Ingestion logic on real Chroma (embedded and server) and real SQLite and PostgreSQL, with LangChain's
deterministic fake embedding."""

from pathlib import Path

import pytest
from sqlalchemy import text

from advocate.services import Services
from knowledge.vector_store import KnowledgeStore

FEEDBACK = (
    "id,date,channel,customer_id,score,verbatim\n"
    "F1,2026-01-05,chat,C00001,9,The engineer texted me twenty minutes before arriving.\n"
    "F2,2026-01-06,phone,C00002,2,I was promised a callback on Tuesday and nobody rang.\n"
    "F3,2026-01-07,email,C00003,7,Fine overall but the bill was confusing.\n"
)


def pack(root: Path) -> Path:
    (root / "definition").mkdir(parents=True)
    (root / "feedback").mkdir()
    (root / "research").mkdir()
    (root / "definition" / "def.md").write_text(
        "# Our definition\n\n## The imperative\n\nEvery customer leaves better off than they came.\n\n"
        "## Promises\n\nWhen we say we will call back, we call back at the time we said.\n"
    )
    (root / "feedback" / "f.csv").write_text(FEEDBACK)
    (root / "research" / "note.txt").write_text("Survey timing\n\nShort surveys right after a call get more replies.\n")
    return root


def chunk_count(svc: Services) -> tuple[int, int, int]:
    """Chunks in the vector store, in the lexical index and in the record manager, for this collection."""
    lexical_table = "knowledge_fts" if svc.engine.dialect.name == "sqlite" else "knowledge_lexical"
    with svc.engine.connect() as conn:
        lexical = conn.execute(
            text(f"SELECT count(*) FROM {lexical_table} WHERE collection = :c"), {"c": svc.settings.collection}
        ).scalar_one()
        records = conn.execute(
            text("SELECT count(*) FROM upsertion_record WHERE namespace = :ns"),
            {"ns": svc.ingestor.record_manager.namespace},
        ).scalar_one()
    return svc.store.count(), lexical, records


def test_first_ingest_then_unchanged_adds_nothing(fake_services: Services, tmp_path: Path) -> None:
    root = pack(tmp_path / "pack")
    first = fake_services.ingestor.ingest([root])
    assert (first.added, first.updated, first.skipped, first.deleted, first.rejected) == (6, 0, 0, 0, 0)
    assert chunk_count(fake_services) == (6, 6, 6)
    second = fake_services.ingestor.ingest([root])
    assert (second.added, second.updated, second.skipped, second.deleted) == (0, 0, 6, 0)
    assert set(second.files.values()) == {"unchanged"}
    assert chunk_count(fake_services) == (6, 6, 6)


def test_every_chunk_carries_its_metadata(fake_services: Services, tmp_path: Path) -> None:
    root = pack(tmp_path / "pack")
    fake_services.ingestor.ingest([root])
    rows = fake_services.store.by_metadata({"kind": "feedback"})
    assert len(rows) == 3  # one row, one chunk
    f2 = next(r for r in rows if r.metadata["record_id"] == "F2")
    assert f2.text == "I was promised a callback on Tuesday and nobody rang."
    assert {k: f2.metadata[k] for k in ("customer_id", "score", "channel", "date", "visibility")} == {
        "customer_id": "C00002",
        "score": 2,
        "channel": "phone",
        "date": "2026-01-06",
        "visibility": "internal",
    }
    definition = fake_services.store.by_metadata({"kind": "definition"})
    assert {d.metadata["heading"] for d in definition} == {"The imperative", "Promises"}
    assert {d.metadata["title"] for d in definition} == {"Our definition"}
    assert all(d.metadata["source"].endswith("def.md") for d in definition)


def test_changed_file_replaces_its_chunks(fake_services: Services, tmp_path: Path) -> None:
    root = pack(tmp_path / "pack")
    fake_services.ingestor.ingest([root])
    csv = root / "feedback" / "f.csv"
    csv.write_text(
        FEEDBACK.replace("nobody rang", "nobody rang until Friday").replace(
            "F3,2026-01-07,email,C00003,7,Fine overall but the bill was confusing.\n", ""
        )
    )
    (root / "research" / "new.md").write_text("# New study\n\nCustomers read the first line of a text only.\n")
    summary = fake_services.ingestor.ingest([root])  # new, changed and unchanged files in one index() call
    assert (summary.added, summary.updated, summary.deleted, summary.skipped) == (1, 1, 2, 4)
    assert summary.files[str(Path("pack/feedback/f.csv"))] == "updated"
    assert summary.files[str(Path("pack/research/new.md"))] == "new"
    assert summary.files[str(Path("pack/definition/def.md"))] == "unchanged"
    texts = sorted(r.text for r in fake_services.store.by_metadata({"kind": "feedback"}))
    assert texts == [
        "I was promised a callback on Tuesday and nobody rang until Friday.",
        "The engineer texted me twenty minutes before arriving.",
    ]
    assert chunk_count(fake_services) == (6, 6, 6)


def test_chunk_keys_are_langchains_sha256_keys() -> None:
    # Stores written with key_encoder="sha256" must stay "unchanged" under the ingestor's own key.
    from langchain_core.documents import Document
    from langchain_core.indexing.api import _get_document_with_hash

    from knowledge.ingest import chunk_key

    doc = Document(page_content="Waited 40 minutes — again.", metadata={"source": "/x.csv", "score": 2, "z": None})
    assert chunk_key(doc) == _get_document_with_hash(doc, key_encoder="sha256").id


def test_prune_removes_chunks_of_deleted_files(fake_services: Services, tmp_path: Path) -> None:
    root = pack(tmp_path / "pack")
    fake_services.ingestor.ingest([root])
    (root / "research" / "note.txt").unlink()
    kept = fake_services.ingestor.ingest([root])
    assert chunk_count(fake_services)[0] == 6, "without --prune nothing is removed"
    assert kept.deleted == 0
    pruned = fake_services.ingestor.ingest([root], prune=True)
    assert pruned.deleted == 1
    assert chunk_count(fake_services) == (5, 5, 5)
    assert fake_services.store.lexical.search("surveys replies") == []


def test_bad_input_is_reported_and_the_rest_ingested(fake_services: Services, tmp_path: Path) -> None:
    root = pack(tmp_path / "pack")
    (root / "research" / "slides.pptx").write_bytes(b"PK\x03\x04")
    (root / "research" / "empty.md").write_text("")
    (root / "research" / "scan.pdf").write_bytes(b"%PDF-1.4 garbage")
    (root / "feedback" / "f.csv").write_text(FEEDBACK + "F4,2026-13-45,chat,C1,5,bad date here\n")
    (root / "loose.md").write_text("# No kind folder\n\nText.\n")
    summary = fake_services.ingestor.ingest([root, tmp_path / "missing"])
    found = {(Path(r.path).name, r.line): r.reason for r in summary.rejections}
    assert found.keys() == {
        ("slides.pptx", None),
        ("empty.md", None),
        ("scan.pdf", None),
        ("f.csv", 5),
        ("loose.md", None),
        ("missing", None),
    }
    assert "unknown file type '.pptx'" in found[("slides.pptx", None)]
    assert "empty" in found[("empty.md", None)]
    assert "cannot tell the kind" in found[("loose.md", None)]
    assert "not a date" in found[("f.csv", 5)]
    assert summary.added == 6  # the good files and rows all went in
    assert chunk_count(fake_services)[0] == 6


def test_restricted_flag_and_kind_override(fake_services: Services, tmp_path: Path) -> None:
    note = tmp_path / "board-note.md"
    note.write_text("# Board note\n\nPrice rise planned for April.\n")
    fake_services.ingestor.ingest([note], kind="research", visibility="restricted")
    [hit] = fake_services.store.by_metadata({"kind": "research"})
    assert hit.metadata["visibility"] == "restricted"
    assert fake_services.retriever.search("price rise april") == []  # internal-only by default
    assert len(fake_services.retriever.search("price rise april", visibilities=("internal", "restricted"))) == 1
    with pytest.raises(ValueError, match="unknown kind"):
        fake_services.ingestor.ingest([note], kind="memo")


@pytest.mark.parametrize("changed", [False, True])
def test_interrupted_ingest_is_finished_by_a_rerun(
    fake_services: Services, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, changed: bool
) -> None:
    root = pack(tmp_path / "pack")
    monkeypatch.setattr("knowledge.ingest.BATCH_CHUNKS", 1)  # one index() call per file: crash between files
    if changed:
        fake_services.ingestor.ingest([root])
        (root / "feedback" / "f.csv").write_text(FEEDBACK.replace("confusing", "confusing again"))
    real_add = KnowledgeStore.add_documents
    calls = {"n": 0}

    def add_then_crash(self, documents, **kwargs):  # type: ignore[no-untyped-def]
        ids = real_add(self, documents, **kwargs)
        calls["n"] += 1
        if calls["n"] == 2 or changed:
            raise KeyboardInterrupt  # the process dies after the vectors were written
        return ids

    monkeypatch.setattr(KnowledgeStore, "add_documents", add_then_crash)
    with pytest.raises(KeyboardInterrupt):
        fake_services.ingestor.ingest([root])
    monkeypatch.setattr(KnowledgeStore, "add_documents", real_add)
    fake_services.ingestor.ingest([root])
    assert chunk_count(fake_services) == (6, 6, 6)
    again = fake_services.ingestor.ingest([root])
    assert (again.added, again.updated, again.deleted, again.skipped) == (0, 0, 0, 6)


def test_filters_hold_when_the_unfiltered_net_misses(fake_services: Services, tmp_path: Path) -> None:
    from knowledge.vector_store import OVERFETCH, matches

    rows = "".join(
        f"F{n},2026-01-01,chat,C{n:05d},{n % 11},Row number {n} about waiting\n" for n in range(OVERFETCH + 80)
    )
    (tmp_path / "feedback").mkdir()
    (tmp_path / "feedback" / "many.csv").write_text("id,date,channel,customer_id,score,verbatim\n" + rows)
    (tmp_path / "research").mkdir()
    (tmp_path / "research" / "one.md").write_text("# Study\n\nA single research finding about zebras.\n")
    fake_services.ingestor.ingest([tmp_path / "feedback", tmp_path / "research"])
    found = fake_services.retriever.search("Row number 3 about waiting", k=3, kinds=["research"])
    assert [s.kind for s in found] == ["research"]
    praise = fake_services.retriever.search("Row number 3 about waiting", k=5, kinds=["feedback"], score_range=(9, 10))
    assert len(praise) == 5 and all(s.feedback_score in (9, 10) for s in praise)
    assert matches(
        {"kind": "feedback", "score": 4}, {"$and": [{"kind": {"$in": ["feedback"]}}, {"score": {"$lte": 6}}]}
    )
    assert not matches({"kind": "feedback"}, {"score": {"$gte": 0}})


def test_small_kinds_are_searched_exactly_and_never_stale(
    fake_services: Services, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import numpy as np

    import knowledge.vector_store as vector_store

    monkeypatch.setattr(vector_store, "EXACT_COLLECTION_MAX", 100)  # the collection itself is too large
    rows = "".join(f"F{n},2026-01-01,chat,C{n:05d},{n % 11},Row {n} about waiting\n"
                   for n in range(vector_store.OVERFETCH + 80))
    (tmp_path / "feedback").mkdir()
    (tmp_path / "feedback" / "many.csv").write_text("id,date,channel,customer_id,score,verbatim\n" + rows)
    research = tmp_path / "research"
    research.mkdir()
    for n in range(12):
        (research / f"study{n}.md").write_text(f"# Study {n}\n\nFinding number {n} about engineers and visits.\n")
    fake_services.ingestor.ingest([tmp_path / "feedback", research])
    store = fake_services.store
    filtered: list[dict] = []
    query = store.collection.query

    def counting_query(*args, **kwargs):  # type: ignore[no-untyped-def]
        if kwargs.get("where"):
            filtered.append(kwargs["where"])
        return query(*args, **kwargs)

    monkeypatch.setattr(store.collection, "query", counting_query)
    question = "Row 3 about waiting"  # the research is not in the unfiltered net's first places: asked apart
    vector = fake_services.retriever.embed_question(question)[0]
    found = store.dense_search_each(vector, wheres=[{"kind": {"$in": ["research"]}}], k=5, enough=[50])[0]
    assert not filtered, "a small kind needs no filtered Chroma query"
    every = store.collection.get(where={"kind": "research"}, include=["embeddings"])
    matrix = np.asarray(every["embeddings"])
    scores = matrix @ vector / (np.linalg.norm(matrix, axis=1) * np.linalg.norm(vector))  # cosine, as Chroma's
    exact = [every["ids"][i] for i in np.argsort(-scores)[:5]]
    assert [h.id for h in found] == exact
    assert abs(found[0].score - float(np.max(scores))) < 1e-5

    # A study rewritten and one deleted: the next search holds neither old passage.
    (research / "study0.md").write_text("# Study 0\n\nA rewritten finding about parcels.\n")
    (research / "study1.md").unlink()
    fake_services.ingestor.ingest([tmp_path / "feedback", research], prune=True)
    again = store.dense_search_each(vector, wheres=[{"kind": {"$in": ["research"]}}], k=20, enough=[50])[0]
    texts = {h.text for h in again}
    assert "A rewritten finding about parcels." in texts and len(again) == 11
    assert not any("Finding number 0 " in t or "Finding number 1 " in t for t in texts)

    # Kinds larger than the cap are asked of Chroma with a filter, as before.
    monkeypatch.setattr(vector_store, "EXACT_KINDS_MAX", 5)
    store._too_many.clear()
    store.dense_search_each(vector, wheres=[{"kind": {"$in": ["research"]}}], k=5, enough=[50])
    assert filtered and all(where == {"kind": {"$in": ["research"]}} for where in filtered)


def test_a_small_collection_is_searched_exactly_with_every_filter(
    fake_services: Services, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import numpy as np

    rows = "".join(f"F{n},2026-01-01,chat,C{n:05d},{n % 11},Row {n} about waiting\n" for n in range(300))
    (tmp_path / "many.csv").write_text("id,date,channel,customer_id,score,verbatim\n" + rows)
    fake_services.ingestor.ingest([tmp_path / "many.csv"])
    store = fake_services.store
    asked: list[object] = []
    query = store.collection.query

    def counting_query(*args, **kwargs):  # type: ignore[no-untyped-def]
        asked.append(kwargs.get("where"))
        return query(*args, **kwargs)

    monkeypatch.setattr(store.collection, "query", counting_query)
    vector = fake_services.retriever.embed_question("Row 7 about waiting")[0]
    praise = {"$and": [{"kind": {"$in": ["feedback"]}}, {"score": {"$gte": 9}}]}
    nearest, top_praise = store.dense_search_each(vector, wheres=[None, praise], k=10)
    assert not asked, "a small collection is never asked of Chroma's approximate index"
    every = store.collection.get(include=["embeddings", "metadatas"])
    matrix = np.asarray(every["embeddings"])
    scores = matrix @ vector / (np.linalg.norm(matrix, axis=1) * np.linalg.norm(vector))
    order = [every["ids"][i] for i in np.argsort(-scores, kind="stable")]
    assert [h.id for h in nearest] == order[:10]
    metadata_of = dict(zip(every["ids"], every["metadatas"], strict=True))
    assert [h.id for h in top_praise] == [cid for cid in order if metadata_of[cid]["score"] >= 9][:10]
    # The same answer every time: nothing approximate is left to vary between processes.
    assert [h.id for h in store.dense_search_each(vector, wheres=[None], k=10)[0]] == order[:10]
