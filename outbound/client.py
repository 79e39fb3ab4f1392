"""The Slack Web API clients, built by the composition root from SLACK_BOT_TOKEN and SLACK_API_URL.

slack_sdk's retry handlers wait out rate limits (honouring Retry-After), retry 5xx answers and
dropped connections. Two calls are different: `chat.postMessage` and `files.completeUploadExternal`
may have acted before a 5xx or a dropped connection, so they go through a post client that retries
only rate limits, and the poster looks before trying again (outbound/poster.py).
"""

from __future__ import annotations

from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)

from advocate.settings import Settings

TIMEOUT_SECONDS = 30
RATE_LIMIT_RETRIES = 3
AMBIGUOUS_RETRIES = 2


class SlackNotConfigured(Exception):
    """SLACK_BOT_TOKEN is not set; the message says what works without it."""


def make_slack_client(settings: Settings) -> WebClient:
    """The ordinary client: retries rate limits, 5xx answers and dropped connections."""
    token = settings.slack_bot_token.get_secret_value()
    if not token:
        raise SlackNotConfigured(
            "SLACK_BOT_TOKEN is not set: set it to the bot token (xoxb-…) to send; "
            "`advocate digest preview` shows what would be sent without it"
        )
    return WebClient(token=token, base_url=settings.slack_api_url, timeout=TIMEOUT_SECONDS, retry_handlers=[
        RateLimitErrorRetryHandler(max_retry_count=RATE_LIMIT_RETRIES),
        ServerErrorRetryHandler(max_retry_count=AMBIGUOUS_RETRIES),
        ConnectionErrorRetryHandler(max_retry_count=AMBIGUOUS_RETRIES),
    ])


def make_post_client(client: WebClient) -> WebClient:
    """The same client (token, URL, timeout, TLS, proxy) retrying only rate limits (a 429 did nothing)."""
    return WebClient(
        token=client.token, base_url=client.base_url, timeout=client.timeout, ssl=client.ssl, proxy=client.proxy,
        headers=dict(client.headers),
        retry_handlers=[RateLimitErrorRetryHandler(max_retry_count=RATE_LIMIT_RETRIES)],
    )
