"""Posting to Slack at most once, even when Slack's answer is lost: the one poster the app and the jobs share.

`chat.postMessage` may have posted before it answered 5xx or the connection dropped: retrying it
blindly puts a second copy in the conversation. So posts go through a client that retries only rate
limits (a 429 posted nothing), every post carries a key in its Slack message metadata, and after an
ambiguous failure the conversation is searched for that key before anything is posted again. A search
that fails counts as "not sure": nothing is posted again, the caller hears `PostUncertain`.

Callers choose the key and keep their own record: the digest deliverer uses the delivery key and the
delivery ledger (jobs/delivery.py); the Slack app a fresh key per post and the Slack ledger
(bot/answering.py). A file is uploaded without a channel and shown only by the message that names it
(jobs/chart_file.py), so completing its upload is safe to repeat. `chat.update` and the reads are safe to
repeat too; they use the ordinary client, which retries 5xx and dropped connections. Ephemeral notes
(`chat.postEphemeral`) leave nothing to search for: they go through the post client and are not tried
again after an ambiguous failure (`post_ephemeral`).
"""

from __future__ import annotations

import logging
import time
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from http.client import HTTPException
from typing import Any
from urllib.error import HTTPError, URLError

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackRequestError

# Errors Slack may answer after having acted anyway (besides any 5xx); the deliverer takes them from here.
from outbound.client import AMBIGUOUS_ERRORS as AMBIGUOUS_ERRORS
from outbound.client import make_post_client, retry_seconds

log = logging.getLogger(__name__)

# Slack message metadata on every post of Advocate's; `event_payload[METADATA_KEY]` finds one again.
# Listeners can ignore messages that carry it.
METADATA_EVENT_TYPE = "advocate_delivery"
METADATA_KEY = "delivery_key"
# Slack's clock and ours may differ: search a little before the first try.
CLOCK_SLACK_SECONDS = 120.0
SEARCH_PAGES = 5
# What a failed call to Slack raises besides SlackApiError (dropped connections, timeouts, bad answers).
UNREACHABLE = (SlackRequestError, URLError, HTTPException, OSError)
# Slack errors a later try can get past, besides any 5xx and 429.
TRANSIENT_ERRORS = AMBIGUOUS_ERRORS | {"ratelimited", "team_added_to_org"}


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
    # What a message found by its key shows: the ids of its blocks, and how many of them are images.
    block_ids: frozenset[str] = frozenset()
    images: int = 0


def describe(exc: BaseException) -> str:
    """What went wrong, in a few words and never a secret: Slack's error, the HTTP status or the exception."""
    if isinstance(exc, SlackApiError):
        return str(exc.response.get("error") or f"HTTP {exc.response.status_code}")
    if isinstance(exc, PostUncertain):
        return describe(exc.cause)
    return type(exc).__name__ + (f": {exc.reason}" if isinstance(exc, URLError) else "")


def is_ambiguous(exc: BaseException) -> bool:
    """May Slack have acted despite this error?"""
    if isinstance(exc, SlackApiError):
        return exc.response.status_code >= 500 or exc.response.get("error") in AMBIGUOUS_ERRORS
    return isinstance(exc, URLError | HTTPException | ConnectionError | TimeoutError)


def is_transient(exc: BaseException) -> bool:
    """Might the same call succeed later? A 5xx, a rate limit, Slack's passing errors, an unreachable Slack: yes.
    An error that says the request is wrong (invalid_auth, missing_scope, user_not_found, …): no, and retrying
    would only hide it."""
    if isinstance(exc, SlackApiError):
        status = exc.response.status_code
        return status >= 500 or status == 429 or exc.response.get("error") in TRANSIENT_ERRORS
    return isinstance(exc, UNREACHABLE)


def new_key() -> str:
    return uuid.uuid4().hex


class OncePoster:
    def __init__(self, *, client: WebClient, post_client: WebClient, pause_seconds: float = 1.0,
                 patience_seconds: float = 0.0) -> None:
        # Reads, searches, DMs and uploads (retries rate limits, 5xx and dropped connections itself).
        self.client = client
        # Posts and completed uploads (retries only rate limits itself).
        self.post_client = post_client
        # Seconds between tries (multiplied by the try number).
        self.pause_seconds = pause_seconds
        # How long a `patient` post keeps trying after ambiguous failures (SLACK_RETRY_SECONDS).
        self.patience_seconds = patience_seconds

    @classmethod
    def for_client(cls, client: WebClient, *, pause_seconds: float = 1.0) -> OncePoster:
        """A poster over the ordinary client and its rate-limits-only twin, as patient as the client."""
        return cls(client=client, post_client=make_post_client(client), pause_seconds=pause_seconds,
                   patience_seconds=retry_seconds(client))

    def post(
        self,
        *,
        channel: str,
        text: str,
        blocks: list[dict[str, Any]] | None = None,
        thread_ts: str | None = None,
        key: str | None = None,
        since: float | None = None,
        tries: int = 3,
        patient: bool = False,
    ) -> Posted:
        """Post at most once, with `key` (a fresh one by default) in the message metadata; `since` (epoch
        seconds, default now) is when an earlier copy could first have been posted. `tries` posts at most
        after ambiguous failures (the conversation searched before each), or, `patient`, as many as fit in
        `patience_seconds`. Raises SlackApiError for a definite refusal (not_in_channel, …) and PostUncertain
        when every try failed ambiguously and the conversation holds no copy, or could not be searched."""
        key = key or new_key()
        since = time.time() if since is None else since
        metadata = {"event_type": METADATA_EVENT_TYPE, "event_payload": {METADATA_KEY: key}}
        kwargs: dict[str, Any] = {"thread_ts": thread_ts} if thread_ts else {}
        if blocks is not None:
            kwargs["blocks"] = blocks
        last: Exception | None = None
        started = time.monotonic()
        attempt = 0
        while attempt < max(1, tries) or (
                patient and time.monotonic() - started + self.pause_seconds * attempt < self.patience_seconds):
            if last is not None:
                time.sleep(self.pause_seconds * attempt)
                found = self._look(channel, key, thread_ts=thread_ts, since=since, after=last)
                if found is not None:
                    return found
            try:
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
            attempt += 1
        assert last is not None
        found = self._look(channel, key, thread_ts=thread_ts, since=since, after=last)
        if found is not None:
            return found
        raise PostUncertain(last)

    def post_ephemeral(self, *, channel: str, user: str, text: str, thread_ts: str | None = None) -> None:
        """A note in `channel` that only `user` sees. Rate limits are waited out (a 429 showed nothing), but
        nothing else is tried twice: an ephemeral note never appears in the conversation's history, so one
        Slack showed before a 5xx or a dropped connection cannot be looked for, and a second try could show
        it twice. Raises SlackApiError for a definite refusal and PostUncertain for an ambiguous failure."""
        kwargs: dict[str, Any] = {"thread_ts": thread_ts} if thread_ts else {}
        try:
            self.post_client.chat_postEphemeral(channel=channel, user=user, text=text, **kwargs)
        except (SlackApiError, URLError, HTTPException, ConnectionError, TimeoutError) as exc:
            if not is_ambiguous(exc):
                raise
            log.warning("chat.postEphemeral in %s did not answer clearly (%s); not sent again, since a note "
                        "only its reader sees cannot be looked for", channel, describe(exc))
            raise PostUncertain(exc) from exc

    def _look(self, channel: str, key: str, *, thread_ts: str | None, since: float, after: Exception) -> Posted | None:
        try:
            return self.find(channel, key, thread_ts=thread_ts, since=since)
        except (SlackApiError, *UNREACHABLE) as exc:
            log.warning("could not search %s for a post (%s); not posting again", channel, describe(exc))
            raise PostUncertain(after) from exc

    def find(self, channel: str, key: str, *, since: float, thread_ts: str | None = None) -> Posted | None:
        """The message carrying this key in the conversation (in the thread, given `thread_ts`), if Slack
        posted it. A search that fails raises: it tells nothing about whether the message is there."""
        oldest = f"{since - CLOCK_SLACK_SECONDS:.6f}"

        def page(cursor: str | None) -> Any:
            if thread_ts:
                return self.client.conversations_replies(channel=channel, ts=thread_ts, oldest=oldest,
                                                         include_all_metadata=True, limit=200, cursor=cursor)
            return self.client.conversations_history(channel=channel, oldest=oldest, include_all_metadata=True,
                                                     limit=200, cursor=cursor)

        for message in _messages(page):
            metadata = message.get("metadata") or {}
            if (metadata.get("event_type") == METADATA_EVENT_TYPE
                    and (metadata.get("event_payload") or {}).get(METADATA_KEY) == key):
                log.info("found the post in %s that Slack had taken before its answer was lost", channel)
                blocks = [b for b in message.get("blocks") or [] if isinstance(b, dict)]
                return Posted(channel=channel, ts=str(message["ts"]), recovered=True,
                              block_ids=frozenset(str(b["block_id"]) for b in blocks if b.get("block_id")),
                              images=sum(1 for b in blocks if b.get("type") == "image"))
        return None

    def open_dm(self, user: str) -> str:
        """The app's DM with a person (conversations.open is safe to repeat)."""
        return str(self.client.conversations_open(users=user)["channel"]["id"])

    # -- a file into a thread, in the three steps files_upload_v2 takes -----------------------------------
    def reserve_upload(self, *, filename: str, length: int) -> tuple[str, str]:
        """Step 1: Slack's file id and the URL the bytes go to. Nothing is shown yet."""
        reserved = self.client.files_getUploadURLExternal(filename=filename, length=length)
        return str(reserved["file_id"]), str(reserved["upload_url"])

    def upload_bytes(self, url: str, data: bytes) -> None:
        """Step 2: the bytes to the URL Slack gave. Sending them again replaces them and shows nothing, so
        rate limits (waiting what Retry-After says), 5xx answers and dropped connections are retried, for up
        to `patience_seconds`."""
        started = time.monotonic()
        attempt = 0
        while True:
            try:
                self._send_bytes(url, data)
                return
            except UNREACHABLE as exc:
                attempt += 1
                wait = self.pause_seconds * attempt
                if isinstance(exc, HTTPError) and exc.code == 429:
                    wait = _retry_after(exc, default=wait)
                client_error = isinstance(exc, HTTPError) and exc.code < 500 and exc.code != 429
                if client_error or time.monotonic() - started + wait > self.patience_seconds:
                    raise
                log.warning("the upload did not answer clearly (%s); sending the bytes again", describe(exc))
                time.sleep(wait)

    def _send_bytes(self, url: str, data: bytes) -> None:
        request = urllib.request.Request(url, data=data, method="POST",
                                         headers={"Content-Type": "application/octet-stream"})
        handlers: list[urllib.request.BaseHandler] = [urllib.request.HTTPSHandler(context=self.client.ssl)]
        if self.client.proxy:
            handlers.append(urllib.request.ProxyHandler({"http": self.client.proxy, "https": self.client.proxy}))
        opener = urllib.request.build_opener(*handlers)
        with opener.open(request, timeout=self.client.timeout) as response:
            if response.status != 200:
                raise SlackRequestError(f"the upload answered HTTP {response.status}")


def _retry_after(exc: HTTPError, *, default: float) -> float:
    try:
        return max(0.0, float(exc.headers.get("Retry-After", default)))
    except (TypeError, ValueError):
        return default


def _messages(page: Callable[[str | None], Any]) -> Iterator[dict[str, Any]]:
    """The messages of up to SEARCH_PAGES pages of a conversation read, following Slack's cursor."""
    cursor: str | None = None
    for _ in range(SEARCH_PAGES):
        response = page(cursor)
        yield from response.get("messages") or []
        cursor = (response.get("response_metadata") or {}).get("next_cursor") or None
        if not cursor:
            return
