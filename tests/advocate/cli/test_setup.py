"""`advocate init` as a newcomer meets it: by flags in a script, or answering its questions."""

from __future__ import annotations

from pathlib import Path

import pytest

from advocate.services import Services, build_services
from advocate.settings import load_settings
from knowledge.embeddings import SentenceTransformerEmbeddings
from tests.conftest import SAMPLE_PACK, run_cli

FLAGS = ("--definition", str(SAMPLE_PACK / "definition"), "--research", str(SAMPLE_PACK / "research"),
         "--feedback", str(SAMPLE_PACK / "feedback" / "feedback.csv"),
         "--customers", str(SAMPLE_PACK / "customers.csv"))


@pytest.mark.slow
@pytest.mark.usefixtures("on_a_monday")
def test_by_flags_sets_up_an_empty_data_dir_with_the_sample_pack(
    tmp_path: Path, real_embedder: SentenceTransformerEmbeddings
) -> None:
    svc = build_services(load_settings(), embedder=real_embedder)  # ADVOCATE_DATA_DIR: a new folder
    try:
        result = run_cli("init", *FLAGS, services=svc)  # stdin is not a terminal: no questions
    finally:
        svc.close()
    assert result.exit_code == 0, result.stderr
    assert "Set up Advocate" not in result.stderr
    lines = result.stdout.splitlines()
    assert "definition: added 17, updated 0, skipped 0, deleted 0, rejected 0" in lines
    assert "research: added 83, updated 0, skipped 0, deleted 0, rejected 0" in lines
    assert "feedback: added 404, updated 0, skipped 0, deleted 0, rejected 0" in lines
    assert "customers: added 2200, updated 0, unchanged 0, rejected 0" in lines
    assert "A sample brief from what is now in the knowledge base (504 chunks)" in result.stderr
    assert "What our definition says" in result.stdout and "Sources" in result.stdout
    assert "Next steps" in result.stdout and "manifest.json" in result.stdout and ".env" in result.stdout
    assert "advocate advocates add SLACK_USER_ID FUNCTION" in result.stdout
    assert "Add your customer definition" not in result.stdout
    assert "writer:" not in result.stdout + result.stderr and "(s)" not in result.stdout
    assert (tmp_path / "data" / "chroma").is_dir()


def test_a_data_dir_with_knowledge_is_refused_unless_adding(fake_services: Services) -> None:
    first = run_cli("init", "--definition", str(SAMPLE_PACK / "definition"), services=fake_services)
    assert first.exit_code == 0, first.stderr
    again = run_cli("init", "--definition", str(SAMPLE_PACK / "definition"), services=fake_services)
    assert again.exit_code == 1
    assert again.stderr.startswith(f"error: the data dir {fake_services.settings.data_dir.resolve()} already holds "
                                   "a knowledge base (17 chunks)")
    assert "`advocate init --add`" in again.stderr and again.stdout == ""
    added = run_cli("init", "--add", "--yes", "--customers", str(SAMPLE_PACK / "customers.csv"),
                    services=fake_services)
    assert added.exit_code == 0, added.stderr
    assert "customers: added 2200, updated 0, unchanged 0, rejected 0" in added.stdout
    assert "Add your customer definition" not in added.stdout  # it is in the knowledge base already


def test_answers_on_stdin_with_a_wrong_path_asked_again(fake_services: Services) -> None:
    answers = "\n".join(["no/[such]/definition.md", str(SAMPLE_PACK / "definition"), "", "",
                         str(SAMPLE_PACK / "customers.csv")]) + "\n"
    result = run_cli("init", "--ask", "--question", "Should we close the phone line at weekends?",
                     services=fake_services, input=answers)
    assert result.exit_code == 0, result.stderr
    assert "Set up Advocate: four questions" in result.stderr
    assert "no/[such]/definition.md does not exist" in result.stderr  # as typed, not read as markup
    assert result.stdout.splitlines()[:2] == ["definition: added 17, updated 0, skipped 0, deleted 0, rejected 0",
                                              "customers: added 2200, updated 0, unchanged 0, rejected 0"]
    assert "research:" not in result.stdout and "feedback:" not in result.stdout
    assert "Should we close the phone line at weekends?" in result.stdout and "Next steps" in result.stdout
    assert fake_services.records.customers.get("C00105") is not None


def test_a_flag_is_the_default_answer_and_no_definition_is_a_next_step(fake_services: Services) -> None:
    answers = "\n\n\n\n"  # Enter four times: keep the flag's answer, skip the rest
    result = run_cli("init", "--ask", "--feedback", str(SAMPLE_PACK / "feedback" / "feedback.csv"),
                     services=fake_services, input=answers)
    assert result.exit_code == 0, result.stderr
    assert result.stdout.splitlines()[0] == "feedback: added 404, updated 0, skipped 0, deleted 0, rejected 0"
    assert "0. Add your customer definition when you have it" in result.stdout


def test_bad_or_missing_answers_stop_before_anything_is_stored(fake_services: Services) -> None:
    missing = run_cli("init", "--yes", "--research", "no/such/folder", services=fake_services)
    assert missing.exit_code == 2 and missing.stderr.startswith("error: --research no/such/folder: no such file")
    nothing = run_cli("init", "--yes", services=fake_services)
    assert nothing.exit_code == 2 and "nothing to set up" in nothing.stderr
    assert fake_services.store.count() == 0
