"""Shared fixtures.

Tests about meaning use the real packaged model (loaded once per session); tests about logic use
LangChain's deterministic fake embedding, which is fast and gives the same vector for the same text.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest
from langchain_core.embeddings import DeterministicFakeEmbedding
from typer.testing import CliRunner, Result

from advocate.services import Services, build_services
from advocate.settings import Settings
from knowledge.embeddings import SentenceTransformerEmbeddings
from tests.chroma_server import ChromaServer
from tests.databases import POSTGRES_HINT, available_postgres, fresh_postgres_schema
from tests.slack_api_server import SlackApiServer

REPO = Path(__file__).resolve().parent.parent
SAMPLE_PACK = REPO / "knowledge" / "sample"
SAMPLE_FOLDERS = ("definition", "culture", "research", "feedback", "transcripts")
SEEDS = REPO.parent / "shared" / "seeds"


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    # No developer .env or shell setting may leak into a test.
    for name in (
        "ADVOCATE_DATA_DIR",
        "DATABASE_URL",
        "CHROMA_URL",
        "EMBEDDING_MODEL",
        "LLM_MODEL",
        "ADVOCATE_COLLECTION",
        "LLM_TIMEOUT",
    ):
        monkeypatch.delenv(name, raising=False)
    # Every other setting too (Slack, schedules, milestones…): whatever Settings reads.
    for info in Settings.model_fields.values():
        if isinstance(info.validation_alias, str):
            monkeypatch.delenv(info.validation_alias, raising=False)
    monkeypatch.chdir(tmp_path)


def run_cli(*args: str, services: Services | None = None, input: str | None = None) -> Result:
    """`advocate ARGS` run in this process as a user runs it: its services built from the settings in the
    environment (and closed when it ends), or the `services` given (left open for the test)."""
    from advocate.cli import app
    from advocate.cli.context import LazyServices

    return CliRunner().invoke(app, list(args), obj=LazyServices.of(services) if services else None, input=input)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path / "data")


@pytest.fixture
def fake_embeddings() -> DeterministicFakeEmbedding:
    return DeterministicFakeEmbedding(size=64)


@pytest.fixture
def fake_services(settings: Settings, fake_embeddings: DeterministicFakeEmbedding) -> Iterator[Services]:
    svc = build_services(settings, embedder=fake_embeddings)
    yield svc
    svc.close()


@pytest.fixture(scope="session")
def real_embedder() -> SentenceTransformerEmbeddings:
    return SentenceTransformerEmbeddings()


@pytest.fixture
def real_services(settings: Settings, real_embedder: SentenceTransformerEmbeddings) -> Iterator[Services]:
    svc = build_services(settings, embedder=real_embedder)
    yield svc
    svc.close()


@pytest.fixture(scope="session")
def sample_services(
    tmp_path_factory: pytest.TempPathFactory, real_embedder: SentenceTransformerEmbeddings
) -> Iterator[Services]:
    """The whole sample pack ingested once, with the real model, for tests about meaning."""
    data = tmp_path_factory.mktemp("sample-data")
    svc = build_services(Settings(data_dir=data), embedder=real_embedder)
    summary = svc.ingestor.ingest([SAMPLE_PACK / name for name in SAMPLE_FOLDERS])
    assert summary.rejected == 0, summary.rejections
    yield svc
    svc.close()


def write_pdf(path: Path, title: str, paragraphs: list[str]) -> Path:
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 16)
    pdf.multi_cell(0, 10, title)
    pdf.ln(4)
    pdf.set_font("Helvetica", size=11)
    for paragraph in paragraphs:
        pdf.multi_cell(0, 6, paragraph)
        pdf.ln(4)
    pdf.output(str(path))
    return path


def write_docx(path: Path, title: str, sections: dict[str, list[str]]) -> Path:
    import docx

    document = docx.Document()
    document.add_heading(title, level=1)
    for heading, paragraphs in sections.items():
        document.add_heading(heading, level=2)
        for paragraph in paragraphs:
            document.add_paragraph(paragraph)
    document.save(str(path))
    return path


# -- records databases and the local Slack API (reusable by the Slack app's tests) ------------------------
@pytest.fixture
def slack_api() -> Iterator[SlackApiServer]:
    """A local Slack Web API on 127.0.0.1 that records every request (tests/slack_api_server.py)."""
    server = SlackApiServer().start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def chroma_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ChromaServer]:
    """A real Chroma server (`chroma run` on a free loopback port) for the whole session, or skip.

    Tests sharing it each use a collection of their own."""
    server = ChromaServer(path=tmp_path_factory.mktemp("chroma-server"))
    try:
        server.start()
    except RuntimeError as exc:
        pytest.skip(f"no Chroma server: {exc}")
    yield server
    server.stop()


@pytest.fixture(scope="session")
def postgres_server_url() -> str:
    """A PostgreSQL that answers (TEST_POSTGRES_URL, else 127.0.0.1:5432 database test), or skip."""
    url = available_postgres()
    if url is None:
        pytest.skip(f"no PostgreSQL answers: {POSTGRES_HINT}")
    return url


@pytest.fixture
def postgres_url(postgres_server_url: str) -> Iterator[str]:
    """A fresh schema for this test on the PostgreSQL server, dropped afterwards."""
    with fresh_postgres_schema(postgres_server_url) as url:
        yield url


def store_values(request: pytest.FixtureRequest, stack: ExitStack, variant: str) -> dict[str, object]:
    """The Settings values that put a test on a store variant: `embedded-chroma` (nothing to set),
    `chroma-server` (a collection of its own on the session's Chroma server), `…+postgresql` (records,
    the record manager and the lexical index in a fresh PostgreSQL schema, dropped when `stack` closes).
    A missing server skips the test, with the reason."""
    values: dict[str, object] = {}
    if variant.startswith("chroma-server"):
        server: ChromaServer = request.getfixturevalue("chroma_server")
        values.update(chroma_url=server.url, collection=f"t-{uuid.uuid4().hex[:12]}")
    if variant.endswith("+postgresql"):
        postgres: str = request.getfixturevalue("postgres_server_url")
        values["database_url"] = stack.enter_context(fresh_postgres_schema(postgres))
    return values


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The records database, once on SQLite (a file in tmp_path) and once on PostgreSQL (a fresh schema)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'records.sqlite'}"
        return
    server = request.getfixturevalue("postgres_server_url")
    with fresh_postgres_schema(server) as url:
        yield url


@pytest.fixture
def records_services(
    database_url: str, tmp_path: Path, fake_embeddings: DeterministicFakeEmbedding, slack_api: SlackApiServer
) -> Iterator[Services]:
    """Services on a fresh records database (SQLite or PostgreSQL), Slack pointed at the local server."""
    svc = build_services(
        Settings(
            data_dir=tmp_path / "data",
            database_url=database_url,
            slack_bot_token="xoxb-test-token",
            slack_api_url=slack_api.url,
            slack_retry_seconds=2,  # a Slack that keeps failing is given up on in seconds, not minutes
        ),
        embedder=fake_embeddings,
    )
    yield svc
    svc.close()

