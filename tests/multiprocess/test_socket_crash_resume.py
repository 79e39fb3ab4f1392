"""Socket Mode, the default, survives `kill -9` as HTTP mode does: a real `advocate serve` process connects
to a local Socket Mode endpoint (a WebSocket server speaking Slack's envelopes), acknowledges a mention
over the socket, is killed while it posts the placeholder, and the next start answers the question once.

Slack does not send an acknowledged envelope again, so after the kill the question exists only in the
inbox: the restarted process must take it up from there. On SQLite and PostgreSQL.
"""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path
from typing import Any

import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.server import Server, ServerConnection, serve

from tests.bot import payloads
from tests.bot.conftest import ADMIN, ASKER, GENERAL, briefs
from tests.multiprocess.conftest import AdvocateProcess
from tests.multiprocess.test_crash_resume import HeldPlaceholder, answered_once, inbox_rows, ingest_small_pack
from tests.multiprocess.test_shared_stores import BOT, QUESTION, settle, wait_for
from tests.slack_api_server import SlackApiServer

pytestmark = pytest.mark.slow

START_TIMEOUT = 240.0  # the model loads and one brief is written before the process connects


class LocalSocketMode:
    """Slack's Socket Mode end, on loopback: `apps.connections.open` on the local Slack hands out its URL;
    each connection is greeted with `hello`, and what the app sends back (acknowledgements) is kept."""

    def __init__(self, api: SlackApiServer) -> None:
        self.server: Server = serve(self._connected, "127.0.0.1", 0)
        self.url = f"ws://127.0.0.1:{self.server.socket.getsockname()[1]}/link"
        self.connections: list[ServerConnection] = []
        self.received: list[dict[str, Any]] = []
        self._changed = threading.Condition()
        threading.Thread(target=self.server.serve_forever, name="socket-mode", daemon=True).start()
        api.handlers["apps.connections.open"] = lambda params: {"ok": True, "url": self.url}

    def _connected(self, connection: ServerConnection) -> None:
        connection.send(json.dumps({"type": "hello", "num_connections": 1,
                                    "connection_info": {"app_id": "A0LOCAL01"}}))
        with self._changed:
            self.connections.append(connection)
            self._changed.notify_all()
        try:
            for message in connection:
                with self._changed:
                    self.received.append(json.loads(message))
                    self._changed.notify_all()
        except ConnectionClosed:
            pass

    def wait(self, what: str, found: Any, timeout: float) -> None:
        with self._changed:
            if not self._changed.wait_for(found, timeout=timeout):
                raise AssertionError(f"{what} within {timeout:.0f}s")

    def deliver(self, envelope_id: str, event: dict[str, Any]) -> None:
        """An Events API envelope on the newest connection, as Slack sends it."""
        self.connections[-1].send(json.dumps({"envelope_id": envelope_id, "type": "events_api", "payload": event,
                                              "accepts_response_payload": False, "retry_attempt": 0,
                                              "retry_reason": ""}))

    def acknowledged(self, envelope_id: str) -> bool:
        return any(m.get("envelope_id") == envelope_id for m in self.received)

    def close(self) -> None:
        self.server.shutdown()


def test_a_question_acknowledged_over_the_socket_before_a_kill_9_is_answered_once_after_the_restart(
    slack_api: SlackApiServer, database_url: str, tmp_path: Path,
) -> None:
    socket_mode = LocalSocketMode(slack_api)
    env = {**os.environ, "DATABASE_URL": database_url, "SLACK_BOT_TOKEN": "xoxb-test-token-socket-resume",
           "SLACK_APP_TOKEN": "xapp-1-A0LOCAL01-1-socketresume", "SLACK_API_URL": slack_api.url,
           "ADVOCATE_ADMINS": ADMIN, "ADVOCATE_BRIEF_WORKERS": "1", "PYTHONUNBUFFERED": "1"}
    workdir = tmp_path / "bot"
    ingest_small_pack(env, workdir=workdir, pack=tmp_path / "pack")

    ts = payloads.new_ts()
    slack_api.add_message(GENERAL, f"<@{BOT}> {QUESTION}", user=ASKER, ts=ts)
    event = payloads.event_callback(payloads.app_mention(f"<@{BOT}> {QUESTION}", user=ASKER, channel=GENERAL, ts=ts))
    held = HeldPlaceholder(slack_api, thread_ts=ts)

    first = AdvocateProcess(args=["serve"], env=env, workdir=workdir, name="first").start()
    try:
        socket_mode.wait("the first process did not connect", lambda: len(socket_mode.connections) == 1,
                         START_TIMEOUT)
        socket_mode.deliver("envelope-1", event)
        socket_mode.wait("the envelope was not acknowledged", lambda: socket_mode.acknowledged("envelope-1"), 60)
        held.kill_once_posted(first)
    finally:
        held.release()
        first.stop()
    assert briefs(slack_api, GENERAL) == []
    assert inbox_rows(database_url) == 1  # acknowledged, so Slack will not send it again: only the inbox has it

    second = AdvocateProcess(args=["serve"], env=env, workdir=workdir, name="second").start()
    try:
        socket_mode.wait("the restarted process did not connect", lambda: len(socket_mode.connections) == 2,
                         START_TIMEOUT)
        wait_for("the brief after the restart", lambda: briefs(slack_api, GENERAL), timeout=180)
        settle(slack_api)
    finally:
        second.stop()
        socket_mode.close()

    answered_once(slack_api, thread_ts=ts)
    assert inbox_rows(database_url) == 0
    assert "acknowledged but not finished before a restart" in second.log(last=10_000)
    assert sum(1 for m in socket_mode.received if m.get("envelope_id") == "envelope-1") == 1
