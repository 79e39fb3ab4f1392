"""Store-facing knowledge tests run three times: on the embedded Chroma with SQLite records (the laptop
default), on a real Chroma server with SQLite, and on the Chroma server with PostgreSQL (a production
deployment: the record manager and the lexical index in PostgreSQL). Not the full cross product: the
embedded Chroma with PostgreSQL adds time and exercises nothing the other three do not.

The `chroma_server` session fixture lives in tests/conftest.py; each test gets a collection of its own
on it, and a fresh PostgreSQL schema (dropped afterwards). Either one missing skips that variant, with
the reason.

The retrieval tests on the real model (`sample_stores`) run on the embedded default and on the Chroma
server with PostgreSQL: PostgreSQL ranks keywords its own way (tsvector, ts_rank_cd), so the quality
floors must hold there too.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest
from hypothesis import settings
from langchain_core.embeddings import DeterministicFakeEmbedding, Embeddings

from advocate.services import Services, build_services
from advocate.settings import Settings
from tests.chroma_server import ChromaServer
from tests.conftest import SAMPLE_FOLDERS, SAMPLE_PACK, store_values
from tests.databases import fresh_postgres_schema

STORE_VARIANTS = ["embedded-chroma", "chroma-server", "chroma-server+postgresql"]

# Property-based tests of the parsers (marked `fuzz`): a few hundred examples, the same ones every run, in
# the normal suite; `-m fuzz` runs only them, with thousands of fresh examples each. No example database:
# a failure prints the example to add as a regression test.
settings.register_profile("properties", max_examples=200, deadline=None, derandomize=True, database=None)
settings.register_profile("fuzz", max_examples=5000, deadline=None, database=None, print_blob=True)


def pytest_configure(config: pytest.Config) -> None:
    selected = " ".join(str(config.getoption("markexpr", "") or "").split())
    settings.load_profile("fuzz" if selected == "fuzz" else "properties")


@pytest.fixture(params=STORE_VARIANTS)
def fake_services(
    request: pytest.FixtureRequest, tmp_path: Path, fake_embeddings: DeterministicFakeEmbedding
) -> Iterator[Services]:
    with ExitStack() as stack:
        values = {"data_dir": tmp_path / "data", **store_values(request, stack, request.param)}
        svc = build_services(Settings(**values), embedder=fake_embeddings)
        stack.callback(svc.close)
        yield svc


class KnownVectors(Embeddings):
    """Vectors the real model already computed for these texts (read back from a store); the model only
    for texts it has not seen. Lets a second store take the sample pack through the real ingest path
    without embedding it all again."""

    def __init__(self, *, known: dict[str, list[float]], model: Embeddings) -> None:
        # Text → vector, as the model embedded it.
        self.known = known
        # The real model, for anything else.
        self.model = model

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        missing = [t for t in dict.fromkeys(texts) if t not in self.known]
        if missing:
            self.known.update(zip(missing, self.model.embed_documents(missing), strict=True))
        return [self.known[t] for t in texts]

    def embed_query(self, text: str) -> list[float]:
        return self.model.embed_query(text)


@pytest.fixture(scope="session")
def sample_services_on_server(
    sample_services: Services,
    chroma_server: ChromaServer,
    postgres_server_url: str,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Services]:
    """The sample pack ingested into the Chroma server with the records (record manager, lexical index)
    in PostgreSQL: the same knowledge as `sample_services`, on a production deployment's stores."""
    assert sample_services.embedder is not None
    stored = sample_services.store.collection.get(include=["documents", "embeddings"])
    known = {doc: [float(x) for x in vector] for doc, vector in zip(stored["documents"], stored["embeddings"],
                                                                     strict=True)}
    with fresh_postgres_schema(postgres_server_url) as database_url:
        settings = Settings(data_dir=tmp_path_factory.mktemp("sample-on-server"), chroma_url=chroma_server.url,
                            database_url=database_url, collection=f"sample-{uuid.uuid4().hex[:12]}")
        svc = build_services(settings, embedder=sample_services.embedder)
        try:
            svc.store.embedder = KnownVectors(known=known, model=sample_services.embedder)
            summary = svc.ingestor.ingest([SAMPLE_PACK / name for name in SAMPLE_FOLDERS])
            svc.store.embedder = sample_services.embedder
            assert summary.rejected == 0, summary.rejections
            assert svc.store.count() == sample_services.store.count()
            yield svc
        finally:
            svc.close()


@pytest.fixture(params=["embedded-chroma", "chroma-server+postgresql"])
def sample_stores(request: pytest.FixtureRequest) -> Services:
    """The sample pack on the laptop default stores, and on the Chroma server with PostgreSQL."""
    if request.param == "embedded-chroma":
        return request.getfixturevalue("sample_services")
    return request.getfixturevalue("sample_services_on_server")
