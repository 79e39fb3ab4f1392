"""Property-based tests of the Slack request check in front of Bolt (bot/server.py): random bodies, headers,
timestamps and signatures through the real ASGI app of `advocate serve --http`.

- nothing anyone sends gets a 500 (or any answer but 400/401 when it is not correctly signed);
- a request passes only with the signature Slack would make for that body and a recent timestamp;
- a correctly signed, recent request is never refused as unsigned; one whose body is not as Slack sends it
  (not UTF-8, not JSON or a form, fields of the wrong kind) gets 400.

Marked `fuzz`: 200 examples per test in the normal run, 5,000 with `pytest -m fuzz` (the profiles of
tests/knowledge/conftest.py, loaded by tests/bot/conftest.py).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from typing import Any
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from bot.server import slack_payload
from tests.bot.conftest import SECRET, Slack

pytestmark = pytest.mark.fuzz

FIXTURE_OK = settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
REFUSED = (400, 401)

# Bodies: anything, and things close to what Slack sends (JSON objects, forms, interactivity payloads).
JSON_VALUES = st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=20),
                           lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner,
                                                                                        max_size=3), max_leaves=8)
BODIES = st.one_of(
    st.binary(max_size=300),
    st.text(max_size=200).map(str.encode),
    JSON_VALUES.map(lambda value: json.dumps(value).encode()),
    st.dictionaries(st.sampled_from(["type", "event_id", "event", "challenge", "token", "view", "user", "team",
                                     "channel", "message", "actions", "authorizations", "response_url",
                                     "command", "team_id", "enterprise_id", "container"]), JSON_VALUES,
                    max_size=5).map(lambda value: json.dumps(value).encode()),
    st.dictionaries(st.sampled_from(["type", "user", "team", "channel", "view", "actions", "trigger_id"]),
                    JSON_VALUES, max_size=4).map(lambda value: b"payload=" + quote(json.dumps(value)).encode()),
    st.text(st.sampled_from(list("payload=command&%7B%7D{}\"abc:")), max_size=80).map(str.encode),
)
CONTENT_TYPES = st.sampled_from(["application/json", "application/x-www-form-urlencoded", "text/plain", ""])
# Header values as HTTP carries them (latin-1), often close to a real timestamp or signature.
HEADER_TEXT = st.text(st.characters(min_codepoint=0x20, max_codepoint=0xFF), max_size=80)
TIMESTAMPS = st.one_of(HEADER_TEXT, st.integers(-10**12, 10**12).map(str),
                       st.integers(-400, 400).map(lambda off: str(int(time.time()) + off)))
SIGNATURES = st.one_of(HEADER_TEXT, st.text("0123456789abcdef", min_size=64, max_size=64).map("v0={}".format))


def signature_for(body: bytes, timestamp: str) -> str:
    base = b"v0:" + timestamp.encode("latin-1") + b":" + body
    return "v0=" + hmac.new(SECRET.encode(), base, hashlib.sha256).hexdigest()


def post(slack: Slack, body: bytes, headers: dict[str, str]) -> int:
    raw = {name: value.encode("latin-1") for name, value in headers.items()}  # as HTTP carries them
    return slack.request("POST", "/slack/events", content=body, headers=raw).status_code


@FIXTURE_OK
@given(body=BODIES, content_type=CONTENT_TYPES, timestamp=st.none() | TIMESTAMPS,
       signature=st.none() | SIGNATURES)
@example(body=b'{"type": "event_callback"}', content_type="application/json", timestamp="1e9", signature="v0=0")
@example(body=b"\xff", content_type="", timestamp=None, signature=None)
def test_a_request_not_signed_by_slack_is_refused_never_500(
    slack: Slack, body: bytes, content_type: str, timestamp: str | None, signature: str | None
) -> None:
    headers = {"Content-Type": content_type}
    if timestamp is not None:
        headers["X-Slack-Request-Timestamp"] = timestamp
    if signature is not None:
        headers["X-Slack-Signature"] = signature
    correct = timestamp is not None and signature == signature_for(body, timestamp)
    status = post(slack, body, headers)
    assert status != 500
    if not correct:  # a random signature never matches: refused, whatever the body
        assert status in REFUSED


@FIXTURE_OK
@given(body=BODIES, content_type=CONTENT_TYPES, offset=st.integers(-1000, 1000))
def test_a_correct_signature_passes_only_with_a_recent_timestamp(
    slack: Slack, body: bytes, content_type: str, offset: int
) -> None:
    timestamp = str(int(time.time()) + offset)
    status = post(slack, body, {"Content-Type": content_type, "X-Slack-Request-Timestamp": timestamp,
                                "X-Slack-Signature": signature_for(body, timestamp)})
    assert status != 500
    if abs(offset) > 310:  # Slack's five minutes, and a few seconds of the test's own time
        assert status == 401
    elif abs(offset) < 290:
        assert status != 401  # signed as Slack signs: verified
        try:
            readable = not isinstance(slack_payload(body.decode("utf-8"), content_type), str)
        except UnicodeDecodeError:
            readable = False
        if not readable:  # not as Slack sends it: refused before Bolt sees it
            assert status == 400


@given(body=st.text(max_size=300), content_type=CONTENT_TYPES)
@example(body="payload=%5B1%5D", content_type="application/x-www-form-urlencoded")
def test_reading_a_body_gives_an_object_or_says_what_is_wrong(body: str, content_type: str) -> None:
    payload: Any = slack_payload(body, content_type)
    assert isinstance(payload, dict | str)
    if isinstance(payload, str):
        assert payload.startswith("the ")
