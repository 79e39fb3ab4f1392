"""The Slack Web API client, built once by the composition root from SLACK_BOT_TOKEN and SLACK_API_URL.

slack_sdk's retry handlers wait out rate limits (honouring Retry-After), retry 5xx answers and
dropped connections. One call is different: `chat.postMessage` may have posted before a 5xx or a
dropped connection, so the digest deliverer gets a client that retries only rate limits and checks
the conversation itself before sending again (jobs/delivery.py).
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


class SlackNotConfigured(Exception):
    """SLACK_BOT_TOKEN is not set; the message says what works without it."""


def make_slack_client(settings: Settings, *, retry_ambiguous: bool = True) -> WebClient:
    token = settings.slack_bot_token.get_secret_value()
    if not token:
        raise SlackNotConfigured(
            "SLACK_BOT_TOKEN is not set: set it to the bot token (xoxb-…) to send; "
            "`advocate digest preview` shows what would be sent without it"
        )
    handlers = [RateLimitErrorRetryHandler(max_retry_count=3)]
    if retry_ambiguous:
        handlers += [ServerErrorRetryHandler(max_retry_count=2), ConnectionErrorRetryHandler(max_retry_count=2)]
    return WebClient(token=token, base_url=settings.slack_api_url, timeout=TIMEOUT_SECONDS, retry_handlers=handlers)
