"""What the scheduled jobs are given: the parts they use, built by the composition root (`Services.job_parts()`).

`advocate digest preview --kind reminders` opens neither Slack nor the vector store, and a job without a
Slack token says so before any work: those parts are built when a job first asks for them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from advocate.parts import SharedParts
from jobs.delivery import Deliverer

if TYPE_CHECKING:  # only named here; importing them loads the model and store libraries
    from langchain_core.indexing import RecordManager

    from briefs.lenses import LensMatcher
    from knowledge.retrieval import Retriever


@dataclass(frozen=True)
class BriefingSources:
    """What the advocate briefing reads besides the records: the knowledge base, through the model."""

    # Feedback and research, found by meaning.
    retriever: Retriever
    # Groups a briefing's verbatims into themes by lens.
    lens_matcher: LensMatcher
    # Knows when each chunk was indexed: "new" in a briefing also means newly ingested.
    record_manager: RecordManager


@dataclass(frozen=True)
class JobParts(SharedParts):
    # Sends each message once through the delivery ledger (needs SLACK_BOT_TOKEN).
    deliverer: Callable[[], Deliverer]
    # The knowledge base for advocate briefings (loads the embedding model and opens the store).
    briefing_sources: Callable[[], BriefingSources]
