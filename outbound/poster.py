"""Posting a message once, even when Slack's answer is lost.

`chat.postMessage` may have posted before it answered 5xx or the connection dropped: retrying it
blindly puts a second copy in the thread. So the bot's own posts go through a client that retries
only rate limits (a 429 posted nothing), carry a key of their own in Slack message metadata, and after
an ambiguous failure the conversation is searched for that key before anything is posted again — the
digest deliverer's rule (jobs/delivery.py), for the Slack app.

`chat.update` and the reads are safe to repeat; they use the bot's ordinary client, which retries 5xx
and dropped connections too.
"""

from __future__ import annotations

import logging
import time
import uuid
from dataclasses import dataclass
from http.client import HTTPException
from typing import Any
from urllib.error import URLError

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler

log = logging.getLogger(__name__)

# Slack message metadata type on the app's own posts; the payload's `post_key` finds one again.
POST_METADATA_TYPE = "advocate_post"
# Errors Slack may answer after having posted anyway (besides any 5xx).
AMBIGUOUS_ERRORS = frozenset({"internal_error", "fatal_error", "service_unavailable", "request_timeout"})
# Slack's clock and ours may differ: search a little before the first try.
CLOCK_SLACK_SECONDS = 120.0
SEARCH_PAGES = 3


class PostUncertain(Exception):
    """Every try failed in a way that may or may not have posted, and no copy was found."""

    def __init__(self, cause: Exception) -> None:
        super().__init__(describe(cause))
        self.cause = cause


@dataclass(frozen=True)
class Posted:
    channel: str  # the conversation id (a DM's own id, even when posted to a user id)
    ts: str
    recovered: bool = False  # Slack had posted before its answer was lost; found by its key


def without_ambiguous_retries(client: WebClient) -> WebClient:
    """The same client (token, URL, timeout, TLS, proxy) retrying only rate limits: for `chat.postMessage`."""
    rate_limits = [h for h in client.retry_handlers if isinstance(h, RateLimitErrorRetryHandler)]
    return WebClient(
        token=client.token, base_url=client.base_url, timeout=client.timeout, ssl=client.ssl, proxy=client.proxy,
        headers=dict(client.headers), retry_handlers=rate_limits or [RateLimitErrorRetryHandler(max_retry_count=3)],
    )


def describe(exc: BaseException) -> str:
    if isinstance(exc, SlackApiError):
        return str(exc.response.get("error") or f"HTTP {exc.response.status_code}")
    return type(exc).__name__


def is_ambiguous(exc: BaseException) -> bool:
    """May Slack have posted despite this error?"""
    if isinstance(exc, SlackApiError):
        return exc.response.status_code >= 500 or exc.response.get("error") in AMBIGUOUS_ERRORS
    return isinstance(exc, URLError | HTTPException | ConnectionError | TimeoutError)


class OncePoster:
    def __init__(
        self,
        *,
        post_client: WebClient,
        read_client: WebClient,
        pause_seconds: float = 1.0,
    ) -> None:
        # Posts (retries only 429s itself).
        self.post_client = post_client
        # Searches the conversation after an ambiguous failure (retries everything itself).
        self.read_client = read_client
        # Seconds between tries (multiplied by the try number).
        self.pause_seconds = pause_seconds

    def post(self, *, channel: str, text: str, thread_ts: str | None = None, blocks: list[dict[str, Any]] | None = None,
             tries: int = 3) -> Posted:
        """Post at most once. Raises SlackApiError for a definite refusal (not_in_channel, …) and
        PostUncertain when every try failed ambiguously and the conversation holds no copy."""
        key = uuid.uuid4().hex
        since = time.time() - CLOCK_SLACK_SECONDS
        metadata = {"event_type": POST_METADATA_TYPE, "event_payload": {"post_key": key}}
        last: Exception | None = None
        for attempt in range(max(1, tries)):
            if attempt:
                time.sleep(self.pause_seconds * attempt)
                found = self.find(channel, key, thread_ts=thread_ts, since=since)
                if found is not None:
                    return found
            try:
                kwargs: dict[str, Any] = {"thread_ts": thread_ts} if thread_ts else {}
                if blocks is not None:
                    kwargs["blocks"] = blocks
                response = self.post_client.chat_postMessage(
                    channel=channel, text=text, metadata=metadata, unfurl_links=False, unfurl_media=False, **kwargs
                )
                return Posted(channel=str(response.get("channel") or channel), ts=str(response["ts"]))
            except (SlackApiError, URLError, HTTPException, ConnectionError, TimeoutError) as exc:
                if not is_ambiguous(exc):
                    raise
                log.warning("chat.postMessage in %s did not answer clearly (%s); looking before posting again",
                            channel, describe(exc))
                last = exc
        assert last is not None
        found = self.find(channel, key, thread_ts=thread_ts, since=since)
        if found is not None:
            return found
        raise PostUncertain(last)

    def find(self, channel: str, key: str, *, thread_ts: str | None, since: float) -> Posted | None:
        """The message carrying this key, if Slack posted it. A failed search finds nothing."""
        cursor: str | None = None
        oldest = f"{since:.6f}"
        try:
            for _ in range(SEARCH_PAGES):
                if thread_ts:
                    response = self.read_client.conversations_replies(
                        channel=channel, ts=thread_ts, oldest=oldest, include_all_metadata=True, limit=200,
                        cursor=cursor,
                    )
                else:
                    response = self.read_client.conversations_history(
                        channel=channel, oldest=oldest, include_all_metadata=True, limit=200, cursor=cursor
                    )
                for message in response.get("messages") or []:
                    metadata = message.get("metadata") or {}
                    if (metadata.get("event_type") == POST_METADATA_TYPE
                            and (metadata.get("event_payload") or {}).get("post_key") == key):
                        log.info("found the post in %s that Slack had taken before failing", channel)
                        return Posted(channel=channel, ts=str(message["ts"]), recovered=True)
                cursor = (response.get("response_metadata") or {}).get("next_cursor") or None
                if not cursor:
                    return None
        except (SlackApiError, URLError, HTTPException, OSError) as exc:
            log.warning("could not search %s for a post (%s)", channel, describe(exc))
        return None
