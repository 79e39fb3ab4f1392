"""Shared fixtures.

Tests about meaning use the real packaged model (loaded once per session); tests about logic use
LangChain's deterministic fake embedding, which is fast and gives the same vector for the same text.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from langchain_core.embeddings import DeterministicFakeEmbedding

from advocate.services import Services, build_services
from advocate.settings import Settings
from knowledge.embeddings import SentenceTransformerEmbeddings

REPO = Path(__file__).resolve().parent.parent
SAMPLE_PACK = REPO / "knowledge" / "sample"
SAMPLE_FOLDERS = ("definition", "culture", "research", "feedback", "transcripts")
SEEDS = REPO.parent / "shared" / "seeds"


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    # No developer .env or shell setting may leak into a test.
    for name in ("ADVOCATE_DATA_DIR", "DATABASE_URL", "CHROMA_URL", "EMBEDDING_MODEL", "LLM_MODEL",
                 "ADVOCATE_COLLECTION", "LLM_TIMEOUT"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)


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
def sample_services(tmp_path_factory: pytest.TempPathFactory, real_embedder: SentenceTransformerEmbeddings) -> Iterator[Services]:
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
