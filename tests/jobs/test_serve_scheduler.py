"""`advocate serve` runs the scheduler in its own process when ADVOCATE_SCHEDULER_IN_SERVE=true, and not
otherwise. The real command, its real services and the Slack checks against the local Slack API server;
only the HTTP server's blocking loop is replaced, by a look at the scheduler while the app would serve, and
the warm-up brief is skipped (it loads the embedding model, which has nothing to do with the scheduler)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

import bot.server
from advocate.cli.context import LazyServices
from jobs.scheduler import JOBS, JOBSTORE_TABLE
from tests.conftest import run_cli
from tests.slack_api_server import SlackApiServer


@pytest.fixture(autouse=True)
def _cli_data(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    # Every setting was cleared by tests/conftest.py; only the data dir is set.
    monkeypatch.setenv("ADVOCATE_DATA_DIR", str(tmp_path / "cli-data"))


def serve_and_look(monkeypatch: pytest.MonkeyPatch, slack_api: SlackApiServer, *, in_serve: str | None
                   ) -> dict[str, Any]:
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-1234567890-abcdefghij")
    monkeypatch.setenv("SLACK_SIGNING_SECRET", "8f742231b10e8888abcd99yyyzzz85a5")
    monkeypatch.setenv("SLACK_API_URL", slack_api.url)
    if in_serve is not None:
        monkeypatch.setenv("ADVOCATE_SCHEDULER_IN_SERVE", in_serve)
    seen: dict[str, Any] = {}
    built = LazyServices.get

    def remember(holder: LazyServices) -> Any:  # the services `serve` builds for its run
        seen["services"] = built(holder)
        return seen["services"]

    def look_while_serving(app: object, bot: object, *, host: str, port: int) -> None:
        services = seen["services"]
        scheduler = services.scheduler
        seen["running"] = scheduler.running
        seen["jobs"] = sorted(job.id for job in scheduler.get_jobs()) if scheduler.running else []
        with services.engine.connect() as connection:
            tables = services.engine.dialect.get_table_names(connection)
            seen["stored"] = sorted(connection.execute(text(f"SELECT id FROM {JOBSTORE_TABLE}")).scalars()) \
                if JOBSTORE_TABLE in tables else []
        seen["port"] = port

    monkeypatch.setattr(LazyServices, "get", remember)
    monkeypatch.setattr(bot.server, "run_http", look_while_serving)
    monkeypatch.setattr(bot.server, "prepare", lambda bot: None)
    result = run_cli("serve", "--http", "--port", "3999")
    assert result.exit_code == 0, result.output + str(result.exception)
    return seen


def test_serve_runs_the_scheduler_when_the_setting_says_so(
    monkeypatch: pytest.MonkeyPatch, slack_api: SlackApiServer
) -> None:
    seen = serve_and_look(monkeypatch, slack_api, in_serve="true")
    expected = sorted(spec.id for spec in JOBS)
    assert seen["port"] == 3999 and seen["running"] is True
    assert seen["jobs"] == expected and seen["stored"] == expected  # in the records database's job store
    # On the way out `advocate` closes the services it built: the scheduler stops after its running job.
    assert seen["services"].scheduler.running is False


def test_serve_leaves_the_scheduler_to_advocate_jobs_by_default(
    monkeypatch: pytest.MonkeyPatch, slack_api: SlackApiServer
) -> None:
    seen = serve_and_look(monkeypatch, slack_api, in_serve=None)
    assert seen["port"] == 3999 and seen["running"] is False and seen["stored"] == []
