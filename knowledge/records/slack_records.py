"""What the Slack app records: briefs it delivered, the decisions they belong to, concerns, feedback,
and the Slack event ids it has acted on (so a redelivered event never gets a second answer).

The `decisions`, `concerns`, `brief_feedback` and `slack_events` tables are the records' own
(`knowledge.records.models`); `slack_briefs` is added here: each brief as delivered, so the "Full
brief" button, App Home and the thread follow-ups can find it again after a restart.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import JSON, Boolean, ForeignKey, Index, String, Text, delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column

from knowledge.records.models import (
    Base,
    BriefFeedback,
    Concern,
    Decision,
    ProcessedSlackEvent,
    UTCDateTime,
    utcnow,
)

if TYPE_CHECKING:
    from knowledge.records.database import Records

MAX_CONCERN_CHARS = 3000


class SlackBrief(Base):
    """A brief delivered in Slack: where it is, who asked, and what it showed (to show it again)."""

    __tablename__ = "slack_briefs"

    # The brief's own id (Brief.id), carried in the buttons under it.
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    decision_id: Mapped[int | None] = mapped_column(
        ForeignKey("decisions.id", ondelete="SET NULL"), nullable=True, index=True
    )
    channel: Mapped[str] = mapped_column(String(32))
    thread_ts: Mapped[str] = mapped_column(String(32))
    # The bot's message holding the brief (the placeholder, updated in place).
    message_ts: Mapped[str] = mapped_column(String(32))
    asked_by: Mapped[str] = mapped_column(String(32))
    # mention, dm, command, shortcut, reaction, decision_channel, follow_up, home
    how: Mapped[str] = mapped_column(String(20))
    question: Mapped[str] = mapped_column(Text)
    # Personal data was masked (the brief went to a channel, not a DM).
    masked: Mapped[bool] = mapped_column(Boolean, default=True)
    # bot.blocks.brief_view.BriefView as JSON.
    view: Mapped[dict[str, Any]] = mapped_column(JSON)
    permalink: Mapped[str | None] = mapped_column(String(500), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (
        Index("ix_slack_briefs_asked_by_created", "asked_by", "created_at"),
        Index("ix_slack_briefs_thread", "channel", "thread_ts"),
    )


@dataclass(frozen=True)
class DeliveredBrief:
    id: str
    decision_id: int | None
    channel: str
    thread_ts: str
    message_ts: str
    asked_by: str
    how: str
    question: str
    masked: bool
    view: dict[str, Any]
    permalink: str | None
    created_at: datetime

    @classmethod
    def of(cls, row: SlackBrief) -> DeliveredBrief:
        return cls(
            id=row.id, decision_id=row.decision_id, channel=row.channel, thread_ts=row.thread_ts,
            message_ts=row.message_ts, asked_by=row.asked_by, how=row.how, question=row.question,
            masked=row.masked, view=dict(row.view), permalink=row.permalink, created_at=row.created_at,
        )


@dataclass(frozen=True)
class DecisionSummary:
    id: int
    channel: str
    thread_ts: str
    question: str
    function: str | None
    lenses: list[str]
    advocates: list[str]
    created_by: str | None
    created_at: datetime
    concerns: list[tuple[str, str]] = field(default_factory=list)  # (raised_by, text)
    helpful: int = 0
    not_helpful: int = 0

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id, "channel": self.channel, "thread_ts": self.thread_ts, "question": self.question,
            "function": self.function, "lenses": self.lenses, "advocates": self.advocates,
            "created_by": self.created_by, "created_at": self.created_at.isoformat(),
            "concerns": [{"raised_by": who, "text": text} for who, text in self.concerns],
            "helpful": self.helpful, "not_helpful": self.not_helpful,
        }


class SlackLedger:
    def __init__(self, *, records: Records) -> None:
        # The records database.
        self.records = records

    # -- redelivered events ------------------------------------------------------------------------
    def claim_event(self, event_id: str) -> bool:
        """True the first time an event id is seen; False for a redelivery (also after a restart)."""
        try:
            with self.records.session() as session:
                session.add(ProcessedSlackEvent(event_id=event_id[:64]))
        except IntegrityError:
            return False
        return True

    def forget_events(self, *, older_than: timedelta) -> int:
        """Slack redelivers for minutes, not days: old ids only take room."""
        with self.records.session() as session:
            result = session.execute(
                delete(ProcessedSlackEvent).where(ProcessedSlackEvent.received_at < utcnow() - older_than)
            )
            return int(result.rowcount or 0)

    # -- decisions and briefs -----------------------------------------------------------------------
    def record_brief(
        self,
        *,
        brief_id: str,
        channel: str,
        thread_ts: str,
        message_ts: str,
        asked_by: str,
        how: str,
        question: str,
        masked: bool,
        view: dict[str, Any],
        lenses: list[dict[str, Any]],
        function: str | None,
        advocates: Sequence[str],
        permalink: str | None = None,
    ) -> int:
        """Store a delivered brief and its decision (one decision per thread); returns the decision id."""
        with self.records.session() as session:
            decision = session.scalars(
                select(Decision).where(Decision.channel == channel, Decision.thread_ts == thread_ts)
                .order_by(Decision.id).limit(1)
            ).first()
            if decision is None:
                decision = Decision(
                    channel=channel, thread_ts=thread_ts, question=question, lenses=lenses, function=function,
                    advocates=sorted(set(advocates)), created_by=asked_by,
                )
                session.add(decision)
                session.flush()
            else:
                decision.advocates = sorted(set(decision.advocates or []) | set(advocates))
                if function and not decision.function:
                    decision.function = function
            session.add(SlackBrief(
                id=brief_id, decision_id=decision.id, channel=channel, thread_ts=thread_ts, message_ts=message_ts,
                asked_by=asked_by, how=how, question=question, masked=masked, view=view, permalink=permalink,
            ))
            return decision.id

    def set_permalink(self, brief_id: str, permalink: str) -> None:
        with self.records.session() as session:
            row = session.get(SlackBrief, brief_id)
            if row is not None:
                row.permalink = permalink

    def brief(self, brief_id: str) -> DeliveredBrief | None:
        with self.records.session() as session:
            row = session.get(SlackBrief, brief_id)
            return DeliveredBrief.of(row) if row else None

    def answered_thread(self, channel: str, thread_ts: str) -> bool:
        """Has a brief been given in this thread (so follow-up questions there are for us)?"""
        with self.records.session() as session:
            found = session.scalars(
                select(SlackBrief.id).where(SlackBrief.channel == channel, SlackBrief.thread_ts == thread_ts).limit(1)
            ).first()
            return found is not None

    def recent_briefs(self, asked_by: str, *, limit: int = 5) -> list[DeliveredBrief]:
        with self.records.session() as session:
            rows = session.scalars(
                select(SlackBrief).where(SlackBrief.asked_by == asked_by)
                .order_by(SlackBrief.created_at.desc()).limit(limit)
            ).all()
            return [DeliveredBrief.of(r) for r in rows]

    def record_feedback(self, brief_id: str, *, user: str, helpful: bool) -> bool:
        """One vote per person per decision thread (a second click changes it); False for an unknown brief."""
        with self.records.session() as session:
            brief = session.get(SlackBrief, brief_id)
            if brief is None:
                return False
            session.execute(delete(BriefFeedback).where(
                BriefFeedback.slack_user_id == user, BriefFeedback.channel == brief.channel,
                BriefFeedback.thread_ts == brief.thread_ts))
            session.add(BriefFeedback(
                decision_id=brief.decision_id, channel=brief.channel, thread_ts=brief.thread_ts,
                slack_user_id=user, helpful=helpful,
            ))
            return True

    def record_concern(self, brief_id: str, *, user: str, text: str) -> DeliveredBrief:
        text = text.strip()
        if not text:
            raise ValueError("say what will not work for customers")
        if len(text) > MAX_CONCERN_CHARS:
            raise ValueError(f"keep the concern under {MAX_CONCERN_CHARS:,} characters")
        with self.records.session() as session:
            brief = session.get(SlackBrief, brief_id)
            if brief is None or brief.decision_id is None:
                raise LookupError("that brief is no longer on record; ask again to get a new one")
            session.add(Concern(decision_id=brief.decision_id, raised_by=user, text=text))
            decision = session.get(Decision, brief.decision_id)
            if decision is not None:
                decision.advocates = sorted(set(decision.advocates or []) | {user})
            return DeliveredBrief.of(brief)

    def decisions(self, *, limit: int = 20, channel: str | None = None) -> list[DecisionSummary]:
        with self.records.session() as session:
            query = select(Decision).order_by(Decision.created_at.desc(), Decision.id.desc()).limit(limit)
            if channel:
                query = query.where(Decision.channel == channel)
            rows = session.scalars(query).all()
            ids = [r.id for r in rows]
            votes: dict[tuple[int, bool], int] = {}
            if ids:
                for decision_id, helpful, count in session.execute(
                    select(BriefFeedback.decision_id, BriefFeedback.helpful, func.count())
                    .where(BriefFeedback.decision_id.in_(ids))
                    .group_by(BriefFeedback.decision_id, BriefFeedback.helpful)
                ):
                    votes[(decision_id, bool(helpful))] = int(count)
            concerns: dict[int, list[tuple[str, str]]] = {}
            if ids:
                query = select(Concern).where(Concern.decision_id.in_(ids)).order_by(Concern.id)
                for concern in session.scalars(query):
                    concerns.setdefault(concern.decision_id, []).append((concern.raised_by, concern.text))
            return [
                DecisionSummary(
                    id=r.id, channel=r.channel, thread_ts=r.thread_ts, question=r.question, function=r.function,
                    lenses=[str(lens.get("title") or lens.get("id")) for lens in (r.lenses or [])],
                    advocates=list(r.advocates or []), created_by=r.created_by, created_at=r.created_at,
                    concerns=concerns.get(r.id, []), helpful=votes.get((r.id, True), 0),
                    not_helpful=votes.get((r.id, False), 0),
                )
                for r in rows
            ]
