"""`advocate ingest|ask|eval` as a user runs them: exit codes, stdout/stderr, the JSON contract."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from advocate.services import Services
from tests.conftest import SAMPLE_PACK
from tests.conftest import run_cli as invoke


def test_ingest_summary_and_exit_code_for_rejections(tmp_path: Path) -> None:
    research = tmp_path / "research"
    research.mkdir()
    (research / "a.md").write_text("# A\n\nCallbacks matter to people who wait for them.\n")
    (research / "b.xyz").write_text("what is this")
    result = invoke("ingest", str(research))
    assert result.exit_code == 2
    assert "added 1, updated 0, skipped 0, deleted 0, rejected 1" in result.stdout
    assert "b.xyz: unknown file type '.xyz'" in result.stderr
    again = invoke("ingest", str(research / "a.md"))
    assert again.exit_code == 0
    assert "added 0, updated 0, skipped 1, deleted 0, rejected 0" in again.stdout


def test_ingest_bad_arguments(tmp_path: Path) -> None:
    result = invoke("ingest", str(tmp_path), "--kind", "memo")
    assert result.exit_code == 2 and "--kind 'memo' is not a kind" in result.stderr
    result = invoke("ingest", str(tmp_path), "--map", "nonsense")
    assert result.exit_code == 2 and "expected column=field" in result.stderr


def test_empty_and_huge_questions_are_refused() -> None:
    empty = invoke("ask", "   ")
    assert empty.exit_code == 2 and "the question is empty" in empty.stderr
    hello = invoke("ask", "Hello there!")
    assert hello.exit_code == 2 and "“Hello there!” names no decision" in hello.stderr
    huge = invoke("ask", "x" * 5000)
    assert huge.exit_code == 2 and "keep it under 4,000" in huge.stderr


def test_bad_setting_stops_the_command(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CHROMA_URL", "chroma.internal:8000")
    result = invoke("ask", "close the shop on Sundays")
    assert result.exit_code == 2
    assert result.stderr.strip().splitlines() == [
        "error: setting CHROMA_URL is invalid: expected http://host:port of a Chroma server, or leave it unset"
    ]


def test_eval_retrieval_reports_bad_case_files(tmp_path: Path) -> None:
    cases = tmp_path / "cases.jsonl"
    cases.write_text('{"q": "x", "expect": ["y"]}\n{"q": 1}\n')
    result = invoke("eval", "retrieval", str(cases))
    assert result.exit_code == 2 and "cases.jsonl:2" in result.stderr


@pytest.mark.slow
def test_ask_json_is_exactly_one_object_on_stdout(tmp_path: Path) -> None:
    """A real process: the contract is about what reaches stdout, so nothing may leak into it."""
    env = {**os.environ, "ADVOCATE_DATA_DIR": str(tmp_path / "data")}
    command = [sys.executable, "-m", "advocate.cli"]
    ingest = subprocess.run(
        [*command, "ingest", str(SAMPLE_PACK / "definition"), str(SAMPLE_PACK / "feedback")],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert ingest.returncode == 0, ingest.stderr
    asked = subprocess.run(
        [
            *command,
            "ask",
            "We want to stop calling customers back and use a chatbot instead",
            "--json",
            "--passages",
            "-k",
            "5",
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert asked.returncode == 0, asked.stderr
    payload = json.loads(asked.stdout)  # fails if anything else is on stdout
    assert payload["question"].startswith("We want to stop calling")
    assert len(payload["sources"]) == 5
    for source in payload["sources"]:
        assert {"id", "kind", "source", "title", "text", "score", "customer_id", "date", "channel"} <= source.keys()
        assert source["kind"] in {"definition", "feedback"}
    scores = [s["score"] for s in payload["sources"]]
    assert scores == sorted(scores, reverse=True)


def test_a_question_with_square_brackets_is_shown_as_typed(fake_services: Services, tmp_path: Path) -> None:
    (tmp_path / "definition.md").write_text("# Our definition\n\nPremium customers keep their callbacks.\n")
    assert invoke("ingest", str(tmp_path / "definition.md"), "--kind", "definition",
                   services=fake_services).exit_code == 0
    question = "Should we drop the [premium] tier [/bold] next year?"
    for extra in (["--passages"], []):
        result = invoke("ask", question, *extra, services=fake_services)
        assert result.exit_code == 0, result.stderr  # Rich would raise on the stray closing tag
        assert "[premium]" in result.stdout
