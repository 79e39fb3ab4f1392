"""What the Slack app is built from: the parts it uses, built by the composition root (`Services.bot_parts()`).

Parts that cost something to build (the Slack client, the embedding model, the knowledge store) come as
factories: the app calls them where it needs them, so a brief's first use loads the model, not the start.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from slack_sdk import WebClient

from advocate.settings import Settings
from briefs.functions import Function
from records.database import Records

if TYPE_CHECKING:  # only named here; importing them loads the model and store libraries
    from briefs.advisor import Advisor
    from knowledge.ingest import Ingestor
    from knowledge.vector_store import KnowledgeStore
    from records.loyalty import Loyalty


@dataclass(frozen=True)
class BotParts:
    # Tokens, channels, admins, the ask emoji, pool sizes, the data dir.
    settings: Settings
    # The Slack ledger, the advocate roster, staff, customers, promises, thank-yous and keep rates.
    records: Records
    # The organisation's functions: which advocate a decision needs, the help, the roster.
    functions: list[Function]
    # The bot's Web API client (SLACK_BOT_TOKEN, SLACK_API_URL; retries rate limits, 5xx and dropped connections).
    slack: Callable[[], WebClient]
    # Writes briefs (loads the embedding model).
    advisor: Callable[[], Advisor]
    # Indexes feedback-channel messages and the files admins send.
    ingestor: Callable[[], Ingestor]
    # The knowledge store: which feedback is restricted, and the health check.
    store: Callable[[], KnowledgeStore]
    # Customer cards and thank-yous due.
    loyalty: Callable[[], Loyalty]
