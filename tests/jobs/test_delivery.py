"""Exactly-once delivery against the local Slack API: retries, a crash between post and record, two senders."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest

from advocate.services import Services, build_services
from jobs import delivery_retry
from outbound.blocks import BlockList, Chart, Message
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


def chart_message() -> Message:
    return Message(text="Your digest", blocks=message().blocks,
                   chart=Chart(png=PNG, filename="keep-rate-2026-W48.png", title="Keep rate, Tom's team"))


def deliver_with_chart(svc: Services):  # type: ignore[no-untyped-def]
    return svc.deliverer.deliver(kind="manager", recipient=HANDLE, period="2026-W48", slack_user_id=slack_id(HANDLE),
                                 message=chart_message(), now=NOW)


def shared(slack_api: SlackApiServer) -> list[Upload]:
    """Charts that people can see: uploads completed into a channel."""
    return [u for u in slack_api.uploads if u.shared_ts is not None]


def test_the_chart_goes_into_the_thread_once(svc: Services, slack_api: SlackApiServer) -> None:
    outcome = deliver_with_chart(svc)
    assert outcome.status == "sent"
    [message_posted] = slack_api.posted(dm(HANDLE))
    [chart] = shared(slack_api)
    assert (chart.channel, chart.thread_ts, chart.data, chart.title) == (
        dm(HANDLE), message_posted["ts"], PNG, "Keep rate, Tom's team")
    row = svc.records.deliveries.get(outcome.key)
    assert row is not None and row.status == "sent" and row.chart_file_id == chart.file_id
    assert slack_api.calls_to("conversations.replies") == []  # a first attempt has nothing to look for
    assert deliver_with_chart(svc).status == "already_sent" and len(shared(slack_api)) == 1


def test_a_crash_after_the_chart_was_shared_does_not_share_it_again(
    svc: Services, slack_api: SlackApiServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    ledger = svc.records.deliveries
    real_mark_sent = ledger.mark_sent

    def crash(*args: object, **kwargs: object) -> None:
        raise SimulatedCrash

    monkeypatch.setattr(ledger, "mark_sent", crash)
    with pytest.raises(SimulatedCrash):
        deliver_with_chart(svc)
    monkeypatch.setattr(ledger, "mark_sent", real_mark_sent)
    key = "manager:tom.baines:2026-W48"
    row = ledger.get(key)
    [chart] = shared(slack_api)
    assert row is not None and row.status == "pending" and row.chart_file_id == chart.file_id
    report = delivery_retry.send(svc.job_parts(), now=NOW + timedelta(minutes=10))
    assert [o.status for o in report.outcomes] == ["sent"]
    assert shared(slack_api) == [chart] and len(slack_api.calls_to("files.getUploadURLExternal")) == 1
    assert len(slack_api.calls_to("conversations.replies")) == 1  # it looked in the thread instead
    assert len(slack_api.posted()) == 1 and ledger.get(key).status == "sent"  # type: ignore[union-attr]


def test_a_crash_before_the_chart_bytes_went_uploads_it_afresh_once(
    svc: Services, slack_api: SlackApiServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_upload = svc.poster.upload_bytes

    def crash(*args: object, **kwargs: object) -> None:
        raise SimulatedCrash

    monkeypatch.setattr(svc.poster, "upload_bytes", crash)
    with pytest.raises(SimulatedCrash):
        deliver_with_chart(svc)
    monkeypatch.setattr(svc.poster, "upload_bytes", real_upload)
    key = "manager:tom.baines:2026-W48"
    reserved = svc.records.deliveries.get(key)
    assert reserved is not None and reserved.chart_file_id and shared(slack_api) == []
    report = delivery_retry.send(svc.job_parts(), now=NOW + timedelta(minutes=10))
    assert [o.status for o in report.outcomes] == ["sent"]
    [chart] = shared(slack_api)
    assert chart.data == PNG and chart.file_id != reserved.chart_file_id
    assert svc.records.deliveries.get(key).chart_file_id == chart.file_id  # type: ignore[union-attr]
    assert len(slack_api.posted()) == 1


def test_slack_failing_after_sharing_the_chart_does_not_share_it_twice(
    svc: Services, slack_api: SlackApiServer
) -> None:
    slack_api.fail_next("files.completeUploadExternal", status=500, after_posting=True)
    outcome = deliver_with_chart(svc)
    assert outcome.status == "pending" and "Slack answered" in outcome.detail
    assert len(shared(slack_api)) == 1
    report = delivery_retry.send(svc.job_parts(), now=NOW + timedelta(minutes=10))
    assert [o.status for o in report.outcomes] == ["sent"]
    assert len(shared(slack_api)) == 1 and len(slack_api.calls_to("files.completeUploadExternal")) == 1
    assert len(slack_api.posted()) == 1


def test_slack_failing_before_sharing_the_chart_shares_it_on_the_retry(
    svc: Services, slack_api: SlackApiServer
) -> None:
    slack_api.fail_next("files.completeUploadExternal", status=500)
    assert deliver_with_chart(svc).status == "pending"
    assert shared(slack_api) == []
    report = delivery_retry.send(svc.job_parts(), now=NOW + timedelta(minutes=10))
    assert [o.status for o in report.outcomes] == ["sent"]
    [chart] = shared(slack_api)
    assert chart.thread_ts == slack_api.posted(dm(HANDLE))[0]["ts"] and len(slack_api.posted()) == 1
