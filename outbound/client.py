"""The Slack Web API clients, built by the composition root from SLACK_BOT_TOKEN, SLACK_API_URL and
SLACK_RETRY_SECONDS.

The client waits out rate limits (honouring Retry-After), retries 5xx answers and dropped connections.
Each kind of failure keeps its own count (slack_sdk's handlers share one per request, so two 429s used
up the budget a later 500 needed), and all of them stop once Slack has kept failing one call for
SLACK_RETRY_SECONDS: then the error reaches the caller. `chat.postMessage` is different: it may have acted
before a 5xx or a dropped connection, so it goes through a post client that retries only rate limits, and
the poster looks before trying again (outbound/poster.py). (`files.completeUploadExternal` would be
different too if it shared a file into a channel; the app completes uploads with no channel, so the file
is shown only by the message that names it, and completing twice is harmless.)
A read repeated on its caller's own schedule (is the digest's chart processed yet?) goes through a look
client that waits seconds, not minutes: the next look is its retry (jobs/chart_file.py).
"""

from __future__ import annotations

import logging
import random
import time
from http.client import HTTPException
from typing import Any
from urllib.error import URLError

from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState

from advocate.settings import Settings

log = logging.getLogger(__name__)

TIMEOUT_SECONDS = 30
# SLACK_RETRY_SECONDS' default: how long one call is retried while Slack keeps failing.
RETRY_SECONDS = 120.0
# Tries of one kind within one call, whatever the time left: a bound on a Slack answering at once.
MAX_TRIES_PER_KIND = 30
# Backoff for 5xx answers and dropped connections: 0.5 s, 1 s, 2 s … up to 16 s, plus a little jitter.
BACKOFF_FIRST_SECONDS = 0.5
BACKOFF_MAX_SECONDS = 16.0
JITTER_SECONDS = 0.25
# A 429 without Retry-After (Slack always sends one; just in case).
DEFAULT_RETRY_AFTER_SECONDS = 1.0
# Errors Slack may answer after having acted anyway (besides any 5xx); safe calls retry them.
AMBIGUOUS_ERRORS = frozenset({"internal_error", "fatal_error", "service_unavailable", "request_timeout"})
SERVER_ERROR_STATUSES = frozenset({500, 502, 503, 504})


class SlackNotConfigured(Exception):
    """SLACK_BOT_TOKEN is not set; the message says what works without it."""


class _Patient:
    """What the three handlers share: a count per kind of failure, and the time since the call first failed
    (kept in the request's RetryState, so one handler instance serves every call and thread)."""

    kind: str
    give_up_after: float

    def can_retry(self, *, state: RetryState, request: HttpRequest, response: HttpResponse | None = None,
                  error: Exception | None = None) -> bool:
        if not self._can_retry(state=state, request=request, response=response, error=error):  # type: ignore[attr-defined]
            return False
        values = state.custom_values if state.custom_values is not None else {}
        state.custom_values = values
        first_failure = values.setdefault("first_failure", time.monotonic())
        tries = values.get(self.kind, 0)
        wait = self.wait(tries, response)
        waited = time.monotonic() - first_failure
        if tries >= MAX_TRIES_PER_KIND or waited + wait > self.give_up_after:
            log.warning("Slack kept failing %s for %.0f s (%s); giving up on it", request.url.rsplit("/", 1)[-1],
                        waited, self.kind)
            return False
        values["wait"] = wait
        return True

    def prepare_for_next_attempt(self, *, state: RetryState, request: HttpRequest,
                                 response: HttpResponse | None = None, error: Exception | None = None) -> None:
        values: dict[str, Any] = state.custom_values or {}
        time.sleep(values.get("wait", 0.0))
        values[self.kind] = values.get(self.kind, 0) + 1
        state.next_attempt_requested = True
        state.increment_current_attempt()

    def wait(self, tries: int, response: HttpResponse | None) -> float:
        """Seconds to wait before the next try: exponential backoff with a little jitter."""
        return min(BACKOFF_FIRST_SECONDS * 2**tries, BACKOFF_MAX_SECONDS) + random.uniform(0, JITTER_SECONDS)


class PatientRateLimitRetry(_Patient, RateLimitErrorRetryHandler):
    """429: waits what Retry-After says (a rate-limited call did nothing, so any call may be tried again)."""

    def __init__(self, *, give_up_after: float) -> None:
        super().__init__()
        self.kind = "rate_limited"
        # Seconds from a call's first failure after which it is not tried again.
        self.give_up_after = give_up_after

    def wait(self, tries: int, response: HttpResponse | None) -> float:
        retry_after = DEFAULT_RETRY_AFTER_SECONDS
        for name, values in (response.headers if response is not None else {}).items():
            if name.lower() == "retry-after" and values:
                try:
                    retry_after = max(0.0, float(values[0]))
                except ValueError:
                    pass
        return retry_after + random.uniform(0, JITTER_SECONDS)


class PatientServerErrorRetry(_Patient, ServerErrorRetryHandler):
    """5xx, and Slack's own "internal_error"-like answers: for calls that are safe to repeat."""

    def __init__(self, *, give_up_after: float) -> None:
        super().__init__()
        self.kind = "server_error"
        # Seconds from a call's first failure after which it is not tried again.
        self.give_up_after = give_up_after

    def _can_retry(self, *, state: RetryState, request: HttpRequest, response: HttpResponse | None = None,
                   error: Exception | None = None) -> bool:
        if response is None:
            return False
        if response.status_code in SERVER_ERROR_STATUSES:
            return True
        return response.status_code == 200 and (response.body or {}).get("error") in AMBIGUOUS_ERRORS


class PatientConnectionRetry(_Patient, ConnectionErrorRetryHandler):
    """Dropped connections, resets and timeouts: for calls that are safe to repeat."""

    def __init__(self, *, give_up_after: float) -> None:
        super().__init__(error_types=[URLError, ConnectionError, TimeoutError, HTTPException])
        self.kind = "connection"
        # Seconds from a call's first failure after which it is not tried again.
        self.give_up_after = give_up_after


def make_slack_client(settings: Settings) -> WebClient:
    """The ordinary client: retries rate limits, 5xx answers and dropped connections for up to
    SLACK_RETRY_SECONDS per call."""
    token = settings.slack_bot_token.get_secret_value()
    if not token:
        raise SlackNotConfigured(
            "SLACK_BOT_TOKEN is not set: set it to the bot token (xoxb-…) to send; "
            "`advocate digest preview` shows what would be sent without it"
        )
    patience = settings.slack_retry_seconds
    return WebClient(token=token, base_url=settings.slack_api_url, timeout=TIMEOUT_SECONDS, retry_handlers=[
        PatientRateLimitRetry(give_up_after=patience),
        PatientServerErrorRetry(give_up_after=patience),
        PatientConnectionRetry(give_up_after=patience),
    ])


def retry_seconds(client: WebClient) -> float:
    """How long this client retries one call while Slack keeps failing (SLACK_RETRY_SECONDS)."""
    return max((h.give_up_after for h in client.retry_handlers if isinstance(h, _Patient)), default=RETRY_SECONDS)


def with_patience(client: WebClient, seconds: float) -> WebClient:
    """The same client retrying every kind of failure for at most `seconds` per call: for a person waiting
    at a terminal (`advocate doctor`), where two minutes of retries would look like a hang."""
    return WebClient(
        token=client.token, base_url=client.base_url, timeout=min(client.timeout, seconds), ssl=client.ssl,
        proxy=client.proxy, headers=dict(client.headers),
        retry_handlers=[
            PatientRateLimitRetry(give_up_after=seconds),
            PatientServerErrorRetry(give_up_after=seconds),
            PatientConnectionRetry(give_up_after=seconds),
        ],
    )


def make_post_client(client: WebClient) -> WebClient:
    """The same client (token, URL, timeout, TLS, proxy, patience) retrying only rate limits (a 429 did nothing)."""
    return _rate_limits_only(client, seconds=retry_seconds(client), timeout=client.timeout)


def make_look_client(client: WebClient, seconds: float) -> WebClient:
    """The same client for a read its caller repeats on a schedule of its own (is the chart ready yet?): each
    call waits at most `seconds` for an answer and out a rate limit, and a 5xx or a dropped connection is not
    tried again here, since the caller's next look is the retry and its schedule bounds the whole wait."""
    return _rate_limits_only(client, seconds=seconds, timeout=min(client.timeout, seconds))


def _rate_limits_only(client: WebClient, *, seconds: float, timeout: float) -> WebClient:
    # slack_sdk annotates the timeout as an int but hands it to urllib, which takes fractions of a second.
    return WebClient(
        token=client.token, base_url=client.base_url, timeout=timeout, ssl=client.ssl,  # type: ignore[arg-type]
        proxy=client.proxy, headers=dict(client.headers),
        retry_handlers=[PatientRateLimitRetry(give_up_after=seconds)],
    )
