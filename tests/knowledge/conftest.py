"""Store-facing knowledge tests run twice: on the embedded Chroma and on a real Chroma server."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from langchain_core.embeddings import DeterministicFakeEmbedding

from advocate.services import Services, build_services
from advocate.settings import Settings
from tests.chroma_server import ChromaServer


@pytest.fixture(scope="session")
def chroma_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ChromaServer]:
    server = ChromaServer(path=tmp_path_factory.mktemp("chroma-server"))
    try:
        server.start()
    except RuntimeError as exc:
        pytest.skip(f"no Chroma server: {exc}")
    yield server
    server.stop()


@pytest.fixture(params=["embedded-chroma", "chroma-server"])
def fake_services(
    request: pytest.FixtureRequest, tmp_path: Path, fake_embeddings: DeterministicFakeEmbedding
) -> Iterator[Services]:
    if request.param == "chroma-server":
        server: ChromaServer = request.getfixturevalue("chroma_server")
        # A collection per test: the server is shared by the whole session.
        settings = Settings(data_dir=tmp_path / "data", chroma_url=server.url, collection=f"t-{uuid.uuid4().hex[:12]}")
    else:
        settings = Settings(data_dir=tmp_path / "data")
    svc = build_services(settings, embedder=fake_embeddings)
    yield svc
    svc.close()
