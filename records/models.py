"""Every table Advocate creates, declared here; the Alembic migrations in `records/migrations/` create
and change them (a test compares the migrated database with these models, on SQLite and PostgreSQL).

Most are SQLAlchemy 2 models below. The lexical index's tables (`knowledge_fts`, an FTS5 virtual table on
SQLite; `knowledge_lexical`, a generated tsvector column with a GIN index on PostgreSQL) cannot be
declared as models: their SQL is in migration 0005, the only place that creates them, and
knowledge/lexical_index.py reads and writes them. Two tables in the same database belong to
libraries, which create them on first use: LangChain's record manager (`upsertion_record`) and
APScheduler's job store (`apscheduler_jobs`).

Times are stored as UTC and read back timezone-aware on both SQLite and PostgreSQL (`UTCDateTime`).
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from records.clock import now_utc

# Constraint names are spelled out so that migrations are the same on SQLite and PostgreSQL.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

PROMISE_STATUSES = ("open", "kept", "broken", "cancelled")
PROMISE_EVENT_KINDS = ("created", "rescheduled", "reassigned", "closed", "cancelled")
DELIVERY_STATUSES = ("pending", "sent", "failed")


class UTCDateTime(TypeDecorator[datetime]):
    """An aware datetime stored as naive UTC (SQLite has no zones) and read back as aware UTC."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column; attach a time zone first")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


def anniversary_key(day: date) -> int:
    """month*100 + day: customers' anniversaries in a date window are one indexed range scan."""
    return day.month * 100 + day.day


class Customer(Base):
    __tablename__ = "customers"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    # Lower-cased, single-spaced name: lookups by name are indexed prefix scans.
    name_key: Mapped[str] = mapped_column(String(200), index=True)
    customer_since: Mapped[date] = mapped_column(Date)
    anniversary: Mapped[int] = mapped_column(Integer)
    owner: Mapped[str] = mapped_column(String(100))
    segment: Mapped[str] = mapped_column(String(50), default="")
    value: Mapped[float | None] = mapped_column(Float, nullable=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)

    __table_args__ = (
        # Milestones across the whole organisation: anniversary range, then tenure.
        Index("ix_customers_anniversary", "anniversary", "customer_since"),
        # Milestones of one team's customers.
        Index("ix_customers_owner_anniversary", "owner", "anniversary"),
    )


class Staff(Base):
    __tablename__ = "staff"

    handle: Mapped[str] = mapped_column(String(100), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    function: Mapped[str] = mapped_column(String(50), default="")
    manager: Mapped[str | None] = mapped_column(String(100), nullable=True, index=True)
    slack_user_id: Mapped[str | None] = mapped_column(String(32), nullable=True, unique=True)
    tz: Mapped[str | None] = mapped_column(String(64), nullable=True)
    # The person's own crontab for the manager digest, read in their tz; NULL: MANAGER_DIGEST_CRON.
    digest_cron: Mapped[str | None] = mapped_column(String(100), nullable=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)


class Promise(Base):
    __tablename__ = "promises"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    customer_id: Mapped[str] = mapped_column(ForeignKey("customers.id"))
    text: Mapped[str] = mapped_column(Text)
    owner: Mapped[str] = mapped_column(String(100))
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # The zone the due time was given in (IANA name or ±HH:MM), to show it back the same way.
    due_tz: Mapped[str] = mapped_column(String(64))
    permalink: Mapped[str | None] = mapped_column(String(500), nullable=True)
    status: Mapped[str] = mapped_column(String(16), default="open")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    created_by: Mapped[str] = mapped_column(String(100), default="")
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    closed_by: Mapped[str | None] = mapped_column(String(100), nullable=True)

    events: Mapped[list[PromiseEvent]] = relationship(
        back_populates="promise", order_by="PromiseEvent.id", cascade="all, delete-orphan"
    )

    __table_args__ = (
        Index("ix_promises_owner_due", "owner", "due_at"),
        Index("ix_promises_status_due", "status", "due_at"),
        Index("ix_promises_customer_status", "customer_id", "status"),
        Index("ix_promises_due", "due_at"),
    )

    @property
    def kept_on_time(self) -> bool:
        return self.status == "kept" and self.closed_at is not None and self.closed_at <= self.due_at


class PromiseEvent(Base):
    """What happened to a promise, by whom, when and why: the audit trail behind the keep rate."""

    __tablename__ = "promise_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    promise_id: Mapped[str] = mapped_column(ForeignKey("promises.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    by: Mapped[str] = mapped_column(String(100), default="")
    why: Mapped[str] = mapped_column(Text, default="")
    old_value: Mapped[str | None] = mapped_column(String(200), nullable=True)
    new_value: Mapped[str | None] = mapped_column(String(200), nullable=True)

    promise: Mapped[Promise] = relationship(back_populates="events")


class Thanks(Base):
    """A tenure milestone thanked: the same milestone is never suggested again."""

    __tablename__ = "thanks"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    customer_id: Mapped[str] = mapped_column(ForeignKey("customers.id"))
    milestone: Mapped[int] = mapped_column(Integer)
    thanked_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    thanked_by: Mapped[str] = mapped_column(String(100), default="")
    note: Mapped[str] = mapped_column(Text, default="")

    __table_args__ = (UniqueConstraint("customer_id", "milestone", name="uq_thanks_customer_milestone"),)


class Advocate(Base):
    """A customer advocate of one function; `last_mentioned_at` lets the Slack app rotate fairly."""

    __tablename__ = "advocates"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    slack_user_id: Mapped[str] = mapped_column(String(32), unique=True)
    staff_handle: Mapped[str | None] = mapped_column(String(100), nullable=True)
    function: Mapped[str] = mapped_column(String(50), index=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    last_mentioned_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)


class Decision(Base):
    """A decision thread a brief was given for (filled by the Slack app)."""

    __tablename__ = "decisions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    channel: Mapped[str] = mapped_column(String(32))
    thread_ts: Mapped[str] = mapped_column(String(32))
    question: Mapped[str] = mapped_column(Text)
    # [{"id": ..., "title": ..., "score": ...}] as the brief matched them.
    lenses: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    function: Mapped[str | None] = mapped_column(String(50), nullable=True)
    # Slack user ids of the advocates looped in.
    advocates: Mapped[list[str]] = mapped_column(JSON, default=list)
    created_by: Mapped[str | None] = mapped_column(String(32), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)

    concerns: Mapped[list[Concern]] = relationship(back_populates="decision", order_by="Concern.id")

    __table_args__ = (
        Index("ix_decisions_thread", "channel", "thread_ts"),
        Index("ix_decisions_function_created", "function", "created_at"),
    )


class Concern(Base):
    """"This won't work for customers": an advocate's concern raised on a decision."""

    __tablename__ = "concerns"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    decision_id: Mapped[int] = mapped_column(ForeignKey("decisions.id", ondelete="CASCADE"), index=True)
    raised_by: Mapped[str] = mapped_column(String(32))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)

    decision: Mapped[Decision] = relationship(back_populates="concerns")


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
    # outbound.layouts.brief_view.BriefView as JSON.
    view: Mapped[dict[str, Any]] = mapped_column(JSON)
    permalink: Mapped[str | None] = mapped_column(String(500), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)

    __table_args__ = (
        Index("ix_slack_briefs_asked_by_created", "asked_by", "created_at"),
        Index("ix_slack_briefs_thread", "channel", "thread_ts"),
    )


class BriefFeedback(Base):
    """Helpful / not helpful on a brief: one vote per person per brief (a second click changes it).

    `brief_id` is the brief voted on (`slack_briefs.id`); votes cast before briefs were told apart
    (migration 0003) keep it empty when their brief could not be worked out. The decision, channel
    and thread say where the brief was given.
    """

    __tablename__ = "brief_feedback"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    brief_id: Mapped[str | None] = mapped_column(
        ForeignKey("slack_briefs.id", ondelete="SET NULL"), nullable=True
    )
    decision_id: Mapped[int | None] = mapped_column(
        ForeignKey("decisions.id", ondelete="SET NULL"), nullable=True, index=True
    )
    channel: Mapped[str] = mapped_column(String(32), default="")
    thread_ts: Mapped[str] = mapped_column(String(32), default="")
    slack_user_id: Mapped[str] = mapped_column(String(32), default="")
    helpful: Mapped[bool] = mapped_column(Boolean)
    comment: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc, index=True)

    # One vote per person per brief; it also serves look-ups by brief (its first column).
    __table_args__ = (UniqueConstraint("brief_id", "slack_user_id", name="uq_brief_feedback_brief_user"),)


class ProcessedSlackEvent(Base):
    """Slack event ids already handled: Slack retries deliveries, the app must act once."""

    __tablename__ = "slack_events"

    event_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc, index=True)


class AcceptedSlackEvent(Base):
    """An Events API delivery acknowledged to Slack whose work is not finished. Written before the
    acknowledgement and removed when the work ends: Slack never redelivers an acknowledged event, so what a
    crash leaves here is the only trace of the question, and the next start takes it up (bot/inbox.py)."""

    __tablename__ = "slack_inbox"

    event_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    body: Mapped[str] = mapped_column(Text)  # the delivery's JSON, as Slack signed it
    owner: Mapped[str] = mapped_column(String(255))  # "host/boot" of the process handling it
    accepted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc, index=True)
    resumed: Mapped[int] = mapped_column(Integer, default=0)  # times a later start took it up


class DigestDelivery(Base):
    """One digest or reminder to one person for one period: the exactly-once ledger.

    The row (with the exact message) is written before anything is sent; `slack_ts` and `status=sent`
    after Slack accepted it. A claim (`claimed_until`) keeps two schedulers from sending it at once.
    """

    __tablename__ = "digest_deliveries"

    # kind:recipient:period, e.g. "manager:tom.baines:2026-W48".
    key: Mapped[str] = mapped_column(String(300), primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    recipient: Mapped[str] = mapped_column(String(100))
    period: Mapped[str] = mapped_column(String(150))
    status: Mapped[str] = mapped_column(String(10), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    # {"text": fallback, "blocks": [...], "chart_title": ...}: exactly what is sent, fixed at intent.
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    chart_png: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    slack_channel: Mapped[str | None] = mapped_column(String(32), nullable=True)
    slack_ts: Mapped[str | None] = mapped_column(String(32), nullable=True)
    chart_file_id: Mapped[str | None] = mapped_column(String(32), nullable=True)
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    __table_args__ = (Index("ix_digest_deliveries_status_created", "status", "created_at"),)


class ForgottenCustomer(Base):
    """A customer who asked to be forgotten, kept only as a hash of their id (records/forgotten.py):
    ingestion and the customer import skip them."""

    __tablename__ = "forgotten_customers"

    id_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    forgotten_at: Mapped[datetime] = mapped_column(UTCDateTime)


class KnowledgeCollection(Base):
    """Which physical Chroma collection is live for the logical ADVOCATE_COLLECTION name
    (records/collection_pointer.py): `advocate reindex` builds a new one, then moves this row."""

    __tablename__ = "knowledge_collections"

    # ADVOCATE_COLLECTION: the logical name every process is configured with.
    name: Mapped[str] = mapped_column(String(255), primary_key=True)
    # The physical Chroma collection that is live for it.
    live: Mapped[str] = mapped_column(String(255))
    # A collection being built by a reindex (removed by the next run if that one never finished).
    building: Mapped[str | None] = mapped_column(String(255), nullable=True)
    # Former live collections kept with --keep-old, as a JSON list.
    retired: Mapped[str] = mapped_column(Text, default="[]")
    # EMBEDDING_MODEL the live collection was built with, and when it went live (ISO 8601, UTC).
    embedding_model: Mapped[str | None] = mapped_column(Text, nullable=True)
    switched_at: Mapped[str | None] = mapped_column(String(40), nullable=True)
