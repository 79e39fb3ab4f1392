"""`advocate serve` (tokens, HTTP mode on a real port with /healthz), `advocate advocates …`, `decisions list`."""

from __future__ import annotations

import json
import socket
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from bot.server import http_app
from tests.bot import payloads
from tests.bot.conftest import ASKER, GENERAL, SECRET, Slack, briefs
from tests.bot.test_asking import CHATBOT, mention
from tests.conftest import run_cli
from tests.slack_api_server import SlackApiServer


@pytest.fixture(autouse=True)
def _cli_data(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    # Every setting, the Slack tokens too, was cleared by tests/conftest.py; only the data dir is set.
    monkeypatch.setenv("ADVOCATE_DATA_DIR", str(tmp_path / "cli-data"))


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({}, "error: SLACK_BOT_TOKEN is not set; Socket Mode needs a bot token"),
        ({"SLACK_BOT_TOKEN": "xoxb-1234567890-abcdefghij"}, "error: SLACK_APP_TOKEN is not set"),
        ({"SLACK_BOT_TOKEN": "xoxp-user-token-SECRETVALUE"}, "error: SLACK_BOT_TOKEN is malformed"),
        ({"SLACK_BOT_TOKEN": "xoxb-1234567890-abcdefghij", "SLACK_APP_TOKEN": "SECRETVALUE app token"},
         "error: SLACK_APP_TOKEN is malformed"),
    ],
)
def test_missing_or_malformed_tokens_one_line_nonzero_never_echoed(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str], expected: str
) -> None:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    result = run_cli("serve")
    assert result.exit_code == 2
    assert result.stderr.startswith(expected) and result.stderr.count("\n") == 1
    assert "SECRETVALUE" not in result.output + result.stderr


def test_http_mode_needs_the_signing_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-1234567890-abcdefghij")
    result = run_cli("serve", "--http", "--port", "3999")
    assert result.exit_code == 2 and "SLACK_SIGNING_SECRET is not set" in result.stderr


def test_a_token_slack_refuses_is_one_clear_line(monkeypatch: pytest.MonkeyPatch, slack_api: SlackApiServer) -> None:
    slack_api.handlers["auth.test"] = lambda params: {"ok": False, "error": "invalid_auth"}
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-1234567890-SECRETVALUE")
    monkeypatch.setenv("SLACK_APP_TOKEN", "xapp-1-A0ADVOCATE-1-abcdef")
    monkeypatch.setenv("SLACK_API_URL", slack_api.url)
    result = run_cli("serve")
    assert result.exit_code == 1
    assert result.stderr.startswith("error: Slack refused SLACK_BOT_TOKEN (invalid_auth)")
    assert "SECRETVALUE" not in result.stderr


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_http_mode_on_a_real_port_verifies_signatures_and_reports_health(
    slack: Slack, monkeypatch: pytest.MonkeyPatch
) -> None:
    import uvicorn

    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(http_app(slack.app, slack.bot), host="127.0.0.1", port=port,
                                           log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 10
        while not server.started and time.monotonic() < deadline:
            time.sleep(0.05)
        base = f"http://127.0.0.1:{port}"
        with urllib.request.urlopen(f"{base}/healthz", timeout=10) as response:
            assert response.status == 200 and json.loads(response.read())["ok"] is True
        ts = payloads.new_ts()
        slack.api.add_message(GENERAL, CHATBOT, user=ASKER, ts=ts)
        envelope = payloads.event_callback(payloads.app_mention(f"<@UBOT0001> {CHATBOT}", user=ASKER,
                                                                channel=GENERAL, ts=ts))
        body, content_type = payloads.json_body(envelope)

        def post(secret: str) -> int:
            request = urllib.request.Request(f"{base}/slack/events", data=body.encode(), method="POST",
                                             headers=payloads.signed_headers(body, secret, content_type=content_type))
            try:
                with urllib.request.urlopen(request, timeout=10) as response:
                    return int(response.status)
            except urllib.error.HTTPError as exc:
                return int(exc.code)

        assert post("wrong-secret-wrong-secret") == 401
        # Bolt is held up: the acknowledgement comes before the brief is written, not after.
        gate = threading.Event()
        dispatch = slack.app.dispatch
        monkeypatch.setattr(slack.app, "dispatch", lambda request: gate.wait(10) and dispatch(request))
        try:
            assert post(SECRET) == 200
            assert slack.api.calls_to("chat.postMessage") == []
        finally:
            gate.set()
        slack.wait()
        assert len(briefs(slack.api, GENERAL)) == 1
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def test_advocates_and_decisions_from_the_command_line(slack: Slack, monkeypatch: pytest.MonkeyPatch) -> None:
    # The CLI on the same data as the app.
    bad = run_cli("advocates", "add", "U0ALICE001", "astrology", services=slack.services)
    assert bad.exit_code == 2 and "unknown function 'astrology'" in bad.stderr
    assert run_cli("advocates", "add", "U0ALICE001", "service", services=slack.services).stdout == (
        "U0ALICE001 advocates for service\n")
    listed = run_cli("advocates", "list", "--json", services=slack.services)
    assert json.loads(listed.stdout)[0]["slack_user_id"] == "U0ALICE001"
    mention(slack, CHATBOT)
    slack.wait()
    decisions = json.loads(run_cli("decisions", "list", "--json", services=slack.services).stdout)
    assert decisions[0]["channel"] == GENERAL and decisions[0]["advocates"] == ["U0ALICE001"]
    assert decisions[0]["lenses"] and decisions[0]["function"] == "service"
    text = run_cli("decisions", "list", services=slack.services).stdout
    assert "advocates: U0ALICE001" in text
    assert run_cli("advocates", "remove", "U0ALICE001", services=slack.services).exit_code == 0
    gone = run_cli("advocates", "remove", "U0ALICE001", services=slack.services)
    assert gone.exit_code == 2 and "not an active advocate" in gone.stderr
