"""An acknowledged question survives `kill -9`: a real `advocate serve --http` process acknowledges a signed
mention, is killed while it posts the placeholder (Slack has taken the post; the process never hears back),
and the next start answers the question — once: the placeholder it had posted is found and becomes the
brief, no second message appears in the thread.

The kill lands at the same point every run: the local Slack holds its answer to the placeholder post
until the test has killed the process. On SQLite (the default, a file in the data dir) and PostgreSQL.
"""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from advocate.services import make_engine
from tests.bot import payloads
from tests.bot.conftest import ADMIN, ASKER, DEFINITION, FEEDBACK_CSV, GENERAL, SECRET, briefs
from tests.multiprocess.conftest import AdvocateProcess, BotProcess, run_advocate
from tests.multiprocess.test_shared_stores import BOT, QUESTION, settle, wait_for
from tests.slack_api_server import SlackApiServer

pytestmark = pytest.mark.slow


class HeldPlaceholder:
    """The local Slack's chat.postMessage, which stores the first post in `thread_ts` and then answers it
    only once `release()` is called (the process is dead by then): a crash after Slack took the post."""

    def __init__(self, api: SlackApiServer, *, thread_ts: str) -> None:
        # The local Slack whose chat.postMessage this replaces.
        self.api = api
        # The thread of the question: the first post there is the placeholder.
        self.thread_ts = thread_ts
        self.posted = threading.Event()
        self._released = threading.Event()
        api.handlers["chat.postMessage"] = self

    def __call__(self, params: dict[str, Any]) -> dict[str, Any]:
        answer = self.api._post(params)
        if params.get("thread_ts") == self.thread_ts and not self.posted.is_set():
            self.posted.set()
            self._released.wait(timeout=120)
        return answer

    def release(self) -> None:
        self._released.set()

    def kill_once_posted(self, bot: AdvocateProcess) -> None:
        """SIGKILL the process (no shutdown code runs) once Slack has taken its placeholder post."""
        assert self.posted.wait(timeout=120), f"no placeholder was posted:\n{bot.log()}"
        assert bot.process is not None
        bot.process.kill()
        bot.process.wait(timeout=30)


def inbox_rows(database_url: str) -> int:
    engine = make_engine(database_url)
    try:
        with engine.connect() as connection:
            return int(connection.execute(text("SELECT count(*) FROM slack_inbox")).scalar_one())
    finally:
        engine.dispose()


def ingest_small_pack(env: dict[str, str], *, workdir: Path, pack: Path) -> None:
    """The small definition and feedback pack, ingested by the CLI as an operator would before serving."""
    (pack / "definition").mkdir(parents=True)
    (pack / "feedback").mkdir(parents=True)
    (pack / "definition" / "customer-centricity.md").write_text(DEFINITION, encoding="utf-8")
    (pack / "feedback" / "feedback.csv").write_text(FEEDBACK_CSV, encoding="utf-8")
    ingested = run_advocate(["ingest", str(pack / "definition"), str(pack / "feedback")], env=env, workdir=workdir)
    assert ingested.returncode == 0, ingested.stderr[-2000:]


def answered_once(slack_api: SlackApiServer, *, thread_ts: str) -> list[Any]:
    """The thread holds one message, the brief, posted once: the placeholder found after the restart and
    turned into the brief. Returns the calls that posted into the thread."""
    in_thread = [m for m in slack_api.posted(GENERAL) if m.get("thread_ts") == thread_ts]
    assert len(in_thread) == 1, [m["text"][:80] for m in in_thread]
    assert len(briefs(slack_api, GENERAL)) == 1
    posts = [c for c in slack_api.calls_to("chat.postMessage") if c.params.get("thread_ts") == thread_ts]
    assert len(posts) == 1  # the restarted process found the placeholder instead of posting another
    return posts


def test_a_question_acknowledged_before_a_kill_9_is_answered_once_after_the_restart(
    slack_api: SlackApiServer, database_url: str, tmp_path: Path,
) -> None:
    env = {**os.environ, "DATABASE_URL": database_url, "SLACK_BOT_TOKEN": "xoxb-test-token-crash-resume",
           "SLACK_SIGNING_SECRET": SECRET, "SLACK_API_URL": slack_api.url, "ADVOCATE_ADMINS": ADMIN,
           "ADVOCATE_BRIEF_WORKERS": "1", "PYTHONUNBUFFERED": "1"}
    workdir = tmp_path / "bot"
    ingest_small_pack(env, workdir=workdir, pack=tmp_path / "pack")

    ts = payloads.new_ts()
    slack_api.add_message(GENERAL, f"<@{BOT}> {QUESTION}", user=ASKER, ts=ts)
    envelope = payloads.event_callback(payloads.app_mention(f"<@{BOT}> {QUESTION}", user=ASKER, channel=GENERAL,
                                                            ts=ts))
    body, content_type = payloads.json_body(envelope)
    held = HeldPlaceholder(slack_api, thread_ts=ts)

    first = BotProcess(env=env, workdir=workdir, name="first").start()
    try:
        first.wait_ready()
        assert first.post(body, payloads.signed_headers(body, SECRET, content_type=content_type)) == 200
        held.kill_once_posted(first)
    finally:
        held.release()
        first.stop()
    assert briefs(slack_api, GENERAL) == []
    assert inbox_rows(database_url) == 1  # the acknowledged question is on record

    second = BotProcess(env=env, workdir=workdir, name="second")
    second.port, second.base = first.port, first.base  # the same deployment, restarted
    second.args = first.args
    second.start()
    try:
        second.wait_ready()
        wait_for("the brief after the restart", lambda: briefs(slack_api, GENERAL), timeout=180)
        settle(slack_api)
    finally:
        second.stop()

    posts = answered_once(slack_api, thread_ts=ts)
    metadata = posts[0].params["metadata"]
    metadata = json.loads(metadata) if isinstance(metadata, str) else metadata
    assert metadata["event_payload"]["delivery_key"] == f"{envelope['event_id']}#1"
    assert inbox_rows(database_url) == 0
    assert "acknowledged but not finished before a restart" in second.log(last=10_000)
