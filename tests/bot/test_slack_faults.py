"""The Slack app against a Slack that fails: rate limits, server errors and dropped connections, one after
another, on the update that delivers a brief. A written brief reaches its thread once; the apology is for
briefs that could not be written."""

from __future__ import annotations

from bot.answering import APOLOGY
from tests.bot.conftest import ASKER, GENERAL, Slack, bot_texts, briefs
from tests.bot.test_asking import CHATBOT, mention


def test_a_written_brief_outlasts_rate_limits_followed_by_a_server_error(slack: Slack) -> None:
    slack.api.fail_next("chat.update", status=429, retry_after=1, times=2)
    slack.api.fail_next("chat.update", status=500)
    ts, _ = mention(slack, CHATBOT)
    slack.wait()
    assert [c.status for c in slack.api.calls_to("chat.update")] == [429, 429, 500, 200]
    [brief] = briefs(slack.api, GENERAL)
    assert brief["thread_ts"] == ts
    assert not any(APOLOGY.split("—")[0] in text for text in bot_texts(slack.api, GENERAL))
    assert not slack.api.ephemeral(ASKER)
    [record] = slack.services.records.slack.recent_briefs(ASKER)
    assert record.message_ts == brief["ts"]
