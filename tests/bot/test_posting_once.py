"""Slack may post and then answer 5xx: the placeholder, the brief and the apology still appear once.

The local Slack API server fails chat.postMessage on cue — before storing the message, or after
(`after_posting`: Slack took it, the client never heard back).
"""

from __future__ import annotations

import logging

import pytest

from bot.answering import PLACEHOLDER, UNDELIVERED
from outbound.layouts.brief_message import HELPFUL
from outbound.poster import METADATA_EVENT_TYPE
from tests.bot import payloads
from tests.bot.conftest import ASKER, GENERAL, Slack, briefs
from tests.bot.test_asking import CHATBOT, mention


@pytest.fixture(autouse=True)
def quick_retries(slack: Slack, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(slack.bot.poster, "pause_seconds", 0.01)


def bot_messages(slack: Slack) -> list[dict]:
    return [m for m in slack.api.posted(GENERAL) if m.get("bot_id")]


def test_placeholder_slack_took_before_a_500_is_not_posted_again(slack: Slack) -> None:
    slack.api.fail_next("chat.postMessage", status=500, after_posting=True)
    ts, _ = mention(slack, CHATBOT)
    slack.wait()
    posts = slack.api.calls_to("chat.postMessage")
    assert [c.status for c in posts] == [500]  # never retried blindly
    assert posts[0].params["text"] == PLACEHOLDER
    # The thread was searched for the post's own key, found it, and the brief replaced it.
    [search] = [c for c in slack.api.calls_to("conversations.replies") if c.params.get("include_all_metadata")]
    assert search.params["ts"] == ts
    [message] = bot_messages(slack)
    assert message["metadata"]["event_type"] == METADATA_EVENT_TYPE
    assert message in briefs(slack.api, GENERAL) and message["thread_ts"] == ts
    assert [c.params["ts"] for c in slack.api.calls_to("chat.update")] == [message["ts"]]


def test_placeholder_lost_to_a_500_means_the_brief_is_posted_directly_once(slack: Slack) -> None:
    slack.api.fail_next("chat.postMessage", status=500)  # nothing stored
    ts, _ = mention(slack, CHATBOT)
    slack.wait()
    assert [c.status for c in slack.api.calls_to("chat.postMessage")] == [500, 200]
    assert not slack.api.calls_to("chat.update")
    [message] = bot_messages(slack)
    assert message in briefs(slack.api, GENERAL) and message["thread_ts"] == ts
    # Recorded with the message that holds it: its buttons and permalink work.
    [record] = slack.services.records.slack.recent_briefs(ASKER)
    assert record.message_ts == message["ts"] and message["ts"].replace(".", "") in (record.permalink or "")
    brief_id = next(b for b in message["blocks"] if b["type"] == "actions")["elements"][0]["value"]
    slack.post(payloads.block_actions(HELPFUL, brief_id, user=ASKER, channel=GENERAL, message_ts=message["ts"],
                                      thread_ts=ts))
    slack.wait()
    assert slack.services.records.slack.votes(brief_id) == {ASKER: True}


def test_brief_posted_directly_that_slack_took_before_a_500_appears_once(slack: Slack) -> None:
    slack.api.fail_next("chat.postMessage", status=500)  # the placeholder: lost
    slack.api.fail_next("chat.postMessage", status=503, after_posting=True)  # the brief: taken, answer lost
    mention(slack, CHATBOT)
    slack.wait()
    assert [c.status for c in slack.api.calls_to("chat.postMessage")] == [500, 503]
    [message] = bot_messages(slack)
    assert message in briefs(slack.api, GENERAL)
    [record] = slack.services.records.slack.recent_briefs(ASKER)
    assert record.message_ts == message["ts"]


def test_slack_failing_every_post_is_not_silent_and_records_no_brief(
    slack: Slack, caplog: pytest.LogCaptureFixture
) -> None:
    slack.bot.poster.patience_seconds = 0  # SLACK_RETRY_SECONDS run out at once: three tries of the brief
    slack.api.fail_next("chat.postMessage", status=500, times=20)
    with caplog.at_level(logging.ERROR, logger="bot.answering"):
        mention(slack, CHATBOT)
        slack.wait()
    assert not bot_messages(slack)
    # One placeholder try, three tries of the brief, one of the apology: each after a look for a copy.
    assert len(slack.api.calls_to("chat.postMessage")) == 5
    [note] = slack.api.ephemeral(ASKER)
    reference = note["text"].split("`")[1]
    assert note["text"] == UNDELIVERED.format(ref=reference)
    assert any(reference in record.getMessage() for record in caplog.records)
    # Nobody saw that brief: nothing is on record about it.
    assert slack.services.records.slack.recent_briefs(ASKER) == []
    assert slack.services.records.slack.decisions() == []


def test_definite_refusal_is_not_retried(slack: Slack) -> None:
    slack.api.fail_next("chat.postMessage", status=200, error="not_in_channel")
    mention(slack, CHATBOT)
    slack.wait()
    assert [c.status for c in slack.api.calls_to("chat.postMessage")] == [200]
    assert not slack.api.calls_to("conversations.replies") or all(
        not c.params.get("include_all_metadata") for c in slack.api.calls_to("conversations.replies"))
    assert "/invite @Advocate" in slack.api.ephemeral(ASKER)[0]["text"]
