"""`advocate reindex`: a knowledge base built with one embedding model rebuilt with another, on real Chroma
(embedded and server) and real SQLite and PostgreSQL, with LangChain's deterministic fake embeddings of two
different sizes standing in for the two models."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest
from langchain_core.embeddings import DeterministicFakeEmbedding, Embeddings
from sqlalchemy import text

import bot.server
from advocate.services import Services, build_services
from advocate.settings import Settings, load_settings
from knowledge.chroma import StoreMismatch
from knowledge.lexical_index import LexicalIndex
from operations import reindex as operations_reindex
from operations.reindex import ReindexReport, get_collection, record_namespace
from records.collection_pointer import CollectionPointer
from tests.conftest import SAMPLE_PACK, run_cli, store_values
from tests.slack_api_server import SlackApiServer

STORE_VARIANTS = ["embedded-chroma", "chroma-server", "chroma-server+postgresql"]
FOLDERS = [SAMPLE_PACK / "definition", SAMPLE_PACK / "feedback", SAMPLE_PACK / "research"]
MODEL_A, MODEL_B = "fake-model-a", "fake-model-b"

MakeServices = Callable[..., Services]


@pytest.fixture(params=STORE_VARIANTS)
def make_services(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[MakeServices]:
    """Services on one store and records database, with the embedder and EMBEDDING_MODEL label given."""
    with ExitStack() as stack:
        values = {"data_dir": tmp_path / "data", **store_values(request, stack, request.param)}

        def make(embedder: Embeddings, model: str) -> Services:
            svc = build_services(Settings(**values, embedding_model=model), embedder=embedder)
            stack.callback(svc.close)
            return svc

        yield make


def reindex(svc: Services, **options: Any) -> ReindexReport:
    """Reindex the knowledge base `svc` is configured for, with its embedder."""
    return operations_reindex.reindex(
        engine=svc.records.engine, client=svc.store.client, embedder=svc.embedder, collection=svc.settings.collection,
        embedding_model=svc.settings.embedding_model, **options,
    )


def drop_retired(svc: Services) -> list[str]:
    return operations_reindex.drop_retired(
        engine=svc.records.engine, client=svc.store.client, collection=svc.settings.collection
    )


def record_keys(svc: Services, collection: str) -> set[str]:
    with svc.engine.connect() as conn:
        rows = conn.execute(
            text("SELECT key FROM upsertion_record WHERE namespace = :ns"), {"ns": record_namespace(collection)}
        ).all()
    return {r[0] for r in rows}


def built_with_a(make_services: MakeServices) -> tuple[Services, dict[str, str]]:
    """The sample definition, feedback and research ingested with model A; returns a few chunks by id."""
    svc = make_services(DeterministicFakeEmbedding(size=32), MODEL_A)
    summary = svc.ingestor.ingest(FOLDERS)
    assert summary.rejected == 0 and summary.added > 50
    sample = svc.store.collection.get(limit=5, offset=20, include=["documents"])
    return svc, dict(zip(sample["ids"], sample["documents"], strict=True))


def test_reindex_rebuilds_with_the_new_model_and_switches(make_services: MakeServices) -> None:
    a, chunks = built_with_a(make_services)
    old_name = a.store.collection_name
    count, keys = a.store.count(), record_keys(a, old_name)
    assert count == len(keys)
    lexical_before = a.store.lexical.search("callback chatbot", k=500)
    assert lexical_before

    b = make_services(DeterministicFakeEmbedding(size=48), MODEL_B)
    with pytest.raises(StoreMismatch, match="run `advocate reindex`"):
        b.store.count()  # the mismatch is found at start, and says what to do
    progress: list[tuple[int, int]] = []
    report = reindex(b, page=64, on_progress=lambda done, total: progress.append((done, total)))
    assert (report.old, report.chunks, report.records, report.dropped) == (old_name, count, count, [old_name])
    assert progress[-1] == (count, count) and len(progress) > 3

    # A process started now opens the new collection: 48-dimensional vectors, the same chunks.
    fresh = make_services(DeterministicFakeEmbedding(size=48), MODEL_B)
    assert fresh.store.collection_name == report.new != old_name
    assert fresh.store.count() == count
    vectors = fresh.store.collection.get(limit=1, include=["embeddings"])["embeddings"]
    assert len(vectors[0]) == 48
    for chunk_id, chunk_text in chunks.items():
        # The fake embedding gives a text the same vector every time: its own chunk is the nearest.
        hits = fresh.store.similarity_search(chunk_text, k=1)
        assert hits[0].id == chunk_id

    # The record manager still knows every chunk: ingesting the same files again changes nothing.
    assert record_keys(fresh, report.new) == keys
    again = fresh.ingestor.ingest(FOLDERS)
    assert (again.added, again.updated, again.deleted, again.skipped) == (0, 0, 0, count)
    assert fresh.store.count() == count

    # Keyword search works on the new collection, as it did on the old one.
    assert sorted(fresh.store.lexical.search("callback chatbot", k=500)) == sorted(lexical_before)  # ties: any order
    assert fresh.retriever.search("callback promises", k=5)

    # The old collection is gone, with its lexical rows and record-manager rows.
    assert get_collection(fresh.store.client, old_name) is None
    assert LexicalIndex(engine=fresh.engine, collection=old_name).search("callback chatbot") == []
    assert record_keys(fresh, old_name) == set()


def test_a_failure_halfway_leaves_the_old_collection_live(make_services: MakeServices) -> None:
    a, chunks = built_with_a(make_services)
    old_name, count = a.store.collection_name, a.store.count()

    class BreaksHalfway(DeterministicFakeEmbedding):
        calls: int = 0

        def embed_documents(self, texts: list[str]) -> list[list[float]]:
            self.calls += 1
            if self.calls == 3:
                raise RuntimeError("the new model fell over")
            return super().embed_documents(texts)

    b = make_services(BreaksHalfway(size=48), MODEL_B)
    with pytest.raises(RuntimeError, match="fell over"):
        reindex(b, page=32)

    pointer = CollectionPointer(engine=a.engine)
    assert pointer.state(a.settings.collection).live == old_name
    assert pointer.state(a.settings.collection).building is None
    # The half-built collection was removed; the old one is whole and searchable with model A.
    prefix = f"{a.settings.collection}-r"
    assert not [c.name for c in a.store.client.list_collections() if c.name.startswith(prefix)]
    again_a = make_services(DeterministicFakeEmbedding(size=32), MODEL_A)
    assert again_a.store.collection_name == old_name and again_a.store.count() == count
    chunk_id, chunk_text = next(iter(chunks.items()))
    assert again_a.store.similarity_search(chunk_text, k=1)[0].id == chunk_id
    assert again_a.store.lexical.search("callback", k=5)

    # A run that died without cleaning up (killed) leaves a marked collection; the next run removes it.
    leftover = f"{a.settings.collection}-rleftover"
    again_a.store.client.create_collection(leftover, embedding_function=None)
    pointer.set_building(a.settings.collection, leftover)
    report = reindex(make_services(DeterministicFakeEmbedding(size=48), MODEL_B), page=256)
    assert report.chunks == count
    assert get_collection(again_a.store.client, leftover) is None
    assert pointer.live(a.settings.collection) == report.new


def test_keep_old_then_drop_old(make_services: MakeServices) -> None:
    a, _ = built_with_a(make_services)
    old_name = a.store.collection_name
    b = make_services(DeterministicFakeEmbedding(size=48), MODEL_B)
    report = reindex(b, keep_old=True)
    assert report.dropped == [] and "kept" in report.line()
    assert get_collection(b.store.client, old_name) is not None  # a process still on the old one keeps working
    assert drop_retired(b) == [old_name]
    assert get_collection(b.store.client, old_name) is None
    assert record_keys(b, old_name) == set()
    assert drop_retired(b) == []

    # A second reindex (back to model A) starts from the collection the first one made live.
    second = reindex(make_services(DeterministicFakeEmbedding(size=32), MODEL_A))
    assert second.old == report.new and second.chunks == report.chunks


# -- the command -------------------------------------------------------------------------------------------
def test_the_command(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data", embedding_model=MODEL_A)
    a = build_services(settings, embedder=DeterministicFakeEmbedding(size=32))
    nothing = run_cli("reindex", services=a)
    assert nothing.exit_code == 0 and "nothing to reindex" in nothing.stdout
    a.ingestor.ingest([SAMPLE_PACK / "definition"])
    count = a.store.count()
    a.close()

    b = build_services(Settings(data_dir=tmp_path / "data", embedding_model=MODEL_B),
                       embedder=DeterministicFakeEmbedding(size=48))
    mismatch = run_cli("ask", "--passages", "callbacks", services=b)
    assert mismatch.exit_code == 1
    assert "was built with EMBEDDING_MODEL 'fake-model-a'" in mismatch.stderr
    assert "run `advocate reindex`" in mismatch.stderr
    done = run_cli("reindex", services=b)
    assert done.exit_code == 0, done.stderr
    assert f"reindexed {count} chunks" in done.stdout and "deleted advocate_knowledge" in done.stdout
    assert "restart the Slack app" in done.stderr
    b.close()

    c = build_services(Settings(data_dir=tmp_path / "data", embedding_model=MODEL_B),
                       embedder=DeterministicFakeEmbedding(size=48))
    found = run_cli("ask", "--passages", "--json", "keep promises call back", services=c)
    assert found.exit_code == 0, found.stderr
    assert '"sources": [{' in found.stdout
    c.close()


def test_serve_refuses_a_collection_of_another_model(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, slack_api: SlackApiServer
) -> None:
    a = build_services(Settings(data_dir=tmp_path / "data", embedding_model=MODEL_A),
                       embedder=DeterministicFakeEmbedding(size=32))
    a.ingestor.ingest([SAMPLE_PACK / "definition"])
    a.close()
    for name, value in (("ADVOCATE_DATA_DIR", str(tmp_path / "data")), ("EMBEDDING_MODEL", MODEL_B),
                        ("SLACK_BOT_TOKEN", "xoxb-1234567890-abcdefghij"), ("SLACK_API_URL", slack_api.url),
                        ("SLACK_SIGNING_SECRET", "8f742231b10e8888abcd99yyyzzz85a5")):
        monkeypatch.setenv(name, value)
    svc = build_services(load_settings(), embedder=DeterministicFakeEmbedding(size=48))
    monkeypatch.setattr(bot.server, "run_http", lambda *args, **kwargs: pytest.fail("served a mismatched store"))
    result = run_cli("serve", "--http", "--port", "3999", services=svc)
    assert result.exit_code == 1
    assert "run `advocate reindex`" in result.stderr
    svc.close()
