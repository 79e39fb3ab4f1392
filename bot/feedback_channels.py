"""Messages in feedback channels become customer feedback in the knowledge base, with their permalink.

Each message is its own source (`slack:CHANNEL:TS`), indexed through LangChain's indexing API with
the same record manager as files: an edited message replaces its chunk, a deleted one is removed.
Bots' messages and the app's own posts are skipped. A score written in the message ("score 3",
"4/10", "NPS 9") is kept, so the feedback counts as a complaint or praise in briefs.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from langchain_core.documents import Document
from langchain_core.indexing import index
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from knowledge.ingest import Ingestor
from outbound.text import to_plain

log = logging.getLogger(__name__)

MIN_CHARS = 3
_SCORE = [
    re.compile(r"\b(?:score|nps|rating|rated|csat)\s*(?:of|was|:|=)?\s*(\d{1,2})\s*(?:/\s*(10|5))?\b", re.IGNORECASE),
    re.compile(r"\b(\d{1,2})\s*/\s*(10|5)\b"),
]
_CUSTOMER = re.compile(r"\b(?:customer|account)\s*(?:id)?\s*[:#]?\s*([A-Z]{1,3}\d{4,})\b", re.IGNORECASE)


def source_id(channel: str, ts: str) -> str:
    return f"slack:{channel}:{ts}"


def score_in(text: str) -> int | None:
    """A 0–10 score written in the message, if any (x/5 scaled to ten)."""
    for pattern in _SCORE:
        match = pattern.search(text)
        if match:
            value, scale = int(match.group(1)), int(match.group(2) or 10)
            if 0 <= value <= scale:
                return round(value * 10 / scale)
    return None


class FeedbackChannels:
    def __init__(
        self,
        *,
        client: WebClient,
        ingestor: Callable[[], Ingestor],
        channels: frozenset[str],
        bot_user_id: str,
        bot_id: str,
    ) -> None:
        # The Web API client, for permalinks and channel names.
        self.client = client
        # The ingestor (its store and record manager), built on first use.
        self.ingestor = ingestor
        # Channel ids whose messages are feedback (ADVOCATE_FEEDBACK_CHANNELS).
        self.channels = channels
        # The app's own user and bot ids: its posts are never feedback.
        self.bot_user_id = bot_user_id
        self.bot_id = bot_id
        self._names: dict[str, str] = {}

    def watches(self, channel: str | None) -> bool:
        return bool(channel) and channel in self.channels

    def handle(self, event: dict[str, Any]) -> str:
        """Index, re-index or remove for one message event; returns what was done (for logs and tests)."""
        channel = str(event.get("channel", ""))
        subtype = event.get("subtype")
        if subtype == "message_deleted":
            return self.remove(channel, str(event.get("deleted_ts") or (event.get("previous_message") or {}).get("ts")))
        if subtype == "message_changed":
            message = dict(event.get("message") or {})
            if message.get("subtype") == "tombstone":
                return self.remove(channel, str(message.get("ts")))
            return self.index_message(channel, message)
        if subtype not in (None, "thread_broadcast", "file_share"):
            return "skipped"
        return self.index_message(channel, event)

    def index_message(self, channel: str, message: dict[str, Any]) -> str:
        if self._from_a_bot(message):
            return "skipped"
        ts = str(message.get("ts", ""))
        text = to_plain(str(message.get("text", "")))
        if not ts or len(text) < MIN_CHARS:
            return self.remove(channel, ts) if ts else "skipped"
        ingestor = self.ingestor()
        document = Document(page_content=text, metadata=self._metadata(channel, ts, text, message))
        if not ingestor.unforgotten([document]):
            # A customer who asked to be forgotten (advocate forget-customer): not kept, nor an earlier copy.
            self.remove(channel, ts)
            return "forgotten"
        result = index(
            [document], ingestor.record_manager, ingestor.store, cleanup="scoped_full",
            source_id_key="source", key_encoder="sha256",
        )
        log.info("feedback message %s in %s: %s", ts, channel, result)
        return "indexed" if result["num_added"] else "unchanged"

    def remove(self, channel: str, ts: str) -> str:
        removed = self.ingestor().remove_source(source_id(channel, ts))
        return "removed" if removed else "unknown"

    def _from_a_bot(self, message: dict[str, Any]) -> bool:
        return bool(
            message.get("bot_id") or message.get("subtype") == "bot_message"
            or message.get("user") in (self.bot_user_id, None)
        )

    def _metadata(self, channel: str, ts: str, text: str, message: dict[str, Any]) -> dict[str, Any]:
        name = self._channel_name(channel)
        metadata: dict[str, Any] = {
            "kind": "feedback",
            "source": source_id(channel, ts),
            "source_name": f"#{name}" if name else channel,
            "title": f"Slack feedback in #{name}" if name else "Slack feedback",
            "heading": "",
            "date": datetime.fromtimestamp(float(ts), tz=UTC).date().isoformat(),
            "channel": "slack",
            "visibility": "internal",
            "record_id": ts,
            "line": 0,
            "permalink": self._permalink(channel, ts),
        }
        customer = _CUSTOMER.search(text)
        if customer:
            metadata["customer_id"] = customer.group(1).upper()
        score = score_in(text)
        if score is not None:
            metadata["score"] = score
        return metadata

    def _permalink(self, channel: str, ts: str) -> str:
        try:
            return str(self.client.chat_getPermalink(channel=channel, message_ts=ts).get("permalink") or "")
        except SlackApiError as exc:
            log.warning("no permalink for %s in %s (%s)", ts, channel, exc.response.get("error"))
            return ""

    def _channel_name(self, channel: str) -> str:
        if channel not in self._names:
            try:
                self._names[channel] = str(self.client.conversations_info(channel=channel)["channel"].get("name", ""))
            except SlackApiError:
                self._names[channel] = ""
        return self._names[channel]
