"""Several bot processes on one Chroma server and one PostgreSQL, as replicas behind a load balancer.

A redelivered Slack event lands on whichever replica Slack reaches: it must be answered once across
all of them. Knowledge ingested through one process must be found by the others, already running,
and by a one-off `advocate ask` in yet another process.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from advocate.services import make_engine
from tests.bot import payloads
from tests.bot.conftest import ADMIN, ASKER, GENERAL, SECRET, briefs
from tests.multiprocess.conftest import BotProcess, SharedStores, run_advocate
from tests.slack_api_server import SlackApiServer
from tests.slack_checks import texts

pytestmark = pytest.mark.slow

BOT = "UBOT0001"  # the local Slack's bot user
QUESTION = "we plan to charge customers for paper bills from next month"
STUDY_TITLE = "Paper bills study"
STUDY = (
    f"# {STUDY_TITLE}\n\n## Who still wants paper\n\n"
    "Customers over seventy told us the paper bill is how they check what they pay each month. "
    "A charge for paper bills would fall on the customers least able to switch to the app.\n"
).encode()
DELIVERIES = 4  # the first delivery and three retries, spread over the processes at the same moment


def wait_for(what: str, found: Callable[[], Any], *, timeout: float = 120.0, required: bool = True) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = found()
        if value:
            return value
        time.sleep(0.2)
    if required:
        raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}")
    return found()


def thread_briefs(api: SlackApiServer, thread_ts: str) -> list[dict[str, Any]]:
    return [m for m in briefs(api, GENERAL) if m.get("thread_ts") == thread_ts]


def shown(message: dict[str, Any]) -> str:
    return "\n".join([*texts(message["blocks"]), message["text"]])


def mention(api: SlackApiServer, question: str) -> tuple[str, dict[str, Any]]:
    """A person's @-mention as Slack would deliver it; the message is in the channel for the bot to read."""
    ts = payloads.new_ts()
    api.add_message(GENERAL, f"<@{BOT}> {question}", user=ASKER, ts=ts)
    return ts, payloads.event_callback(payloads.app_mention(f"<@{BOT}> {question}", user=ASKER, channel=GENERAL,
                                                            ts=ts))


def signed(envelope: dict[str, Any], *, retry_num: int | None = None) -> tuple[str, dict[str, str]]:
    body, content_type = payloads.json_body(envelope)
    return body, payloads.signed_headers(body, SECRET, content_type=content_type, retry_num=retry_num)


def redelivery_notes(bots: list[BotProcess], event_id: str) -> int:
    """Log lines in which a process said it dropped this event as already handled."""
    pattern = re.compile(rf"{re.escape(event_id)}.*redeliver|redeliver.*{re.escape(event_id)}")
    return sum(1 for bot in bots for line in bot.log(last=10_000).splitlines() if pattern.search(line))


def settle(api: SlackApiServer, quiet: float = 1.5, timeout: float = 30.0) -> None:
    """Wait until no Slack call has been made for `quiet` seconds (nothing more is on its way)."""
    deadline = time.monotonic() + timeout
    count, since = len(api.calls), time.monotonic()
    while time.monotonic() < deadline:
        time.sleep(0.2)
        if len(api.calls) != count:
            count, since = len(api.calls), time.monotonic()
        elif time.monotonic() - since >= quiet:
            return


def test_replicas_answer_a_redelivered_event_once_and_share_what_is_ingested(
    bots: list[BotProcess], slack_api: SlackApiServer, shared_stores: SharedStores, advocate_env: dict[str, str],
    tmp_path: Path,
) -> None:
    timings: dict[str, float] = {}
    clock = time.perf_counter()

    # -- 1. one event, delivered and redelivered to every process at the same moment ------------------
    ts, envelope = mention(slack_api, QUESTION)
    event_id = envelope["event_id"]
    deliveries = [(bots[n % len(bots)], signed(envelope, retry_num=n or None)) for n in range(DELIVERIES)]
    barrier = threading.Barrier(len(deliveries))

    def deliver(delivery: tuple[BotProcess, tuple[str, dict[str, str]]]) -> int:
        bot, (body, headers) = delivery
        barrier.wait()
        return bot.post(body, headers)

    with ThreadPoolExecutor(len(deliveries)) as pool:
        assert list(pool.map(deliver, deliveries)) == [200] * DELIVERIES  # every delivery acknowledged
    wait_for("the brief", lambda: thread_briefs(slack_api, ts))
    wait_for("every other delivery to be dropped",
             lambda: redelivery_notes(bots, event_id) >= DELIVERIES - 1, timeout=30, required=False)
    settle(slack_api)
    timings["redelivered event"] = time.perf_counter() - clock

    placeholders = [c for c in slack_api.calls_to("chat.postMessage")
                    if c.params.get("channel") == GENERAL and c.params.get("thread_ts") == ts]
    answered = thread_briefs(slack_api, ts)
    assert (len(placeholders), len(answered)) == (1, 1), (
        f"one event, {DELIVERIES} deliveries: {len(placeholders)} placeholders and {len(answered)} briefs")
    first_brief = answered[0]
    updates = [c for c in slack_api.calls_to("chat.update") if c.params.get("ts") == first_brief["ts"]]
    assert len(updates) == 1 and first_brief["thread_ts"] == ts
    assert redelivery_notes(bots, event_id) == DELIVERIES - 1
    engine = make_engine(shared_stores.database_url)
    try:
        with engine.connect() as conn:
            claimed = conn.execute(text("SELECT count(*) FROM slack_events WHERE event_id = :e"),
                                   {"e": event_id}).scalar_one()
            decisions = conn.execute(text("SELECT count(*) FROM decisions WHERE channel = :c AND thread_ts = :t"),
                                     {"c": GENERAL, "t": ts}).scalar_one()
    finally:
        engine.dispose()
    assert (claimed, decisions) == (1, 1)
    assert STUDY_TITLE not in shown(first_brief)  # not ingested yet

    # -- 2. an admin DMs a study to the first process, which ingests it --------------------------------
    clock = time.perf_counter()
    ingesting, asked = bots[0], bots[1]
    url = slack_api.add_file("paper-bills-study.md", STUDY)
    file_info = {"id": "F0PAPER001", "name": "paper-bills-study.md", "mode": "hosted", "size": len(STUDY),
                 "url_private_download": url, "url_private": url}
    dm = f"D{ADMIN[1:]}"
    body, headers = signed(payloads.event_callback(payloads.message(
        "ingest research", user=ADMIN, channel=dm, channel_type="im", subtype="file_share", files=[file_info])))
    assert ingesting.post(body, headers) == 200
    done = wait_for("the ingest summary", lambda: [m["text"] for m in slack_api.posted(dm)
                                                    if m["text"].startswith("Ingested as research")])
    assert "*paper-bills-study.md*: added 1" in done[0], done[0]
    timings["ingest through one process"] = time.perf_counter() - clock

    # -- 3. a question through the other, already running process finds it -----------------------------
    clock = time.perf_counter()
    ts2, envelope2 = mention(slack_api, QUESTION)
    assert asked.post(*signed(envelope2)) == 200
    [second_brief] = wait_for("the second brief", lambda: thread_briefs(slack_api, ts2))
    assert STUDY_TITLE in shown(second_brief), shown(second_brief)
    timings["brief through the other process"] = time.perf_counter() - clock

    # -- 4. and so does a one-off `advocate ask` in a process of its own -------------------------------
    clock = time.perf_counter()
    result = run_advocate(["ask", "--json", QUESTION], env=advocate_env, workdir=tmp_path / "cli")
    assert result.returncode == 0, result.stderr[-2000:]
    answer = json.loads(result.stdout)
    assert STUDY_TITLE in [source["title"] for source in answer["sources"]], answer["sources"]
    timings["advocate ask --json"] = time.perf_counter() - clock
    print("multiprocess timings: " + ", ".join(f"{name} {seconds:.1f}s" for name, seconds in timings.items()))
