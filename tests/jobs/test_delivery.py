"""Exactly-once delivery against the local Slack API: retries, a crash between post and record, two senders."""

from __future__ import annotations

import logging
import threading
import time
from datetime import datetime, timedelta
from typing import Any

import pytest
from slack_sdk.models.blocks import ImageBlock

from advocate.services import Services, build_services
from jobs import delivery_retry
from jobs.delivery import Outcome
from outbound.blocks import BlockList, Chart, Message
from outbound.layouts.keep_rate import CHART_BLOCK_ID, CHART_FIGURES_BLOCK_ID, CHART_FILE_PLACEHOLDER
from outbound.poster import METADATA_EVENT_TYPE
from tests.jobs.conftest import NOW, assert_valid_message, dm, slack_id
from tests.slack_api_server import SlackApiServer, Upload

HANDLE = "tom.baines"


class SimulatedCrash(BaseException):
    """Stands for the process dying: not an Exception, so nothing on the way catches it."""


def message(text: str = "Your digest") -> Message:
    blocks = BlockList()
    blocks.section(f"*{text}*")
    return Message(text=text, blocks=blocks.done())


def deliver(svc: Services, *, period: str = "2026-W48", now=NOW):  # type: ignore[no-untyped-def]
    return svc.deliverer.deliver(kind="manager", recipient=HANDLE, period=period, slack_user_id=slack_id(HANDLE),
                                 message=message(), now=now)


@pytest.fixture
def svc(org: Services) -> Services:
    org.poster.pause_seconds = 0.05
    return org


def test_delivered_once_with_the_key_in_metadata(svc: Services, slack_api: SlackApiServer) -> None:
    outcome = deliver(svc)
    assert outcome.status == "sent"
    posted = slack_api.posted(dm(HANDLE))
    assert len(posted) == 1
    assert_valid_message(posted[0], channel=dm(HANDLE))
    assert posted[0]["metadata"] == {"event_type": METADATA_EVENT_TYPE,
                                     "event_payload": {"delivery_key": "manager:tom.baines:2026-W48"}}
    row = svc.records.deliveries.get("manager:tom.baines:2026-W48")
    assert row is not None and row.status == "sent" and row.slack_ts == posted[0]["ts"] and row.attempts == 1
    assert all(c.authorization == "Bearer xoxb-test-token" for c in slack_api.calls)
    again = deliver(svc)
    assert again.status == "already_sent"
    assert len(slack_api.posted()) == 1


def test_rate_limited_then_delivered_once(svc: Services, slack_api: SlackApiServer) -> None:
    slack_api.fail_next("chat.postMessage", status=429, retry_after=1)
    started = time.monotonic()
    assert deliver(svc).status == "sent"
    assert time.monotonic() - started >= 1.0  # Retry-After was honoured
    assert [c.status for c in slack_api.calls_to("chat.postMessage")] == [429, 200]
    assert len(slack_api.posted()) == 1


def test_server_error_before_posting_is_retried_once_delivered(svc: Services, slack_api: SlackApiServer) -> None:
    slack_api.fail_next("chat.postMessage", status=500)
    assert deliver(svc).status == "sent"
    assert [c.status for c in slack_api.calls_to("chat.postMessage")] == [500, 200]
    assert len(slack_api.calls_to("conversations.history")) == 1  # looked before posting again
    assert len(slack_api.posted()) == 1


def test_server_error_after_posting_is_not_posted_twice(svc: Services, slack_api: SlackApiServer) -> None:
    slack_api.fail_next("chat.postMessage", status=500, after_posting=True)
    outcome = deliver(svc)
    assert outcome.status == "sent"
    assert len(slack_api.calls_to("chat.postMessage")) == 1
    assert len(slack_api.posted(dm(HANDLE))) == 1
    row = svc.records.deliveries.get(outcome.key)
    assert row is not None and row.slack_ts == slack_api.posted()[0]["ts"]


def test_a_crash_between_sent_and_recorded_is_resolved_without_a_duplicate(
    svc: Services, slack_api: SlackApiServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    ledger = svc.records.deliveries
    real_mark_posted = ledger.mark_posted

    def crash(*args: object, **kwargs: object) -> None:
        raise SimulatedCrash

    monkeypatch.setattr(ledger, "mark_posted", crash)
    with pytest.raises(SimulatedCrash):
        deliver(svc)
    monkeypatch.setattr(ledger, "mark_posted", real_mark_posted)
    key = "manager:tom.baines:2026-W48"
    row = ledger.get(key)
    assert row is not None and row.status == "pending" and row.slack_ts is None
    assert len(slack_api.posted()) == 1  # Slack has it; our record does not
    # While the dead process's lease runs, nobody else sends it.
    assert svc.deliverer.attempt(key, now=NOW + timedelta(minutes=1)).status == "busy"
    # The next run after the lease: the retry job finds the message in the DM instead of sending again.
    report = delivery_retry.send(svc.job_parts(), now=NOW + timedelta(minutes=10))
    assert [o.status for o in report.outcomes] == ["recovered"]
    assert len(slack_api.posted()) == 1
    row = ledger.get(key)
    assert row is not None and row.status == "sent" and row.slack_ts == slack_api.posted()[0]["ts"]
    assert len(slack_api.calls_to("chat.postMessage")) == 1


def test_slack_down_leaves_it_pending_and_the_retry_job_delivers(svc: Services, slack_api: SlackApiServer) -> None:
    slack_api.fail_next(status=503, times=30)
    outcome = deliver(svc)
    assert outcome.status == "pending" and "Slack" in outcome.detail
    row = svc.records.deliveries.get(outcome.key)
    assert row is not None and row.status == "pending" and row.last_error and row.attempts == 1
    assert slack_api.posted() == []
    slack_api.reset()
    report = delivery_retry.send(svc.job_parts(), now=NOW + timedelta(minutes=10))
    assert [o.status for o in report.outcomes] == ["sent"]
    assert len(slack_api.posted()) == 1


def test_after_the_last_attempt_it_is_failed_and_says_why(svc: Services, slack_api: SlackApiServer) -> None:
    svc.deliverer.max_attempts = 2
    slack_api.fail_next(status=503, times=60)
    assert deliver(svc).status == "pending"
    report = delivery_retry.send(svc.job_parts(), now=NOW + timedelta(minutes=10))
    assert [o.status for o in report.outcomes] == ["failed"]
    failed = svc.records.deliveries.listing(statuses=["failed"])
    assert [f.key for f in failed] == ["manager:tom.baines:2026-W48"]
    assert failed[0].last_error and "xoxb" not in failed[0].last_error
    assert delivery_retry.send(svc.job_parts(), now=NOW + timedelta(minutes=20)).outcomes == []  # not retried blindly


def test_a_permanent_error_fails_at_once(svc: Services, slack_api: SlackApiServer) -> None:
    slack_api.fail_next("conversations.open", status=200, error="user_not_found")
    outcome = deliver(svc)
    assert outcome.status == "failed" and "user_not_found" in outcome.detail


def test_no_slack_id_is_a_visible_failure(svc: Services, slack_api: SlackApiServer) -> None:
    outcome = svc.deliverer.deliver(kind="manager", recipient="ghost", period="2026-W48", slack_user_id=None,
                                    message=message(), now=NOW)
    assert outcome.status == "failed" and "no Slack user id" in outcome.detail
    assert svc.records.deliveries.get(outcome.key).status == "failed"  # type: ignore[union-attr]
    assert slack_api.calls == []


def test_two_senders_at_once_send_one_message(svc: Services, slack_api: SlackApiServer) -> None:
    other = build_services(svc.settings, embedder=svc.embedder)
    try:
        start = threading.Barrier(2)
        outcomes: list[str] = []

        def send(services: Services) -> None:
            start.wait()
            outcomes.append(deliver(services).status)

        threads = [threading.Thread(target=send, args=(s,)) for s in (svc, other)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
        assert sorted(outcomes) in (["busy", "sent"], ["already_sent", "sent"])
        assert len(slack_api.posted()) == 1
    finally:
        other.close()


# -- the chart: into the message's thread once, whatever stops the process on the way ----------------------
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4
ALT = "Bar chart, Keep rate, Tom's team: W47 60% (3 of 5)."


def chart_message() -> Message:
    image = ImageBlock(block_id=CHART_BLOCK_ID, slack_file={"id": CHART_FILE_PLACEHOLDER}, alt_text=ALT,
                       title="Keep rate, Tom's team")
    return Message(text="Your digest", blocks=[*message().blocks, image],
                   chart=Chart(png=PNG, filename="keep-rate-2026-W48.png", title="Keep rate, Tom's team"))


def deliver_with_chart(svc: Services, *, period: str = "2026-W48", now: datetime = NOW) -> Outcome:
    return svc.deliverer.deliver(kind="manager", recipient=HANDLE, period=period, slack_user_id=slack_id(HANDLE),
                                 message=chart_message(), now=now)


def crash_on(monkeypatch: pytest.MonkeyPatch, target: object, name: str) -> None:
    """`target.name` dies like the process would, until `monkeypatch.undo()`."""
    def crash(*args: object, **kwargs: object) -> None:
        raise SimulatedCrash

    monkeypatch.setattr(target, name, crash)


def shown_chart(slack_api: SlackApiServer) -> tuple[dict, Upload]:
    """The one digest posted, and the uploaded chart its image block shows."""
    [posted] = slack_api.posted(dm(HANDLE))
    image = posted["blocks"][-1]
    assert image["type"] == "image" and image["alt_text"] == ALT
    [upload] = [u for u in slack_api.uploads if u.file_id == image["slack_file"]["id"]]
    return posted, upload


def test_the_chart_is_shown_inside_the_message_once(svc: Services, slack_api: SlackApiServer) -> None:
    outcome = deliver_with_chart(svc)
    assert outcome.status == "sent"
    posted, chart = shown_chart(slack_api)
    assert_valid_message(posted, channel=dm(HANDLE))
    # Uploaded and completed before the message, shared into no channel or thread of its own.
    assert (chart.data, chart.title, chart.channel, chart.thread_ts) == (PNG, "Keep rate, Tom's team", None, None)
    row = svc.records.deliveries.get(outcome.key)
    assert row is not None and row.status == "sent" and row.chart_file_id == chart.file_id
    # The stored intent keeps the placeholder: what was recorded is what any attempt starts from.
    assert row.payload["blocks"][-1]["slack_file"] == {"id": CHART_FILE_PLACEHOLDER}
    assert deliver_with_chart(svc).status == "already_sent"
    assert len(slack_api.uploads) == 1 and len(slack_api.posted()) == 1


def test_a_crash_after_posting_does_not_upload_or_post_again(
    svc: Services, slack_api: SlackApiServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    ledger = svc.records.deliveries
    crash_on(monkeypatch, ledger, "mark_sent")
    with pytest.raises(SimulatedCrash):
        deliver_with_chart(svc)
    monkeypatch.undo()
    report = delivery_retry.send(svc.job_parts(), now=NOW + timedelta(minutes=10))
    assert [o.status for o in report.outcomes] == ["sent"]
    shown_chart(slack_api)
    assert len(slack_api.calls_to("files.getUploadURLExternal")) == 1 and len(slack_api.posted()) == 1


def test_a_crash_between_upload_and_post_reuses_the_uploaded_chart(
    svc: Services, slack_api: SlackApiServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    crash_on(monkeypatch, svc.poster, "post")
    with pytest.raises(SimulatedCrash):
        deliver_with_chart(svc)
    monkeypatch.undo()
    uploaded = svc.records.deliveries.get("manager:tom.baines:2026-W48")
    assert uploaded is not None and uploaded.chart_file_id and slack_api.posted() == []
    report = delivery_retry.send(svc.job_parts(), now=NOW + timedelta(minutes=10))
    assert [o.status for o in report.outcomes] == ["sent"]
    _, chart = shown_chart(slack_api)
    assert chart.file_id == uploaded.chart_file_id and len(slack_api.calls_to("files.getUploadURLExternal")) == 1


def test_a_crash_before_the_chart_bytes_went_uploads_it_afresh_once(
    svc: Services, slack_api: SlackApiServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    crash_on(monkeypatch, svc.poster, "upload_bytes")
    with pytest.raises(SimulatedCrash):
        deliver_with_chart(svc)
    monkeypatch.undo()
    key = "manager:tom.baines:2026-W48"
    reserved = svc.records.deliveries.get(key)
    assert reserved is not None and reserved.chart_file_id and slack_api.posted() == []
    report = delivery_retry.send(svc.job_parts(), now=NOW + timedelta(minutes=10))
    assert [o.status for o in report.outcomes] == ["sent"]
    _, chart = shown_chart(slack_api)
    assert chart.data == PNG and chart.file_id != reserved.chart_file_id
    assert svc.records.deliveries.get(key).chart_file_id == chart.file_id  # type: ignore[union-attr]
    assert len(slack_api.posted()) == 1
    # The upload it replaced is deleted once the digest is sent; the one shown is not.
    assert [c.params["file"] for c in slack_api.calls_to("files.delete")] == [reserved.chart_file_id]
    assert methods(slack_api).index("files.delete") > methods(slack_api).index("chat.postMessage")
    assert not chart.deleted


def test_an_earlier_upload_slack_never_processed_is_replaced_and_deleted(
    svc: Services, slack_api: SlackApiServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    crash_on(monkeypatch, svc.poster, "post")  # uploaded, then the process dies before posting
    slack_api.processing_looks = 10**6
    monkeypatch.setattr("jobs.chart_file.READY_PAUSES", (0.01,))
    with pytest.raises(SimulatedCrash):
        deliver_with_chart(svc)
    monkeypatch.undo()
    [first] = slack_api.uploads
    slack_api.processing_looks = 0  # Slack is quick again, but still never finished the first upload
    slack_api.fail_next("files.info", status=200, error="file_not_found")
    report = delivery_retry.send(svc.job_parts(), now=NOW + timedelta(minutes=10))
    assert [o.status for o in report.outcomes] == ["sent"]
    _, chart = shown_chart(slack_api)
    assert chart.file_id != first.file_id and not chart.deleted
    assert first.deleted and [c.params["file"] for c in slack_api.calls_to("files.delete")] == [first.file_id]


def test_a_chart_slack_is_still_processing_is_waited_for(svc: Services, slack_api: SlackApiServer) -> None:
    slack_api.processing_looks = 2
    assert deliver_with_chart(svc).status == "sent"
    shown_chart(slack_api)
    assert len(slack_api.calls_to("files.info")) == 3


def test_a_chart_slack_never_finishes_processing_leaves_the_digest_to_go_without_it(
    svc: Services, slack_api: SlackApiServer, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr("jobs.chart_file.READY_PAUSES", (0.01, 0.01))
    slack_api.processing_looks = 10**6  # files.info never reports an image
    with caplog.at_level(logging.WARNING, logger="jobs.delivery"):
        outcome = deliver_with_chart(svc)
    assert outcome.status == "sent"
    [posted] = slack_api.posted(dm(HANDLE))
    assert_valid_message(posted, channel=dm(HANDLE))
    # The chart's place holds its figures, as written; no block names a file.
    assert [b["type"] for b in posted["blocks"]] == ["section", "section"]
    assert posted["blocks"][-1] == {"type": "section", "block_id": CHART_FIGURES_BLOCK_ID,
                                    "text": {"type": "plain_text", "text": "Keep rate, Tom's team: W47 60% (3 of 5).",
                                             "emoji": False}}
    [upload] = slack_api.uploads  # uploaded and completed without a channel: shown nowhere
    assert (upload.channel, upload.thread_ts) == (None, None)
    assert len(slack_api.calls_to("files.info")) == 3 and len(slack_api.calls_to("chat.postMessage")) == 1
    assert f"delivery {outcome.key}: Slack was still processing the chart {upload.file_id}" in caplog.text
    assert "sending it without the chart, its figures as text" in caplog.text
    row = svc.records.deliveries.get(outcome.key)
    assert row is not None and row.status == "sent" and row.slack_ts == posted["ts"]
    # The stored intent keeps the chart: what was recorded is what any attempt starts from.
    assert row.payload["blocks"][-1]["slack_file"] == {"id": CHART_FILE_PLACEHOLDER}
    assert deliver_with_chart(svc).status == "already_sent" and len(slack_api.posted()) == 1


def test_slack_failing_to_complete_the_upload_still_shows_the_chart_once(
    svc: Services, slack_api: SlackApiServer
) -> None:
    slack_api.fail_next("files.completeUploadExternal", status=500, after_posting=True)
    assert deliver_with_chart(svc).status == "sent"  # completing an unshared upload again shows nothing twice
    shown_chart(slack_api)
    assert len(slack_api.posted()) == 1 and len(slack_api.uploads) == 1


# -- a chart the digest went without: deleted once the digest is sent, never one a message shows -------------
def never_processed(monkeypatch: pytest.MonkeyPatch, slack_api: SlackApiServer) -> None:
    """Slack never reports the chart processed, and the looks are quick."""
    monkeypatch.setattr("jobs.chart_file.READY_PAUSES", (0.01, 0.01))
    slack_api.processing_looks = 10**6


def methods(slack_api: SlackApiServer) -> list[str]:
    return [c.method for c in slack_api.calls]


@pytest.mark.parametrize("fault", [None, {"status": 500, "after_posting": True},
                                   {"drop": True, "after_posting": True}],
                         ids=["answered", "500 after deleting", "dropped after deleting"])
def test_the_chart_a_digest_went_without_is_deleted_after_it_is_sent(
    fault: dict[str, Any] | None, svc: Services, slack_api: SlackApiServer, monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    never_processed(monkeypatch, slack_api)
    if fault:  # Slack deleted it but the answer was lost: the retry hears file_deleted, which is as good
        slack_api.fail_next("files.delete", **fault)
    with caplog.at_level(logging.INFO, logger="jobs.delivery"):
        outcome = deliver_with_chart(svc)
    assert outcome.status == "sent"
    [posted] = slack_api.posted(dm(HANDLE))
    assert not [b for b in posted["blocks"] if b["type"] == "image"]
    [upload] = slack_api.uploads
    assert upload.deleted and (upload.channel, upload.thread_ts) == (None, None)
    deletes = slack_api.calls_to("files.delete")
    assert {c.params["file"] for c in deletes} == {upload.file_id} and len(deletes) == (2 if fault else 1)
    # Only once the message without it is posted and recorded sent.
    assert methods(slack_api).index("files.delete") > methods(slack_api).index("chat.postMessage")
    assert f"delivery {outcome.key}: deleted the chart {upload.file_id} it does not show" in caplog.text
    assert "could not delete" not in caplog.text
    row = svc.records.deliveries.get(outcome.key)
    assert row is not None and row.status == "sent" and row.slack_ts == posted["ts"] and row.last_error is None
    assert deliver_with_chart(svc).status == "already_sent"
    assert len(slack_api.posted()) == 1 and len(slack_api.calls_to("files.delete")) == len(deletes)


@pytest.mark.parametrize("fault", [{"status": 500, "times": 100}, {"drop": True, "times": 100},
                                   {"status": 200, "error": "cant_delete_file"}],
                         ids=["500 throughout", "dropped throughout", "refused"])
def test_a_chart_slack_will_not_delete_neither_stops_nor_repeats_the_digest(
    fault: dict[str, Any], svc: Services, slack_api: SlackApiServer, monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    never_processed(monkeypatch, slack_api)
    monkeypatch.setattr("jobs.chart_file.DELETE_SECONDS", 1.0)
    slack_api.fail_next("files.delete", **fault)
    with caplog.at_level(logging.INFO, logger="jobs.delivery"):
        outcome = deliver_with_chart(svc)
    assert outcome.status == "sent"
    [upload] = slack_api.uploads
    assert slack_api.calls_to("files.delete") and not upload.deleted
    assert f"delivery {outcome.key}: could not delete the chart {upload.file_id} it does not show (" in caplog.text
    assert "xoxb" not in caplog.text
    row = svc.records.deliveries.get(outcome.key)
    assert row is not None and row.status == "sent" and row.last_error is None
    # Nothing left to retry, nothing sent twice.
    assert delivery_retry.send(svc.job_parts(), now=NOW + timedelta(minutes=10)).outcomes == []
    assert deliver_with_chart(svc).status == "already_sent"
    [posted] = slack_api.posted()
    assert not [b for b in posted["blocks"] if b["type"] == "image"]
    assert len(slack_api.calls_to("chat.postMessage")) == 1


def test_a_retry_after_a_crash_deletes_no_chart_a_posted_digest_shows(
    svc: Services, slack_api: SlackApiServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Week 48: posted with its chart, and the process dies before recording it.
    crash_on(monkeypatch, svc.records.deliveries, "mark_posted")
    with pytest.raises(SimulatedCrash):
        deliver_with_chart(svc)
    monkeypatch.undo()
    _, shown = shown_chart(slack_api)
    # Then Slack stops answering files.info: the retry must find the message, not look at or delete its chart.
    monkeypatch.setattr("jobs.chart_file.READY_PAUSES", (0.01, 0.01))
    slack_api.fail_next("files.info", status=503, times=1000)
    report = delivery_retry.send(svc.job_parts(), now=NOW + timedelta(minutes=10))
    assert [o.status for o in report.outcomes] == ["recovered"]
    assert slack_api.calls_to("files.delete") == [] and not shown.deleted
    # Week 49 goes without its chart, and only its own upload is deleted.
    assert deliver_with_chart(svc, period="2026-W49", now=NOW + timedelta(minutes=20)).status == "sent"
    [left_out] = [u for u in slack_api.uploads if u.file_id != shown.file_id]
    assert [c.params["file"] for c in slack_api.calls_to("files.delete")] == [left_out.file_id]
    assert left_out.deleted and not shown.deleted
    week48, week49 = slack_api.posted(dm(HANDLE))
    assert week48["blocks"][-1]["slack_file"] == {"id": shown.file_id}
    assert not [b for b in week49["blocks"] if b["type"] == "image"]


def test_a_crash_after_posting_without_the_chart_posts_nothing_twice_and_deletes_the_unshown_upload(
    svc: Services, slack_api: SlackApiServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("jobs.chart_file.READY_PAUSES", (0.01, 0.01))
    slack_api.fail_next("files.info", status=503, times=1000)
    crash_on(monkeypatch, svc.records.deliveries, "mark_posted")
    with pytest.raises(SimulatedCrash):
        deliver_with_chart(svc)
    monkeypatch.undo()
    report = delivery_retry.send(svc.job_parts(), now=NOW + timedelta(minutes=10))
    assert [o.status for o in report.outcomes] == ["recovered"]
    [posted] = slack_api.posted(dm(HANDLE))
    assert not [b for b in posted["blocks"] if b["type"] == "image"]
    assert len(slack_api.calls_to("chat.postMessage")) == 1
    # The message found by its key carries the chart's figures in words and no image: the upload that
    # attempt made is shown nowhere, so it is deleted once the digest is recorded as sent.
    [upload] = slack_api.uploads
    assert len(slack_api.calls_to("files.delete")) == 1 and upload.deleted
    row = svc.records.deliveries.get(report.outcomes[0].key)
    assert row is not None and row.status == "sent" and row.slack_ts == posted["ts"]
