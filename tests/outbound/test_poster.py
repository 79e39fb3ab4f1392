"""The one poster the Slack app and the jobs share, against the local Slack API: a post carries its key and
is never made twice, whatever Slack answers."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from slack_sdk.errors import SlackApiError

from advocate.settings import Settings
from outbound.client import (
    PatientRateLimitRetry,
    SlackNotConfigured,
    make_post_client,
    make_slack_client,
    retry_seconds,
)
from outbound.poster import METADATA_EVENT_TYPE, METADATA_KEY, OncePoster, PostUncertain
from tests.slack_api_server import SlackApiServer

CHANNEL = "C0POSTER01"


@pytest.fixture
def poster(slack_api: SlackApiServer, tmp_path: Path) -> OncePoster:
    client = make_slack_client(Settings(data_dir=tmp_path, slack_bot_token="xoxb-test-token",
                                        slack_api_url=slack_api.url))
    return OncePoster.for_client(client, pause_seconds=0.01)


def searches(slack_api: SlackApiServer) -> int:
    return len([c for method in ("conversations.history", "conversations.replies")
                for c in slack_api.calls_to(method) if c.params.get("include_all_metadata")])


def test_the_post_client_retries_only_rate_limits(tmp_path: Path) -> None:
    with pytest.raises(SlackNotConfigured, match="SLACK_BOT_TOKEN is not set"):
        make_slack_client(Settings(data_dir=tmp_path))
    client = make_slack_client(Settings(data_dir=tmp_path, slack_bot_token="xoxb-test-token",
                                        slack_retry_seconds=42))
    assert len(client.retry_handlers) == 3 and retry_seconds(client) == 42
    post_client = make_post_client(client)
    assert [type(h) for h in post_client.retry_handlers] == [PatientRateLimitRetry]
    assert retry_seconds(post_client) == 42 and OncePoster.for_client(client).patience_seconds == 42
    assert (post_client.token, post_client.base_url, post_client.timeout) == (client.token, client.base_url,
                                                                               client.timeout)


def test_a_post_carries_its_key_and_can_be_found_by_it(poster: OncePoster, slack_api: SlackApiServer) -> None:
    started = time.time()
    posted = poster.post(channel=CHANNEL, text="Hello", key="key-1")
    [message] = slack_api.posted(CHANNEL)
    assert message["ts"] == posted.ts and not posted.recovered
    assert message["metadata"] == {"event_type": METADATA_EVENT_TYPE, "event_payload": {METADATA_KEY: "key-1"}}
    found = poster.find(CHANNEL, "key-1", since=started)
    assert found is not None and found.ts == posted.ts and found.recovered
    assert poster.find(CHANNEL, "key-2", since=started) is None
    # Each post gets a key of its own unless given one.
    poster.post(channel=CHANNEL, text="Again")
    keys = [m["metadata"]["event_payload"][METADATA_KEY] for m in slack_api.posted(CHANNEL)]
    assert keys[0] == "key-1" and keys[1] not in ("", "key-1")


def test_slack_took_it_before_a_500_so_it_is_found_not_posted_again(
    poster: OncePoster, slack_api: SlackApiServer
) -> None:
    slack_api.fail_next("chat.postMessage", status=500, after_posting=True)
    posted = poster.post(channel=CHANNEL, text="Once")
    assert posted.recovered and [c.status for c in slack_api.calls_to("chat.postMessage")] == [500]
    assert len(slack_api.posted(CHANNEL)) == 1 and searches(slack_api) == 1


def test_in_a_thread_the_thread_is_searched(poster: OncePoster, slack_api: SlackApiServer) -> None:
    thread = str(slack_api.add_message(CHANNEL, "A decision", user="U0PERSON01")["ts"])
    slack_api.fail_next("chat.postMessage", status=503, after_posting=True)
    posted = poster.post(channel=CHANNEL, text="In the thread", thread_ts=thread)
    [search] = [c for c in slack_api.calls_to("conversations.replies") if c.params.get("include_all_metadata")]
    assert search.params["ts"] == thread and posted.recovered
    assert [m["text"] for m in slack_api.posted(CHANNEL) if m.get("bot_id")] == ["In the thread"]


def test_a_500_before_posting_is_tried_again_after_a_look(poster: OncePoster, slack_api: SlackApiServer) -> None:
    slack_api.fail_next("chat.postMessage", status=500)
    posted = poster.post(channel=CHANNEL, text="Second try")
    assert not posted.recovered and [c.status for c in slack_api.calls_to("chat.postMessage")] == [500, 200]
    assert searches(slack_api) == 1 and len(slack_api.posted(CHANNEL)) == 1


def test_a_search_that_fails_posts_nothing_more(poster: OncePoster, slack_api: SlackApiServer) -> None:
    slack_api.fail_next("chat.postMessage", status=500)
    slack_api.fail_next("conversations.history", status=200, error="missing_scope")
    with pytest.raises(PostUncertain, match="internal_error"):
        poster.post(channel=CHANNEL, text="Not sure")
    assert len(slack_api.calls_to("chat.postMessage")) == 1 and slack_api.posted(CHANNEL) == []


def test_every_try_failing_is_uncertain_after_a_last_look(poster: OncePoster, slack_api: SlackApiServer) -> None:
    slack_api.fail_next("chat.postMessage", status=500, times=3)
    with pytest.raises(PostUncertain):
        poster.post(channel=CHANNEL, text="Never", tries=3)
    assert len(slack_api.calls_to("chat.postMessage")) == 3 and searches(slack_api) == 3


def test_a_definite_refusal_is_raised_at_once(poster: OncePoster, slack_api: SlackApiServer) -> None:
    slack_api.fail_next("chat.postMessage", status=200, error="not_in_channel")
    with pytest.raises(SlackApiError):
        poster.post(channel=CHANNEL, text="Refused")
    assert len(slack_api.calls_to("chat.postMessage")) == 1 and searches(slack_api) == 0


def test_a_post_found_by_its_key_says_what_it_shows(poster: OncePoster, slack_api: SlackApiServer) -> None:
    from outbound.layouts.keep_rate import CHART_FIGURES_BLOCK_ID, went_without_chart

    started = time.time()
    figures = {"type": "section", "block_id": CHART_FIGURES_BLOCK_ID,
               "text": {"type": "plain_text", "text": "Week 44 80% (8 of 10)"}}
    poster.post(channel=CHANNEL, text="Digest", key="words", blocks=[figures])
    found = poster.find(CHANNEL, "words", since=started)
    assert found is not None and found.block_ids == {CHART_FIGURES_BLOCK_ID} and found.images == 0
    assert went_without_chart(found.block_ids, found.images)
    # An image anywhere, or no figures block, counts as showing the chart: nothing is deleted on a guess.
    assert not went_without_chart(frozenset({CHART_FIGURES_BLOCK_ID}), 1)
    assert not went_without_chart(frozenset(), 0)
