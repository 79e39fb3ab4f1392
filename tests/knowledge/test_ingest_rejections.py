"""`advocate ingest` on bad input beside good: damaged documents, a feedback export with an unclosed quote
and a repeated id. One line per rejection naming the file (and line) and what to do, exit code 2, no
traceback, and the good files and rows stored. Real embedded Chroma and SQLite, LangChain's deterministic
fake embedding."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from langchain_core.embeddings import DeterministicFakeEmbedding

from advocate.cli.console import EXIT_BAD_INPUT as EXIT_REJECTED
from advocate.services import Services, build_services
from advocate.settings import Settings
from tests.conftest import run_cli
from tests.knowledge.damaged_files import DAMAGED


@pytest.fixture
def one_store(tmp_path: Path, fake_embeddings: DeterministicFakeEmbedding) -> Iterator[Services]:
    svc = build_services(Settings(data_dir=tmp_path / "data"), embedder=fake_embeddings)
    yield svc
    svc.close()


def test_damaged_documents_are_rejected_one_line_each_and_the_rest_ingested(
    one_store: Services, tmp_path: Path
) -> None:
    research = tmp_path / "pack" / "research"
    research.mkdir(parents=True)
    for name, make in DAMAGED.items():
        make(research / name)
    (research / "good.md").write_text("# Weekend calls\n\nCustomers who phone at weekends want a person.\n")

    result = run_cli("ingest", str(tmp_path / "pack"), services=one_store)

    assert result.exit_code == EXIT_REJECTED == 2, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert "Traceback" not in result.output
    rejected = [line for line in result.stderr.splitlines() if "rejected" in line]
    named = [re.search(r"(\S+\.(?:docx|pdf)): ", line) for line in rejected]
    assert sorted(Path(match.group(1)).name for match in named if match) == sorted(DAMAGED)
    assert len(rejected) == len(DAMAGED)
    assert all(("save" in line or "export" in line) for line in rejected), rejected
    assert "added 1," in result.stdout and "rejected 6" in result.stdout
    assert one_store.store.count() == 1


def test_an_unclosed_quote_is_rejected_by_file_and_line_and_the_other_rows_stored(
    one_store: Services, tmp_path: Path
) -> None:
    feedback = tmp_path / "feedback"
    feedback.mkdir()
    (feedback / "export.csv").write_text(
        "id,score,verbatim\n"
        'F1,4,"The engineer never came\n'
        "F2,9,The new app is quick\n"
        "F3,2,Nobody called back\n"
        "F3,2,Nobody called back\n"
    )

    result = run_cli("ingest", str(feedback), services=one_store)

    assert result.exit_code == EXIT_REJECTED, result.output
    rejected = [line for line in result.stderr.splitlines() if "rejected" in line]
    assert len(rejected) == 2
    assert "export.csv:2: a quote opened in this row is never closed" in rejected[0]
    assert "export.csv:5: duplicate id 'F3': first seen on line 4" in rejected[1]
    assert "added 2," in result.stdout
    stored = sorted(hit.text for hit in one_store.store.by_metadata({"kind": "feedback"}))
    assert stored == ["Nobody called back", "The new app is quick"]
