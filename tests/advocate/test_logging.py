"""Structured logs (advocate/logging_setup.py): JSON lines with the ids of the work they belong to, through
the real Bolt app and the real scheduler; tokens and secrets scrubbed; no customer words at INFO."""

from __future__ import annotations

import io
import json
import logging
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from advocate.logging_setup import bound, configure_cli_logging, configure_logging
from advocate.services import Services, build_services
from jobs.parts import JobParts
from jobs.scheduler import PARTS_ARG, build_scheduler
from knowledge.embeddings import SentenceTransformerEmbeddings
from tests.bot import payloads
from tests.bot.conftest import ASKER, DM, FEEDBACK, SECRET, Slack, bot_settings, briefs, ingest_small_pack, make_slack
from tests.slack_api_server import SlackApiServer

BOT = "UBOT0001"
QUESTION = "Decision: we will stop offering engineer callbacks and send customers to the chatbot instead"
# Sentences of the sample verbatims (tests/bot/conftest.py FEEDBACK_CSV) and of a feedback-channel message.
VERBATIMS = (
    "They promised a callback and nobody called",
    "I waited all afternoon",
    "The chatbot went round in circles and I could not reach a person",
    "The engineer called back exactly when promised",
    "Waiting on hold for forty minutes to reach a person is not acceptable",
)
CHANNEL_FEEDBACK = "My router has been dropping out every evening for a week and nobody has rung me back"

Capture = Callable[..., io.StringIO]


@pytest.fixture
def capture_logs() -> Iterator[Capture]:
    """Route the root logger to a buffer in the given format and level; restore the logging setup after."""
    root = logging.getLogger()
    level, handlers = root.level, list(root.handlers)

    def capture(*, log_format: str = "json", level: int = logging.INFO, secrets: tuple[str, ...] = ()) -> io.StringIO:
        buffer = io.StringIO()
        configure_logging(level=level, log_format=log_format, secrets=secrets, stream=buffer)
        return buffer

    yield capture
    for handler in list(root.handlers):
        if getattr(handler, "advocate", False) and handler not in handlers:
            root.removeHandler(handler)
    root.setLevel(level)


def json_lines(buffer: io.StringIO) -> list[dict]:
    return [json.loads(line) for line in buffer.getvalue().splitlines() if line.strip()]


def test_json_lines_parse_and_carry_the_bound_ids(capture_logs: Capture) -> None:
    buffer = capture_logs(level=logging.DEBUG)
    log = logging.getLogger("advocate.test")
    log.info("outside any request")
    with bound(request_id="req-1", event_id="Ev1"):
        log.warning("inside a %s", "request")
        with bound(job_id="manager_digest"):
            try:
                raise ValueError("boom")
            except ValueError:
                log.exception("a job failed")
    log.debug("after")
    lines = json_lines(buffer)
    assert [line["message"] for line in lines] == ["outside any request", "inside a request", "a job failed", "after"]
    first, inside, failed, after = lines
    assert set(first) == {"ts", "level", "logger", "message"}
    assert datetime.fromisoformat(first["ts"].replace("Z", "+00:00")).tzinfo is not None
    assert (first["level"], first["logger"]) == ("INFO", "advocate.test")
    assert (inside["request_id"], inside["event_id"]) == ("req-1", "Ev1") and "job_id" not in inside
    assert (failed["request_id"], failed["job_id"], failed["level"]) == ("req-1", "manager_digest", "ERROR")
    assert "ValueError: boom" in failed["exc"]
    assert "request_id" not in after


def test_tokens_and_secrets_are_scrubbed(capture_logs: Capture) -> None:
    signing = "8f742231b10e8888abcd99yyyzzz85a5"
    for log_format in ("json", "text"):
        buffer = capture_logs(log_format=log_format, secrets=(signing, "short"))
        log = logging.getLogger("slack_sdk.web.base_client")
        log.warning("headers: {'Authorization': 'Bearer xoxb-17653672481-19874698323-pdFZKVeTuE8sk7oOcBrzbqgy'}")
        log.warning("app token %s, user token %s, secret %s", "xapp-1-A0ADVOCATE-1-abcdef0123456789",
                    "xoxp-2-33-44-aabbccdd", signing)
        try:
            raise RuntimeError(f"refused xoxb-0000-1111-secretsecret with {signing}")
        except RuntimeError:
            log.exception("call failed")
        output = buffer.getvalue()
        for secret in ("pdFZKVeTuE8sk7oOcBrzbqgy", "abcdef0123456789", "aabbccdd", "secretsecret", signing):
            assert secret not in output, (log_format, secret)
        assert "xoxb-[redacted]" in output and "xapp-[redacted]" in output and "xoxp-[redacted]" in output
        assert output.count("[redacted]") >= 6
        # A configured value too short to be a real secret is not scrubbed: it would blank out ordinary words.
        log.warning("a short note")
        assert "a short note" in buffer.getvalue()


def test_the_cli_reads_the_log_format_setting(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], capture_logs: Capture
) -> None:
    capture_logs()  # only for the restore afterwards
    monkeypatch.setenv("ADVOCATE_LOG_FORMAT", "json")
    monkeypatch.setenv("SLACK_SIGNING_SECRET", SECRET)
    configure_cli_logging(verbose=False)
    logging.getLogger("advocate.logtest").warning("signature check with %s failed", SECRET)
    logging.getLogger("advocate.logtest").info("not shown: the CLI logs warnings unless --verbose")
    # (Other tests' leftover threads may write to stderr meanwhile: only this logger's lines count.)
    lines = [json.loads(x) for x in capsys.readouterr().err.splitlines() if x.startswith("{")]
    [line] = [x for x in lines if x["logger"] == "advocate.logtest"]
    assert line["message"] == "signature check with [redacted] failed"

    monkeypatch.setenv("ADVOCATE_LOG_FORMAT", "xml")  # a bad setting: the command says so; logs stay text
    configure_cli_logging(verbose=True)
    logging.getLogger("advocate.logtest").debug("plain")
    assert any(x.endswith("DEBUG advocate.logtest: plain") for x in capsys.readouterr().err.splitlines())


# -- through the real Bolt app and the real scheduler ---------------------------------------------------------
@pytest.fixture
def slack(
    tmp_path: Path, slack_api: SlackApiServer, real_embedder: SentenceTransformerEmbeddings
) -> Iterator[Slack]:
    services = build_services(bot_settings(tmp_path / "data", slack_api), embedder=real_embedder)
    ingest_small_pack(services, tmp_path / "pack")
    harness, bot = make_slack(services, slack_api)
    yield harness
    bot.close()
    services.close()


def test_a_slack_event_logs_with_its_request_and_event_ids(slack: Slack, capture_logs: Capture) -> None:
    buffer = capture_logs(level=logging.INFO)
    ts = payloads.new_ts()
    slack.api.add_message(DM, f"<@{BOT}> {QUESTION}", user=ASKER, ts=ts)
    first = slack.event(payloads.message(QUESTION, user=ASKER, channel=DM, channel_type="im", ts=ts))
    slack.wait()
    second = slack.event(payloads.message(QUESTION + " from March", user=ASKER, channel=DM, channel_type="im"))
    slack.wait()
    assert len(briefs(slack.api, DM)) == 2
    delivered = [line for line in json_lines(buffer) if "delivered" in line["message"]]
    assert [line["logger"] for line in delivered] == ["bot.answering", "bot.answering"]
    # Written on a brief worker, two thread pools away from where the request came in.
    assert [line["event_id"] for line in delivered] == [first["event_id"], second["event_id"]]
    assert all(line.get("request_id") for line in delivered)
    assert delivered[0]["request_id"] != delivered[1]["request_id"]


def test_a_brief_answered_at_info_logs_no_customer_words(slack: Slack, capture_logs: Capture) -> None:
    buffer = capture_logs(log_format="text", level=logging.INFO)
    ts = payloads.new_ts()
    slack.api.add_message(DM, QUESTION, user=ASKER, ts=ts)
    slack.event(payloads.message(QUESTION, user=ASKER, channel=DM, channel_type="im", ts=ts))
    slack.event(payloads.message(CHANNEL_FEEDBACK, user=ASKER, channel=FEEDBACK))
    slack.wait()
    [brief] = briefs(slack.api, DM)
    shown = json.dumps(brief)
    quoted = [v for v in VERBATIMS if v in shown]
    assert quoted, "the brief quotes no verbatim: the test would prove nothing"
    assert slack.services.store.by_metadata({"channel": "slack"}), "the feedback message was not indexed"
    logged = buffer.getvalue()
    assert "delivered" in logged and "feedback message" in logged  # the INFO lines are there …
    for words in (*VERBATIMS, QUESTION, CHANNEL_FEEDBACK, "stop offering engineer callbacks"):
        assert words not in logged, f"customer words at INFO: {words!r}"  # … without customer words


def logging_job(parts: JobParts) -> None:
    logging.getLogger("jobs.test").warning("job ran with %d briefing workers", parts.settings.brief_workers)


def test_a_scheduled_job_logs_with_its_job_id(fake_services: Services, capture_logs: Capture) -> None:
    buffer = capture_logs(level=logging.INFO)
    scheduler = build_scheduler(fake_services.job_parts(), engine=fake_services.engine)
    scheduler.start()
    try:
        scheduler.add_job(logging_job, trigger="interval", hours=1, args=[PARTS_ARG], id="logging_test",
                          next_run_time=datetime.now(UTC) + timedelta(milliseconds=200))
        deadline = time.monotonic() + 20
        while "job ran" not in buffer.getvalue() and time.monotonic() < deadline:
            time.sleep(0.1)
    finally:
        scheduler.shutdown(wait=True)
    lines = json_lines(buffer)
    [ran] = [line for line in lines if line["message"].startswith("job ran")]
    assert ran["job_id"] == "logging_test" and ran["request_id"]
    # APScheduler's own lines about the run ("Running job", "executed successfully") carry the same ids.
    own = [line for line in lines if line["logger"].startswith("apscheduler.executors")]
    assert len(own) == 2
    assert all((line.get("job_id"), line.get("request_id")) == ("logging_test", ran["request_id"]) for line in own)
