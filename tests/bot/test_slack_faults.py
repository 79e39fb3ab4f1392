"""The Slack app against a Slack that fails: rate limits, server errors and dropped connections, one after
another, on the placeholder and on the update that delivers a brief. A written brief reaches its thread
once; the apology is for briefs that could not be written, and a brief Slack refuses for longer than
SLACK_RETRY_SECONDS is reported as such. The notes a click answers with (a DM from App Home, an ephemeral
note in a channel) are shown once too, whatever Slack answered after showing them."""

from __future__ import annotations

import logging

import pytest

from bot.answering import APOLOGY, UNDELIVERED
from bot.flows.briefs import CONCERN_NOT_POSTED
from bot.flows.promises import NOT_STAFF
from outbound.actions import ACTION_PROMISE_KEPT
from outbound.layouts.brief_message import RAISE_CONCERN
from outbound.layouts.home import HOME_THANKS_MARK
from outbound.layouts.modals import CONCERN_MODAL
from tests.bot import payloads
from tests.bot.conftest import ADVOCATE, ASKER, DM, GENERAL, Slack, bot_texts, briefs
from tests.bot.test_asking import CHATBOT, mention
from tests.bot.test_buttons_and_views import brief_in_general, click
from tests.slack_api_server import DROPPED


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


def test_dropped_connections_on_the_update_deliver_the_brief_once(slack: Slack) -> None:
    slack.api.fail_next("chat.update", drop=True)
    slack.api.fail_next("chat.update", drop=True, after_posting=True)  # Slack updated it, the answer was lost
    ts, _ = mention(slack, CHATBOT)
    slack.wait()
    assert [c.status for c in slack.api.calls_to("chat.update")] == [DROPPED, DROPPED, 200]
    [brief] = briefs(slack.api, GENERAL)
    assert brief["thread_ts"] == ts and len(bot_texts(slack.api, GENERAL)) == 1


def test_a_placeholder_slack_took_before_the_connection_dropped_is_found_and_used(slack: Slack) -> None:
    slack.api.fail_next("chat.postMessage", drop=True, after_posting=True)
    ts, _ = mention(slack, CHATBOT)
    slack.wait()
    assert [c.status for c in slack.api.calls_to("chat.postMessage")] == [DROPPED]  # looked, never re-posted
    [brief] = briefs(slack.api, GENERAL)
    assert brief["thread_ts"] == ts and len(bot_texts(slack.api, GENERAL)) == 1


def test_a_brief_slack_refuses_for_longer_than_the_limit_is_reported_not_apologised_for(
    slack: Slack, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    for handler in slack.bot.client.retry_handlers:  # SLACK_RETRY_SECONDS=1 for this test
        monkeypatch.setattr(handler, "give_up_after", 1.0)
    slack.api.fail_next("chat.update", status=503, times=500)
    with caplog.at_level(logging.ERROR, logger="bot.answering"):
        mention(slack, CHATBOT)
        slack.wait()
    assert not briefs(slack.api, GENERAL)
    # The placeholder could not be changed either: the asker hears it privately, with a reference in the log.
    [note] = slack.api.ephemeral(ASKER)
    reference = note["text"].split("`")[1]
    assert note["text"] == UNDELIVERED.format(ref=reference)
    assert any(reference in r.getMessage() and "was written but Slack did not take it" in r.getMessage()
               for r in caplog.records)
    assert slack.services.records.slack.recent_briefs(ASKER) == []


def test_a_concern_slack_will_not_post_is_kept_and_its_author_told(
    slack: Slack, caplog: pytest.LogCaptureFixture
) -> None:
    slack.bot.poster.pause_seconds = 0.01
    slack.services.records.advocates.add(slack_user_id=ADVOCATE, function="service")
    brief_id, brief = brief_in_general(slack)
    click(slack, RAISE_CONCERN, brief_id, brief, user=ADVOCATE)
    [opened] = slack.api.app_state.views
    slack.api.fail_next("chat.postMessage", status=500, times=10)
    concern = "Older customers rely on the callback."
    with caplog.at_level(logging.ERROR, logger="bot.flows.briefs"):
        slack.post(payloads.view_submission(CONCERN_MODAL, {"concern": payloads.text_value(concern)}, user=ADVOCATE,
                                            private_metadata=opened["view"]["private_metadata"]))
        slack.wait()
    assert [c.status for c in slack.api.calls_to("chat.postMessage")][-2:] == [500, 500]  # looked before the second
    assert not any("raised a customer concern" in t for t in bot_texts(slack.api, GENERAL))
    [note] = slack.api.ephemeral(ADVOCATE)
    assert note["text"] == CONCERN_NOT_POSTED and note["thread_ts"] == brief["thread_ts"]
    assert "recorded but not posted (internal_error)" in caplog.text
    [decision] = slack.services.records.slack.decisions()
    assert decision.concerns == [(ADVOCATE, concern)]


def test_a_brief_whose_placeholder_was_deleted_is_posted_in_the_thread_instead(slack: Slack) -> None:
    slack.api.fail_next("chat.update", status=200, error="message_not_found")
    ts, _ = mention(slack, CHATBOT)
    slack.wait()
    [brief] = briefs(slack.api, GENERAL)
    assert brief["thread_ts"] == ts and not slack.api.ephemeral(ASKER)
    [record] = slack.services.records.slack.recent_briefs(ASKER)
    assert record.message_ts == brief["ts"]  # its buttons and permalink point at the message that holds it


# -- the notes a click answers with -------------------------------------------------------------------------
def home_click_by_a_stranger(slack: Slack) -> None:
    """"Mark thanked" on App Home by someone not in the staff list: told why, by DM (App Home has no channel)."""
    click = payloads.home_block_actions(HOME_THANKS_MARK, user=ASKER)
    click["actions"][0]["value"] = "C10001:10"
    slack.post(click)
    slack.wait()


def channel_click_by_a_stranger(slack: Slack) -> None:
    """"Kept" on a promise in a channel by someone not in the staff list: told why, in an ephemeral note."""
    slack.post(payloads.block_actions(ACTION_PROMISE_KEPT, "P0000001", user=ASKER, channel=GENERAL,
                                      message_ts=payloads.new_ts()))
    slack.wait()


def test_a_dm_slack_posted_before_answering_500_is_posted_once(slack: Slack) -> None:
    slack.bot.poster.pause_seconds = 0.01
    slack.api.fail_next("chat.postMessage", status=500, after_posting=True)
    home_click_by_a_stranger(slack)
    assert [c.status for c in slack.api.calls_to("chat.postMessage")] == [500]  # found by its key, not re-posted
    assert [m["text"] for m in slack.api.posted(DM)] == [NOT_STAFF]


def test_a_dm_that_was_not_posted_is_posted_after_looking(slack: Slack) -> None:
    slack.bot.poster.pause_seconds = 0.01
    slack.api.fail_next("chat.postMessage", status=500)
    slack.api.fail_next("chat.postMessage", status=429, retry_after=0)
    home_click_by_a_stranger(slack)
    assert [c.status for c in slack.api.calls_to("chat.postMessage")] == [500, 429, 200]
    assert [m["text"] for m in slack.api.posted(DM)] == [NOT_STAFF]


def test_an_ephemeral_note_slack_showed_before_answering_500_is_not_sent_again(
    slack: Slack, caplog: pytest.LogCaptureFixture
) -> None:
    slack.api.fail_next("chat.postEphemeral", status=500, after_posting=True)
    with caplog.at_level(logging.WARNING, logger="bot.flows.replies"):
        channel_click_by_a_stranger(slack)
    assert [c.status for c in slack.api.calls_to("chat.postEphemeral")] == [500]
    assert [n["text"] for n in slack.api.ephemeral(ASKER)] == [NOT_STAFF]
    assert f"a note to {ASKER} in {GENERAL} may not have been shown (internal_error); not sent again" in caplog.text


def test_an_ephemeral_note_waits_out_a_rate_limit(slack: Slack) -> None:
    slack.api.fail_next("chat.postEphemeral", status=429, retry_after=1)
    channel_click_by_a_stranger(slack)
    calls = slack.api.calls_to("chat.postEphemeral")
    assert [c.status for c in calls] == [429, 200]
    assert calls[1].at - calls[0].at >= 1.0  # Retry-After honoured
    assert [n["text"] for n in slack.api.ephemeral(ASKER)] == [NOT_STAFF]
