"""What the scheduled jobs are given: the parts they use, built by the composition root (`Services.job_parts()`).

Parts that cost something to build (the Slack client, the knowledge store, the embedding model) come as
factories, called where a job needs them: `advocate digest preview --kind reminders` opens neither Slack
nor the vector store, and a job without a Slack token says so before any work.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from advocate.settings import Settings
from briefs.functions import Function
from jobs.delivery import Deliverer
from records.database import Records

if TYPE_CHECKING:  # only named here; importing them loads the model and store libraries
    from langchain_core.indexing import RecordManager

    from briefs.lenses import LensMatcher
    from knowledge.retrieval import Retriever
    from records.loyalty import Loyalty


@dataclass(frozen=True)
class JobParts:
    # Schedules, windows and zones: MANAGER_DIGEST_CRON, THANKS_WINDOW_DAYS, REMINDER_LEAD_HOURS, …
    settings: Settings
    # Staff, customers, promises, keep rates, advocates and the delivery ledger.
    records: Records
    # The organisation's functions: advocate briefings are per function.
    functions: list[Function]
    # Sends each message once through the delivery ledger (needs SLACK_BOT_TOKEN).
    deliverer: Callable[[], Deliverer]
    # Thank-yous due, with suggestions and the customers' recent feedback (reads the knowledge store).
    loyalty: Callable[[], Loyalty]
    # Feedback and research for advocate briefings (the embedding model and the knowledge store).
    retriever: Callable[[], Retriever]
    # Groups a briefing's verbatims into themes by lens.
    lens_matcher: Callable[[], LensMatcher]
    # Knows when each chunk was indexed: "new" in a briefing also means newly ingested.
    record_manager: Callable[[], RecordManager]
