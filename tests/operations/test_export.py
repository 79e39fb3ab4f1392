"""`advocate export` and `advocate import-export`: a round trip on SQLite and PostgreSQL, and every refusal.

The records are the sample pack's staff, customers and promises plus promise history, thank-yous,
advocates, a decision with a concern and a vote, and a forgotten customer; the knowledge is a
feedback CSV, a restricted research note and a Slack feedback message (the deterministic fake
embedding: what is stored matters here, not what it means).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from langchain_core.documents import Document
from langchain_core.embeddings import DeterministicFakeEmbedding
from langchain_core.indexing import index
from sqlalchemy import func, select
from typer.testing import Result

from advocate.services import Services, build_services
from advocate.settings import Settings
from operations.export import EXPORTED_TABLES, FORGOTTEN, MANIFEST, SKIPPED_TABLES, read_export
from records.models import Base, Decision
from tests.conftest import SAMPLE_PACK, run_cli
from tests.databases import available_postgres, fresh_postgres_schema

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
FEEDBACK = """id,date,channel,customer_id,score,verbatim
X1,2026-10-01,survey,C00105,3,The callback never came and nobody told me why.
X2,2026-10-02,phone,C00017,9,Quick fix for the second line at the new unit.
X3,2026-10-03,email,C00999,2,Forgotten customer's row: must never be indexed.
"""
RESEARCH = "# Callback study\n\nMissed callbacks double the chance of a complaint within a week.\n"


def build(data_dir: Path, database_url: str, embedder: DeterministicFakeEmbedding) -> Services:
    return build_services(Settings(data_dir=data_dir, database_url=database_url), embedder=embedder)


def invoke(svc: Services, *args: str) -> Result:
    return run_cli(*args, services=svc)


@pytest.fixture
def other_database_url(database_url: str, tmp_path: Path) -> Iterator[str]:
    """A second, empty records database of the same kind as `database_url`."""
    if database_url.startswith("sqlite"):
        yield f"sqlite:///{tmp_path / 'restored.sqlite'}"
        return
    server = available_postgres()
    assert server is not None
    with fresh_postgres_schema(server) as url:
        yield url


@pytest.fixture
def sources(tmp_path: Path) -> Path:
    folder = tmp_path / "sources"
    (folder / "feedback").mkdir(parents=True)
    (folder / "research").mkdir()
    (folder / "feedback" / "survey.csv").write_text(FEEDBACK, encoding="utf-8")
    (folder / "research" / "callbacks.md").write_text(RESEARCH, encoding="utf-8")
    return folder


@pytest.fixture
def original(
    tmp_path: Path, database_url: str, fake_embeddings: DeterministicFakeEmbedding, sources: Path
) -> Iterator[Services]:
    svc = build(tmp_path / "data", database_url, fake_embeddings)
    populate(svc, sources)
    yield svc
    svc.close()


def populate(svc: Services, sources: Path) -> None:
    records = svc.records
    assert records.staff.import_csv(SAMPLE_PACK / "staff.csv").rejected == 0
    assert records.customers.import_csv(SAMPLE_PACK / "customers.csv").rejected == 0
    assert records.promises.import_csv(SAMPLE_PACK / "promises.csv", now=NOW).rejected == 0
    records.promises.reschedule("P012", due="2026-11-28 12:00", why="customer on holiday", by="mark.ellison", now=NOW)
    records.promises.close("P011", outcome="kept", by="joanne.tate", why="date confirmed", now=NOW)
    records.thanks.mark("C00105", milestone=10, by="ruth.okafor", note="card sent", now=NOW)
    records.advocates.add(slack_user_id="U0ADVOC01", function="service", staff_handle="ruth.okafor")
    records.advocates.add(slack_user_id="U0ADVOC02", function="sales")
    decision = records.slack.record_brief(
        brief_id="b1", channel="C0DECIDE1", thread_ts="1700000000.000100", message_ts="1700000001.000200",
        asked_by="U0ASKER01", how="mention", question="Replace callbacks with a chatbot?", masked=True,
        view={"sections": {"decision": "Replace callbacks"}, "sources": [{"n": 1, "score": 0.731}]},
        lenses=[{"id": "promises", "title": "Promises", "score": 0.61}], function="service",
        advocates=["U0ADVOC01"],
    )
    assert decision > 0
    records.slack.record_concern("b1", user="U0ADVOC01", text="Customers who cannot type lose out.")
    records.slack.record_feedback("b1", user="U0ASKER01", helpful=True)
    records.slack.claim_event("Ev0001")  # a cache: never exported
    with records.session() as session:
        records.forgotten.add(session, "C00999", now=NOW)
    summary = svc.ingestor.ingest([sources / "feedback"])
    assert summary.forgotten == 1 and summary.rejected == 0
    assert svc.ingestor.ingest([sources / "research"], visibility="restricted").rejected == 0
    slack_message = Document(
        page_content="Customer C00017 says the new unit's line is perfect now, score 9",
        metadata={"kind": "feedback", "source": "slack:C0FEEDBK1:1700000100.000300", "source_name": "#feedback",
                  "title": "Slack feedback in #feedback", "heading": "", "date": "2026-11-20", "channel": "slack",
                  "visibility": "internal", "record_id": "1700000100.000300", "line": 0, "customer_id": "C00017",
                  "score": 9},
    )
    index([slack_message], svc.ingestor.record_manager, svc.store, cleanup="scoped_full",
          source_id_key="source", key_encoder="sha256")


def files_of(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def without_created_at(manifest: bytes) -> dict:
    data = json.loads(manifest)
    assert data.pop("created_at")
    return data


def test_every_records_table_is_exported_or_skipped_with_a_reason() -> None:
    assert set(Base.metadata.tables) == {*EXPORTED_TABLES, FORGOTTEN} | set(SKIPPED_TABLES)
    assert not {*EXPORTED_TABLES, FORGOTTEN} & set(SKIPPED_TABLES)


def test_round_trip_restores_identical_files(
    original: Services, tmp_path: Path, other_database_url: str, fake_embeddings: DeterministicFakeEmbedding
) -> None:
    first = tmp_path / "export-1"
    result = invoke(original, "export", str(first))
    assert result.exit_code == 0, result.stderr
    assert "2,200 customers" in result.stdout and "34 staff" in result.stdout
    manifest = json.loads((first / MANIFEST).read_text())
    files = manifest["files"]
    # Promise events: 12 created, 7 closed by the import (P001–P007), then one rescheduled and one closed.
    assert {k: files[k]["rows"] for k in (*EXPORTED_TABLES, "forgotten_customers")} == {
        "staff": 34, "customers": 2200, "promises": 12, "promise_events": 21, "thanks": 1, "advocates": 2,
        "decisions": 1, "concerns": 1, "brief_feedback": 1, "slack_briefs": 1, "forgotten_customers": 1,
    }
    assert manifest["schema_revision"] and manifest["embedding_model"] == original.settings.embedding_model
    assert manifest["knowledge"] == {"sources": 3, "chunks": 4}
    assert set(manifest["not_exported"]) == {"slack_events", "slack_inbox", "digest_deliveries",
                                             "knowledge_collections"}
    assert (first / "customers.jsonl").stat().st_mode & 0o077 == 0, "personal data: owner-readable only"
    sources = [json.loads(line) for line in (first / "knowledge_sources.jsonl").read_text().splitlines()]
    by_name = {Path(s["source"]).name: s for s in sources}
    research, survey = by_name["callbacks.md"], by_name["survey.csv"]
    assert (research["kind"], research["visibility"], research["title"]) == ("research", "restricted", "Callback study")
    assert (survey["kind"], survey["chunks"], survey["title"]) == ("feedback", 2, "")
    assert survey["file_sha256"] == hashlib.sha256(FEEDBACK.encode()).hexdigest()
    assert by_name["slack:C0FEEDBK1:1700000100.000300"]["file_sha256"] is None
    csv_lines = (first / "knowledge_sources.csv").read_text().splitlines()
    assert csv_lines[0] == "source,source_name,kind,visibility,title,chunks,content_hash,file_sha256"
    assert len(csv_lines) == 4

    restored = build(tmp_path / "restored-data", other_database_url, fake_embeddings)
    try:
        result = invoke(restored, "import-export", str(first), "--reingest")
        assert result.exit_code == 0, result.stderr
        assert "restored from" in result.stdout and "2,200 customers" in result.stdout
        assert "Slack feedback messages restored 1" in result.stdout
        assert restored.store.count() == original.store.count() == 4
        assert restored.store.by_metadata({"customer_id": "C00999"}) == [], "the forgotten stay forgotten"
        second = tmp_path / "export-2"
        result = invoke(restored, "export", str(second))
        assert result.exit_code == 0, result.stderr
        one, two = files_of(first), files_of(second)
        assert one.keys() == two.keys()
        for name in one:
            if name == MANIFEST:
                assert without_created_at(one[name]) == without_created_at(two[name])
            else:
                assert one[name] == two[name], f"{name} differs after the round trip"
        # Ids continue after the restored ones (PostgreSQL sequences were moved on).
        restored.records.slack.record_brief(
            brief_id="b2", channel="C0DECIDE1", thread_ts="1700000500.000100", message_ts="1700000501.000100",
            asked_by="U0ASKER01", how="dm", question="Another one", masked=False, view={}, lenses=[],
            function=None, advocates=[],
        )
        restored.records.slack.record_concern("b2", user="U0ADVOC02", text="Second concern")
        with restored.records.session() as session:
            assert session.scalar(select(func.max(Decision.id))) == 2
        assert restored.records.advocates.add(slack_user_id="U0ADVOC03", function="finance").function == "finance"
    finally:
        restored.close()


def test_export_refuses_a_folder_that_is_not_empty(original: Services, tmp_path: Path) -> None:
    target = tmp_path / "busy"
    target.mkdir()
    (target / "notes.txt").write_text("keep me")
    result = invoke(original, "export", str(target))
    assert result.exit_code == 2
    assert "is not empty" in result.stderr and "--force" in result.stderr
    assert [p.name for p in target.iterdir()] == ["notes.txt"]
    result = invoke(original, "export", str(target), "--force", "--json")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["files"]["customers"]["rows"] == 2200
    assert (target / "notes.txt").read_text() == "keep me"


def test_import_refuses_a_database_that_holds_records(original: Services, tmp_path: Path) -> None:
    folder = tmp_path / "export"
    assert invoke(original, "export", str(folder)).exit_code == 0
    result = invoke(original, "import-export", str(folder))
    assert result.exit_code == 2
    assert "already holds records (34 staff, 2,200 customers" in result.stderr
    assert "ADVOCATE_DATA_DIR" in result.stderr
    assert original.records.customers.count() == 2200


def rewrite(folder: Path, key: str, lines: list[str]) -> None:
    """Replace an export file's rows, keeping the manifest's hash and count in step (a valid-looking export)."""
    manifest = json.loads((folder / MANIFEST).read_text())
    entry = manifest["files"][key]
    data = "".join(line + "\n" for line in lines).encode()
    (folder / entry["file"]).write_bytes(data)
    entry["sha256"], entry["rows"] = hashlib.sha256(data).hexdigest(), len(lines)
    (folder / MANIFEST).write_text(json.dumps(manifest))


@pytest.fixture
def exported(original: Services, tmp_path: Path) -> Path:
    folder = tmp_path / "export"
    result = invoke(original, "export", str(folder))
    assert result.exit_code == 0, result.stderr
    return folder


@pytest.fixture
def empty(tmp_path: Path, other_database_url: str, fake_embeddings: DeterministicFakeEmbedding) -> Iterator[Services]:
    svc = build(tmp_path / "empty-data", other_database_url, fake_embeddings)
    yield svc
    svc.close()


def test_import_is_all_or_nothing(exported: Path, empty: Services) -> None:
    customers = (exported / "customers.jsonl").read_text().splitlines()
    rewrite(exported, "customers", [*customers, customers[0]])  # the same id twice: the insert fails
    result = invoke(empty, "import-export", str(exported))
    assert result.exit_code == 1
    assert result.stderr.startswith("error: nothing was imported: IntegrityError")
    assert empty.records.customers.count() == 0
    assert empty.records.staff.resolve("ruth.okafor") is None, "the staff rows went back too"
    assert empty.records.forgotten.count() == 0


def test_import_names_a_bad_row_by_file_and_line(exported: Path, empty: Services) -> None:
    rows = [json.loads(line) for line in (exported / "customers.jsonl").read_text().splitlines()]
    rows[2]["customer_since"] = "last spring"
    rewrite(exported, "customers", [json.dumps(r) for r in rows])
    result = invoke(empty, "import-export", str(exported))
    assert result.exit_code == 2
    assert "customers.jsonl line 3: customer_since expected a date like 2026-11-23, got 'last spring'" in result.stderr
    assert empty.records.customers.count() == 0


def test_import_checks_the_manifest_and_the_files(exported: Path, empty: Services, tmp_path: Path) -> None:
    manifest = json.loads((exported / MANIFEST).read_text())
    (exported / "promises.jsonl").write_text("{}\n")
    result = invoke(empty, "import-export", str(exported))
    assert result.exit_code == 2 and "promises.jsonl does not match the hash in manifest.json" in result.stderr
    manifest["schema_revision"] = "0000_older"
    (exported / MANIFEST).write_text(json.dumps(manifest))
    result = invoke(empty, "import-export", str(exported))
    assert result.exit_code == 2
    assert "schema revision '0000_older'" in result.stderr and "Import it with the Advocate version" in result.stderr
    (exported / MANIFEST).unlink()
    result = invoke(empty, "import-export", str(exported))
    assert result.exit_code == 2 and "has no manifest.json: it is not a complete export" in result.stderr
    result = invoke(empty, "import-export", str(tmp_path / "nowhere"))
    assert result.exit_code == 2 and "is not a folder" in result.stderr
    assert empty.records.customers.count() == 0


def test_without_reingest_the_sources_are_listed(exported: Path, empty: Services, sources: Path) -> None:
    (sources / "research" / "callbacks.md").unlink()
    result = invoke(empty, "import-export", str(exported))
    assert result.exit_code == 0, result.stderr
    assert "1 source files are where the export found them" in result.stdout
    assert f"advocate ingest --kind feedback {sources / 'feedback' / 'survey.csv'}" in result.stdout
    assert "1 source files are not where the export found them" in result.stdout
    assert f"advocate ingest --kind research --restricted {sources / 'research' / 'callbacks.md'}" in result.stdout
    assert "Slack feedback messages 1 waiting" in result.stdout
    assert empty.store.count() == 0
    contents = read_export(exported)
    assert contents.manifest["knowledge"]["chunks"] == 4
    # The records are in; the knowledge can follow on its own.
    again = invoke(empty, "import-export", str(exported), "--knowledge-only", "--json")
    assert again.exit_code == 0, again.stderr
    knowledge = json.loads(again.stdout)["knowledge"]
    assert knowledge["ingested"] == 1 and knowledge["slack_feedback_restored"] == 1
    assert knowledge["missing"] == [str(sources / "research" / "callbacks.md")]
    assert empty.store.count() == 3


def test_the_export_reads_one_moment_of_the_database(database_url: str, tmp_path: Path) -> None:
    """What the Slack app writes while an export runs is either all in it or not at all."""
    from advocate.services import make_engine
    from operations.export import snapshot
    from records import Records
    from records.models import Staff

    engine = make_engine(database_url)
    try:
        records = Records(engine=engine, timezone=ZoneInfo("UTC"))
        assert records.staff.import_csv(SAMPLE_PACK / "staff.csv").rejected == 0
        with snapshot(engine) as connection:
            before = connection.scalar(select(func.count()).select_from(Staff))
            with records.session() as session:
                session.add(Staff(handle="new.starter", name="New Starter", function="service"))
            assert records.staff.resolve("new.starter") is not None, "the write went in"
            assert connection.scalar(select(func.count()).select_from(Staff)) == before == 34
        with snapshot(engine) as connection:
            assert connection.scalar(select(func.count()).select_from(Staff)) == 35
    finally:
        engine.dispose()
