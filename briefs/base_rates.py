"""How common each customer group is across the whole knowledge base: the base a brief's "who is
affected" is measured against.

"Customers who answered a survey: 3 of the 8 most relevant verbatims" says nothing when a third of all
feedback comes by survey; it singles a group out only when the closest verbatims hold more of it than
chance would give. Channels are counted over all feedback in the knowledge base, segments and tenure
bands over all customers in the records. Both hardly move between ingests, and counting costs: feedback
is counted by id alone, 0.18 s for all of 100k feedback chunks and 0.09 s for one channel's (about 10 ms
over 1,500), so a count is kept for FRESH_S.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections import Counter
from datetime import date
from typing import Any

log = logging.getLogger(__name__)

FRESH_S = 600.0
GROUPINGS = ("channel", "segment", "tenure")


def tenure_band(since: date | None, today: date | None = None) -> str:
    """The band a customer's time with us falls in."""
    if not isinstance(since, date):
        return ""
    years = ((today or date.today()) - since).days // 365
    if years < 1:
        return "under a year"
    if years < 5:
        return "1–4 years"
    if years < 10:
        return "5–9 years"
    return "10 years or more"


def chance_of_at_least(hits: int, draws: int, share: float) -> float:
    """The chance that `draws` verbatims taken at random from the whole would hold `hits` or more of a group
    that makes up `share` of it (binomial tail)."""
    share = min(max(share, 0.0), 1.0)
    return sum(math.comb(draws, k) * share**k * (1 - share) ** (draws - k) for k in range(hits, draws + 1))


class BaseRates:
    """Shares of all feedback by channel and of all customers by segment and tenure band, cached per process."""

    def __init__(self, *, store: Any, customers: Any | None) -> None:
        # The knowledge store: feedback is counted by its channel metadata.
        self.store = store
        # The customer book of the records store (segments, start dates); None where there are no records.
        self.customers = customers
        self._lock = threading.Lock()
        self._channels: dict[str, tuple[float, float]] = {}  # channel → (share, when counted)
        self._feedback_total: tuple[int, float] | None = None
        self._customers: tuple[dict[str, dict[str, float]], float] | None = None

    def shares(self, channels: set[str]) -> dict[str, dict[str, float]]:
        """grouping → group → share of the whole, for these channels (lower case, as ingest stores them)
        and every segment and tenure band; a grouping that cannot be counted is left out (the brief then
        names no group of that kind)."""
        found: dict[str, dict[str, float]] = {}
        try:
            found["channel"] = self._channel_shares({c for c in channels if c})
        except Exception:  # noqa: BLE001 - a refinement: the brief goes on without it
            log.exception("how common each feedback channel is could not be counted")
        try:
            found.update(self._customer_shares())
        except Exception:  # noqa: BLE001
            log.exception("how common each customer segment and tenure band is could not be counted")
        return found

    def _channel_shares(self, channels: set[str]) -> dict[str, float]:
        now = time.monotonic()
        with self._lock:
            if self._feedback_total is None or now - self._feedback_total[1] >= FRESH_S:
                self._feedback_total = (self.store.count_where({"kind": "feedback"}), now)
                self._channels.clear()
            total = self._feedback_total[0]
            wanted = [c for c in channels if c not in self._channels]
        counted = {c: self.store.count_where({"$and": [{"kind": "feedback"}, {"channel": c}]}) for c in wanted}
        with self._lock:
            self._channels.update({c: (n / total if total else 0.0, now) for c, n in counted.items()})
            return {c: self._channels[c][0] for c in channels if c in self._channels}

    def _customer_shares(self) -> dict[str, dict[str, float]]:
        if self.customers is None:
            return {}
        now = time.monotonic()
        with self._lock:
            if self._customers is not None and now - self._customers[1] < FRESH_S:
                return self._customers[0]
        rows = self.customers.segments_and_starts()
        today = date.today()
        total = len(rows)
        segments = Counter(segment.lower() for segment, _ in rows if segment)
        tenures = Counter(tenure_band(since, today) for _, since in rows)
        shares = {
            "segment": {key: n / total for key, n in segments.items()},
            "tenure": {key: n / total for key, n in tenures.items() if key},
        } if total else {}
        with self._lock:
            self._customers = (shares, now)
        return shares
