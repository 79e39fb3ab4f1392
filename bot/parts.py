"""What the Slack app is built from: the parts it uses, built by the composition root (`Services.bot_parts()`)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from slack_sdk import WebClient

from advocate.parts import SharedParts

if TYPE_CHECKING:  # only named here; importing them loads the model and store libraries
    from briefs.advisor import Advisor
    from knowledge.ingest import Ingestor
    from knowledge.vector_store import KnowledgeStore


@dataclass(frozen=True)
class BotParts(SharedParts):
    # The bot's Web API client (SLACK_BOT_TOKEN, SLACK_API_URL; retries rate limits, 5xx and dropped connections).
    slack: Callable[[], WebClient]
    # Writes briefs (loads the embedding model on first use, not at the start).
    advisor: Callable[[], Advisor]
    # Indexes feedback-channel messages and the files admins send.
    ingestor: Callable[[], Ingestor]
    # The knowledge store: which feedback is restricted, and the health check.
    store: Callable[[], KnowledgeStore]
