"""Requests that are not Slack's, or not as Slack sends them, against the real server on a real port
(uvicorn, as `advocate serve --http` runs it): each gets 400 (malformed) or 401 (unsigned, wrong or stale
signature) and one warning line, never a 500 or a traceback."""

from __future__ import annotations

import hashlib
import hmac
import http.client
import logging
import socket
import threading
import time
from collections.abc import Iterator

import pytest

from bot.server import http_app
from tests.bot import payloads
from tests.bot.conftest import SECRET, Slack


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def port(slack: Slack) -> Iterator[int]:
    """The app served by uvicorn on a free loopback port, its log lines going through logging (as in serve)."""
    import uvicorn

    chosen = _free_port()
    server = uvicorn.Server(uvicorn.Config(http_app(slack.app, slack.bot), host="127.0.0.1", port=chosen,
                                           log_level="warning", lifespan="on", log_config=None))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    yield chosen
    server.should_exit = True
    thread.join(timeout=10)


def send(port: int, body: bytes, headers: dict[str, str]) -> tuple[int, str]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.request("POST", "/slack/events", body=body, headers=headers)
        response = connection.getresponse()
        return response.status, response.read().decode("utf-8", "replace")
    finally:
        connection.close()


def signed(body: str, *, content_type: str = "application/json") -> dict[str, str]:
    return payloads.signed_headers(body, SECRET, content_type=content_type)


def signed_bytes(body: bytes) -> dict[str, str]:
    """Slack's headers for a body of any bytes (the signature is over the bytes as sent)."""
    timestamp = str(int(time.time()))
    digest = hmac.new(SECRET.encode(), f"v0:{timestamp}:".encode() + body, hashlib.sha256).hexdigest()
    return {"Content-Type": "application/json", "X-Slack-Request-Timestamp": timestamp,
            "X-Slack-Signature": f"v0={digest}"}


NOT_UTF8 = b'{"type": "event_callback", "x": "\xff\xfe"}'
EVENT = payloads.json_body(payloads.event_callback(payloads.app_mention("hi", user="U0ASKER001", channel="C1")))[0]


def malformed_requests() -> dict[str, tuple[bytes | str, dict[str, str], int, str]]:
    """Each case's body, headers, status and reason, signed when the test runs: signed at collection,
    a slow suite would send them after Slack's five minutes and every one would read as stale."""
    now = str(int(time.time()))
    return {
        "no signature headers": (EVENT.encode(), {"Content-Type": "application/json"}, 401, "unsigned"),
        "only a timestamp": (EVENT.encode(), {"Content-Type": "application/json", "X-Slack-Request-Timestamp": now},
                             401, "unsigned"),
        "a timestamp that is not a number": (
            EVENT.encode(), {**signed(EVENT), "X-Slack-Request-Timestamp": "yesterday"}, 400, "not a number"),
        "a timestamp in other digits": (
            EVENT.encode(), {**signed(EVENT), "X-Slack-Request-Timestamp": "¹²³4567890"}, 400, "not a number"),
        "a stale timestamp": (
            EVENT.encode(), payloads.signed_headers(EVENT, SECRET, timestamp=int(time.time()) - 3600,
                                                    content_type="application/json"), 401, "more than 5 minutes"),
        "a wrong signature": (EVENT.encode(), {**signed(EVENT), "X-Slack-Signature": "v0=" + "0" * 64}, 401,
                              "does not match"),
        "a body that is not UTF-8": (NOT_UTF8, signed_bytes(NOT_UTF8), 400, "UTF-8"),
        "a body that is not UTF-8, unsigned": (NOT_UTF8, signed("ignored"), 401, "does not match"),
        "a signed body that is not JSON": ("{not json", signed("{not json"), 400, "not valid JSON"),
        "a signed JSON body that is not an object": ("[1, 2]", signed("[1, 2]"), 400, "not an object"),
        "a signed body that is no form": (
            "hello world", signed("hello world", content_type="application/x-www-form-urlencoded"), 400,
            "neither JSON nor a form"),
        "a signed form whose payload is not JSON": (
            "payload=%7Bnope", signed("payload=%7Bnope", content_type="application/x-www-form-urlencoded"), 400,
            "payload field is not valid JSON"),
        "a signed empty body": ("", signed(""), 400, "empty"),
    }


@pytest.mark.parametrize("case", list(malformed_requests()))
def test_a_malformed_request_gets_400_or_401_and_one_warning_line(
    slack: Slack, port: int, case: str, caplog: pytest.LogCaptureFixture
) -> None:
    body, headers, status, reason = malformed_requests()[case]
    data = body if isinstance(body, bytes) else body.encode()
    caplog.set_level(logging.INFO)
    answered, text = send(port, data, headers)
    assert (answered, reason in text) == (status, True), text
    time.sleep(0.2)  # anything the request still logs
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert [r.getMessage() for r in warnings] == [f"refused a request to /slack/events with {status}: {text}"]
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]
    assert SECRET not in caplog.text and "v0=" not in caplog.text
    assert slack.api.calls_to("chat.postMessage") == []


def test_a_signed_request_as_slack_sends_it_still_gets_through(slack: Slack, port: int) -> None:
    challenge = '{"type": "url_verification", "token": "x", "challenge": "3eZbrw1aB"}'
    assert send(port, challenge.encode(), signed(challenge)) == (200, '{"challenge": "3eZbrw1aB"}')
    command, content_type = payloads.form_body(payloads.slash_command(
        "help", user="U0ASKER001", channel="C0GENERAL1", response_url=slack.api.response_url()))
    status, _ = send(port, command.encode(), signed(command, content_type=content_type))
    assert status == 200
