"""Fault injection on the Slack Web API path: every kind of failure Slack shows, on every call a message
or a file goes through, one call at a time. Each message arrives exactly once, or the failure is recorded
honestly (logged, and in the delivery ledger) and the retry job delivers it once.

The faults are the local Slack API server's (tests/slack_api_server.py): a 429 with Retry-After, a 500, a
connection closed with no answer, and the last two *after* Slack acted (the message posted, the file
shared) — the case where a blind retry makes a duplicate.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from langchain_core.embeddings import DeterministicFakeEmbedding
from slack_sdk.models.blocks import ImageBlock

from advocate.services import Services, build_services
from advocate.settings import Settings
from jobs import delivery_retry
from outbound import client as client_module
from outbound.blocks import BlockList, Chart, Message
from outbound.client import make_slack_client
from outbound.layouts.keep_rate import CHART_BLOCK_ID, CHART_FILE_PLACEHOLDER
from outbound.poster import OncePoster
from tests.slack_api_server import DROPPED, SlackApiServer

CHANNEL = "C0FAULTS01"
USER = "U0MANAGER1"
DM = "D0MANAGER1"  # the DM the local server opens with USER
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4

# What Slack does wrong, as fail_next() arguments.
FAULTS: dict[str, dict[str, Any]] = {
    "429 Retry-After 0": {"status": 429, "retry_after": 0},
    "500": {"status": 500},
    "dropped connection": {"drop": True},
    "500 after acting": {"status": 500, "after_posting": True},
    "dropped after acting": {"drop": True, "after_posting": True},
}
# Every Web API call a digest with its chart goes through (`upload` is the URL the bytes go to): the chart
# is uploaded and completed without a channel, then shown by the digest's image block.
DIGEST_CALLS = ("conversations.open", "files.getUploadURLExternal", "upload", "files.completeUploadExternal",
                "files.info", "chat.postMessage")


@pytest.fixture(autouse=True)
def quick_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    """Backoff after a 5xx or a dropped connection from 0.05 s rather than 0.5 s: the same logic, sooner."""
    monkeypatch.setattr(client_module, "BACKOFF_FIRST_SECONDS", 0.05)


@pytest.fixture
def svc(request: pytest.FixtureRequest, tmp_path: Path, slack_api: SlackApiServer) -> Iterator[Services]:
    """Services on SQLite, Slack at the local server; pauses short, SLACK_RETRY_SECONDS two seconds (or the
    test's indirect parameter)."""
    services = build_services(
        Settings(data_dir=tmp_path / "data", slack_bot_token="xoxb-test-token", slack_api_url=slack_api.url,
                 slack_retry_seconds=getattr(request, "param", 2.0)),
        embedder=DeterministicFakeEmbedding(size=8),
    )
    services.poster.pause_seconds = 0.01
    yield services
    services.close()


@pytest.fixture
def poster(svc: Services) -> OncePoster:
    return svc.poster


def statuses(slack_api: SlackApiServer, method: str) -> list[int]:
    return [c.status for c in slack_api.calls_to(method)]


def digest(period: str = "2026-W49") -> Message:
    blocks = BlockList()
    blocks.section("*Your week*")
    image = ImageBlock(block_id=CHART_BLOCK_ID, slack_file={"id": CHART_FILE_PLACEHOLDER},
                       alt_text="Bar chart, Keep rate: W48 80% (4 of 5).", title="Keep rate")
    return Message(text="Your week", blocks=[*blocks.done(), image],
                   chart=Chart(png=PNG, filename="keep-rate.png", title="Keep rate"))


def shown_charts(slack_api: SlackApiServer, messages: list[dict[str, Any]]) -> list[Any]:
    """The uploads the messages' image blocks show."""
    shown = {b["slack_file"]["id"] for m in messages for b in m.get("blocks", []) if b.get("type") == "image"}
    return [u for u in slack_api.uploads if u.file_id in shown]


# -- answers: chat.postMessage through the poster ---------------------------------------------------------
@pytest.mark.parametrize("fault", FAULTS)
def test_a_post_arrives_once_whatever_slack_does_to_one_try(
    fault: str, poster: OncePoster, slack_api: SlackApiServer
) -> None:
    slack_api.fail_next("chat.postMessage", **FAULTS[fault])
    posted = poster.post(channel=CHANNEL, text="The answer")
    [message] = slack_api.posted(CHANNEL)
    assert message["ts"] == posted.ts and message["text"] == "The answer"
    # Acted-then-failed is found by its key, never posted again.
    assert posted.recovered == FAULTS[fault].get("after_posting", False)
    assert len(slack_api.calls_to("chat.postMessage")) == (1 if posted.recovered else 2)


@pytest.mark.parametrize("svc", [0.5], indirect=True)
@pytest.mark.parametrize("fault", ["500", "dropped connection"])
def test_a_post_slack_keeps_failing_is_an_error_not_a_silent_loss(
    fault: str, poster: OncePoster, slack_api: SlackApiServer, caplog: pytest.LogCaptureFixture
) -> None:
    from outbound.poster import PostUncertain

    slack_api.fail_next("chat.postMessage", times=50, **FAULTS[fault])
    with caplog.at_level(logging.WARNING, logger="outbound.poster"), pytest.raises(PostUncertain):
        poster.post(channel=CHANNEL, text="Never", tries=3)
    assert slack_api.posted(CHANNEL) == [] and len(slack_api.calls_to("chat.postMessage")) == 3
    assert "did not answer clearly" in caplog.text


def test_a_patient_post_outlasts_a_run_of_failures_within_the_limit(
    poster: OncePoster, slack_api: SlackApiServer
) -> None:
    for fault in ("500", "dropped connection", "500", "429 Retry-After 0", "dropped connection"):
        slack_api.fail_next("chat.postMessage", **FAULTS[fault])
    posted = poster.post(channel=CHANNEL, text="Kept trying", tries=1, patient=True)
    assert [m["ts"] for m in slack_api.posted(CHANNEL)] == [posted.ts]
    assert statuses(slack_api, "chat.postMessage") == [500, DROPPED, 500, 429, DROPPED, 200]


# -- updates: chat.update through the ordinary client (safe to repeat) --------------------------------------
@pytest.mark.parametrize("fault", FAULTS)
def test_an_update_lands_once_whatever_slack_does_to_one_try(
    fault: str, poster: OncePoster, slack_api: SlackApiServer
) -> None:
    posted = poster.post(channel=CHANNEL, text="Placeholder")
    slack_api.fail_next("chat.update", **FAULTS[fault])
    poster.client.chat_update(channel=CHANNEL, ts=posted.ts, text="The brief")
    [message] = slack_api.posted(CHANNEL)
    assert message["text"] == "The brief"
    assert len(slack_api.calls_to("chat.update")) == 2


def test_rate_limits_then_server_errors_then_drops_each_have_their_own_count(
    poster: OncePoster, slack_api: SlackApiServer, tmp_path: Path
) -> None:
    posted = poster.post(channel=CHANNEL, text="Placeholder")
    slack_api.fail_next("chat.update", status=429, retry_after=1)
    slack_api.fail_next("chat.update", status=429, retry_after=0)
    slack_api.fail_next("chat.update", status=500, times=2)
    slack_api.fail_next("chat.update", drop=True, times=2)
    client = make_slack_client(Settings(data_dir=tmp_path, slack_bot_token="xoxb-test-token",
                                        slack_api_url=slack_api.url, slack_retry_seconds=10))
    client.chat_update(channel=CHANNEL, ts=posted.ts, text="The brief")
    assert statuses(slack_api, "chat.update") == [429, 429, 500, 500, DROPPED, DROPPED, 200]
    calls = slack_api.calls_to("chat.update")
    assert calls[1].at - calls[0].at >= 1.0  # Retry-After was honoured
    assert slack_api.posted(CHANNEL)[0]["text"] == "The brief"


@pytest.mark.parametrize("svc", [1.0], indirect=True)
def test_an_update_slack_keeps_failing_gives_up_after_the_limit(
    poster: OncePoster, slack_api: SlackApiServer
) -> None:
    from slack_sdk.errors import SlackApiError

    posted = poster.post(channel=CHANNEL, text="Placeholder")
    slack_api.fail_next("chat.update", status=503, times=100)
    with pytest.raises(SlackApiError):
        poster.client.chat_update(channel=CHANNEL, ts=posted.ts, text="The brief")
    calls = slack_api.calls_to("chat.update")
    assert len(calls) >= 2 and calls[-1].at - calls[0].at <= 1.0  # SLACK_RETRY_SECONDS=1


# -- digests: a DM with a chart in its thread, through the delivery ledger -------------------------------
@pytest.mark.parametrize("fault", FAULTS)
@pytest.mark.parametrize("call", DIGEST_CALLS)
def test_a_digest_and_its_chart_arrive_once_whatever_one_call_meets(
    call: str, fault: str, svc: Services, slack_api: SlackApiServer, caplog: pytest.LogCaptureFixture
) -> None:
    slack_api.fail_next(call, **FAULTS[fault])
    now = datetime.now(UTC)
    with caplog.at_level(logging.WARNING, logger="jobs.delivery"):
        outcome = svc.deliverer.deliver(kind="manager", recipient="tom", period="2026-W49", slack_user_id=USER,
                                        message=digest(), now=now)
    ledger = svc.records.deliveries
    if outcome.status != "sent":
        # Honest: the ledger holds it pending with the reason, the log says so, the retry job finishes it.
        row = ledger.get(outcome.key)
        assert outcome.status == "pending" and row is not None and row.status == "pending" and row.last_error
        assert f"delivery {outcome.key} stays pending" in caplog.text
        report = delivery_retry.send(svc.job_parts(), now=now + timedelta(minutes=10))
        assert [o.status for o in report.outcomes] == ["sent"]
    [message] = slack_api.posted(DM)
    [chart] = shown_charts(slack_api, [message])
    assert chart.completed and chart.data == PNG and chart.channel is None  # shown only by the digest
    row = ledger.get(outcome.key)
    assert row is not None and row.status == "sent" and row.slack_ts == message["ts"]
    assert row.chart_file_id == chart.file_id


# files.info failing throughout leaves the digest to go without its chart (the tests after this one).
@pytest.mark.parametrize("svc", [0.5], indirect=True)
@pytest.mark.parametrize("call", [c for c in DIGEST_CALLS if c != "files.info"])
def test_a_digest_slack_keeps_failing_is_failed_in_the_ledger_with_the_reason(
    call: str, svc: Services, slack_api: SlackApiServer, caplog: pytest.LogCaptureFixture
) -> None:
    svc.deliverer.max_attempts = 2
    slack_api.fail_next(call, status=503, times=200)
    now = datetime.now(UTC)
    with caplog.at_level(logging.ERROR, logger="jobs.delivery"):
        first = svc.deliverer.deliver(kind="manager", recipient="tom", period="2026-W49", slack_user_id=USER,
                                      message=digest(), now=now)
        report = delivery_retry.send(svc.job_parts(), now=now + timedelta(minutes=10))
    assert first.status == "pending" and [o.status for o in report.outcomes] == ["failed"]
    [failed] = svc.records.deliveries.listing(statuses=["failed"])
    assert failed.key == first.key and failed.last_error and "xoxb" not in failed.last_error
    assert f"delivery {first.key} failed after 2 attempt(s)" in caplog.text
    # Nothing was shown: the digest is posted only once its chart is ready, and the chart only through it.
    assert slack_api.posted(DM) == [] and all(u.channel is None for u in slack_api.uploads)


# -- files.info: no answer throughout is a chart not ready; an answer that our request is wrong fails ----------
def hang_then_answer_ready(slack_api: SlackApiServer, seconds: float) -> None:
    """files.info answers only after `seconds` (then that the chart is an image): a look that times out."""
    def slow(params: dict[str, Any]) -> dict[str, Any]:
        time.sleep(seconds)
        return {"ok": True, "file": {"id": params.get("file"), "mimetype": "image/png"}}

    slack_api.handlers["files.info"] = slow


@pytest.mark.parametrize("fault", ["503", "dropped connection", "timeout"])
def test_a_digest_whose_chart_slack_never_answers_for_goes_without_it_and_the_upload_is_deleted(
    fault: str, svc: Services, slack_api: SlackApiServer, monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.setattr("jobs.chart_file.READY_PAUSES", (0.05, 0.05))
    monkeypatch.setattr("jobs.chart_file.LOOK_SECONDS", 0.3)
    if fault == "timeout":
        hang_then_answer_ready(slack_api, 2.0)
    else:
        slack_api.fail_next("files.info", **({"status": 503} if fault == "503" else {"drop": True}), times=1000)
    now = datetime.now(UTC)
    started = time.monotonic()
    with caplog.at_level(logging.WARNING, logger="jobs.delivery"):
        outcome = svc.deliverer.deliver(kind="manager", recipient="tom", period="2026-W49", slack_user_id=USER,
                                        message=digest(), now=now)
    took = time.monotonic() - started
    assert outcome.status == "sent"  # in the first attempt
    # The looks are the retries: three, bounded by the pauses and each look's wait, not SLACK_RETRY_SECONDS each.
    assert len(slack_api.calls_to("files.info")) == 3 and took < 2.0, took
    [message] = slack_api.posted(DM)
    assert [b["type"] for b in message["blocks"]] == ["section", "section"]
    assert message["blocks"][-1]["text"]["text"] == "Keep rate: W48 80% (4 of 5)."
    [upload] = slack_api.uploads
    assert upload.completed and upload.channel is None and upload.deleted
    assert [c.params["file"] for c in slack_api.calls_to("files.delete")] == [upload.file_id]
    assert (f"delivery {outcome.key}: Slack did not answer whether the chart {upload.file_id} was processed ("
            in caplog.text)
    assert "sending it without the chart, its figures as text" in caplog.text and "xoxb" not in caplog.text
    row = svc.records.deliveries.get(outcome.key)
    assert row is not None and row.status == "sent" and row.slack_ts == message["ts"] and row.last_error is None
    assert delivery_retry.send(svc.job_parts(), now=now + timedelta(minutes=10)).outcomes == []
    assert len(slack_api.posted()) == 1


@pytest.mark.parametrize("error", ["invalid_auth", "missing_scope", "not_authed"])
def test_a_chart_look_slack_says_is_wrong_fails_the_digest_loudly(
    error: str, svc: Services, slack_api: SlackApiServer, caplog: pytest.LogCaptureFixture
) -> None:
    slack_api.fail_next("files.info", status=200, error=error, times=1000)
    now = datetime.now(UTC)
    with caplog.at_level(logging.ERROR, logger="jobs.delivery"):
        outcome = svc.deliverer.deliver(kind="manager", recipient="tom", period="2026-W49", slack_user_id=USER,
                                        message=digest(), now=now)
    # Retrying cannot fix the request, and sending without the chart would hide that it is wrong.
    assert outcome.status == "failed" and outcome.detail == f"Slack answered {error}"
    assert len(slack_api.calls_to("files.info")) == 1
    assert f"delivery {outcome.key} failed after 1 attempt(s): Slack answered {error}" in caplog.text
    assert slack_api.posted(DM) == [] and slack_api.calls_to("files.delete") == []
    [failed] = svc.records.deliveries.listing(statuses=["failed"])
    assert failed.key == outcome.key and failed.last_error == f"Slack answered {error}"
