"""A customer's own feedback from the knowledge base, newest first: what the customer card and the
suggested thank-yous quote (records/loyalty.py asks for it through its `CustomerFeedback` protocol).

It reads the Chroma collection by metadata only (no embedding, no LangChain), so the records commands
that show it start quickly.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Any

from knowledge.chroma import StoreMismatch
from records.loyalty import FeedbackItem

log = logging.getLogger(__name__)


class FeedbackLookup:
    """Feedback chunks by their `customer_id` metadata."""

    def __init__(self, *, collection: Callable[[], Any]) -> None:
        # Opens the live knowledge collection (knowledge.chroma.open_collection), on the first look-up.
        self.collection = collection

    def for_customers(self, customer_ids: Sequence[str]) -> dict[str, list[FeedbackItem]]:
        found: dict[str, list[FeedbackItem]] = {}
        ids = sorted(set(customer_ids))
        if not ids:
            return found
        try:
            collection = self.collection()
            for start in range(0, len(ids), 500):
                where = {"$and": [{"kind": "feedback"}, {"customer_id": {"$in": ids[start : start + 500]}}]}
                got = collection.get(where=where, include=["documents", "metadatas"])
                for chunk_id, text, meta in zip(got["ids"], got["documents"], got["metadatas"], strict=False):
                    meta = meta or {}
                    score = meta.get("score")
                    found.setdefault(str(meta.get("customer_id")), []).append(FeedbackItem(
                        id=str(meta.get("record_id") or chunk_id), date=str(meta.get("date", "")),
                        score=int(score) if isinstance(score, (int, float)) else None,
                        channel=str(meta.get("channel", "")), text=text or "",
                    ))
        except StoreMismatch as exc:
            # Thank-yous and digests still go out; the missing context is said, not hidden.
            log.warning("customer feedback unavailable: %s", exc)
        for items in found.values():
            items.sort(key=lambda f: f.date, reverse=True)
        return found
