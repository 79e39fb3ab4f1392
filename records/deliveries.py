"""The delivery ledger: one row per digest or reminder per person per period, for exactly-once sending.

1. `record_intent` writes the row with the exact message *before* anything is sent (pending).
2. `claim` takes a lease on it in one conditional UPDATE; a second scheduler gets nothing to do.
3. After Slack accepts the message, `mark_posted` stores its ts.
4. A chart's upload is reserved with Slack, and `mark_chart` stores its file id before the bytes are
   sent; the file is shown only by the message that names it.
5. `mark_sent` closes the row.
A crash leaves the row pending with an expired lease; the next run claims it again and first looks
in the DM for a message carrying the key before sending, and reuses the recorded chart when Slack
knows it as an image (see jobs/delivery.py and jobs/chart_file.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from records.clock import now_utc
from records.models import DigestDelivery

# Errors are stored for people to read; a traceback or a huge body is not useful there.
MAX_ERROR_CHARS = 500


@dataclass(frozen=True)
class DeliveryView:
    key: str
    kind: str
    recipient: str
    period: str
    status: str
    attempts: int
    last_error: str | None
    payload: dict[str, Any]
    chart_png: bytes | None
    slack_channel: str | None
    slack_ts: str | None
    chart_file_id: str | None
    created_at: datetime
    sent_at: datetime | None

    @classmethod
    def of(cls, row: DigestDelivery) -> DeliveryView:
        return cls(
            row.key, row.kind, row.recipient, row.period, row.status, row.attempts, row.last_error, dict(row.payload),
            row.chart_png, row.slack_channel, row.slack_ts, row.chart_file_id, row.created_at, row.sent_at,
        )


def delivery_key(kind: str, recipient: str, period: str) -> str:
    return f"{kind}:{recipient}:{period}"


class DeliveryLedger:
    def __init__(self, *, sessions: sessionmaker[Session]) -> None:
        # Transactions on the records database: `with sessions.begin() as session:` commits at the end.
        self.sessions = sessions

    def get(self, key: str) -> DeliveryView | None:
        with self.sessions.begin() as session:
            row = session.get(DigestDelivery, key)
            return DeliveryView.of(row) if row else None

    def statuses(self, keys: Sequence[str]) -> dict[str, str]:
        found: dict[str, str] = {}
        with self.sessions.begin() as session:
            for start in range(0, len(keys), 1000):
                part = keys[start : start + 1000]
                query = select(DigestDelivery.key, DigestDelivery.status).where(DigestDelivery.key.in_(part))
                found.update({k: s for k, s in session.execute(query)})
        return found

    def record_intent(
        self,
        *,
        kind: str,
        recipient: str,
        period: str,
        payload: dict[str, Any],
        chart_png: bytes | None = None,
        status: str = "pending",
        error: str | None = None,
        now: datetime | None = None,
    ) -> tuple[DeliveryView, bool]:
        """(the row, whether this call created it). An existing row is returned unchanged: the first
        intent's message is the one sent, however often the digest is computed again."""
        now = now or now_utc()
        key = delivery_key(kind, recipient, period)
        try:
            with self.sessions.begin() as session:
                row = DigestDelivery(
                    key=key, kind=kind, recipient=recipient, period=period, status=status, attempts=0,
                    last_error=_short(error), payload=payload, chart_png=chart_png, created_at=now,
                )
                session.add(row)
                session.flush()
                return DeliveryView.of(row), True
        except IntegrityError:
            existing = self.get(key)
            assert existing is not None
            return existing, False

    def claim(self, key: str, *, now: datetime, lease: timedelta) -> DeliveryView | None:
        """Take the lease on a pending delivery; None if it is sent, failed, or held by another process.

        One conditional UPDATE: of two schedulers racing, exactly one sees a row change.
        """
        with self.sessions.begin() as session:
            result = session.execute(
                update(DigestDelivery)
                .where(
                    DigestDelivery.key == key,
                    DigestDelivery.status == "pending",
                    or_(DigestDelivery.claimed_until.is_(None), DigestDelivery.claimed_until < now),
                )
                .values(claimed_until=now + lease, attempts=DigestDelivery.attempts + 1)
                .execution_options(synchronize_session=False)
            )
            if result.rowcount != 1:  # type: ignore[attr-defined]
                return None
        return self.get(key)

    def mark_channel(self, key: str, channel: str) -> None:
        self._set(key, slack_channel=channel)

    def mark_posted(self, key: str, *, channel: str, ts: str) -> None:
        self._set(key, slack_channel=channel, slack_ts=ts)

    def mark_chart(self, key: str, file_id: str) -> None:
        """The chart's upload is reserved under this file id; it is shown only by the message that names it.
        A pending row with a chart file id may have its upload at Slack already: reuse it when it is an image."""
        self._set(key, chart_file_id=file_id)

    def mark_sent(self, key: str, *, now: datetime) -> None:
        self._set(key, status="sent", sent_at=now, claimed_until=None, last_error=None)

    def release(self, key: str, *, error: str, failed: bool) -> None:
        """Give the lease back after an error: pending (retried by the next run) or failed (reported)."""
        values: dict[str, Any] = {"claimed_until": None, "last_error": _short(error)}
        if failed:
            values["status"] = "failed"
        self._set(key, **values)

    def retry(self, key: str) -> bool:
        """Put a failed delivery back to pending (after the cause was fixed)."""
        with self.sessions.begin() as session:
            result = session.execute(
                update(DigestDelivery).where(DigestDelivery.key == key, DigestDelivery.status == "failed")
                .values(status="pending", attempts=0, claimed_until=None)
                .execution_options(synchronize_session=False)
            )
            return result.rowcount == 1  # type: ignore[attr-defined]

    def outstanding(self, *, now: datetime, since: datetime, limit: int = 500) -> list[str]:
        """Keys of pending deliveries nobody holds, oldest first (index on status, created_at)."""
        with self.sessions.begin() as session:
            query = (
                select(DigestDelivery.key)
                .where(
                    DigestDelivery.status == "pending",
                    DigestDelivery.created_at >= since,
                    or_(DigestDelivery.claimed_until.is_(None), DigestDelivery.claimed_until < now),
                )
                .order_by(DigestDelivery.created_at)
                .limit(limit)
            )
            return list(session.scalars(query))

    def listing(self, *, statuses: Sequence[str], limit: int = 100) -> list[DeliveryView]:
        with self.sessions.begin() as session:
            query = (
                select(DigestDelivery).where(DigestDelivery.status.in_(list(statuses)))
                .order_by(DigestDelivery.created_at.desc()).limit(limit)
            )
            return [DeliveryView.of(r) for r in session.scalars(query)]

    def last_sent_at(self, *, kind: str, recipient: str) -> datetime | None:
        with self.sessions.begin() as session:
            return session.scalar(
                select(DigestDelivery.sent_at)
                .where(DigestDelivery.kind == kind, DigestDelivery.recipient == recipient,
                       DigestDelivery.status == "sent")
                .order_by(DigestDelivery.sent_at.desc())
                .limit(1)
            )

    def _set(self, key: str, **values: Any) -> None:
        with self.sessions.begin() as session:
            session.execute(
                update(DigestDelivery).where(DigestDelivery.key == key).values(**values)
                .execution_options(synchronize_session=False)
            )


def _short(error: str | None) -> str | None:
    if error is None:
        return None
    return error if len(error) <= MAX_ERROR_CHARS else error[: MAX_ERROR_CHARS - 1] + "…"
