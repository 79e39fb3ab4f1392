"""What the Slack app records: briefs it delivered, the decisions they belong to, concerns, feedback,
the Slack event ids it has acted on (so a redelivered event never gets a second answer), and the events
acknowledged but not yet handled to the end (the inbox, so a crash loses no question).

The tables are the records' own (`records.models`): `decisions`, `concerns`, `slack_events`, `slack_inbox`,
`slack_briefs` (each brief as delivered, so the "Full brief" button, App Home and thread follow-ups
find it again after a restart) and `brief_feedback` (one vote per person per brief).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from records.clock import now_utc
from records.models import (
    AcceptedSlackEvent,
    BriefFeedback,
    Concern,
    Decision,
    ProcessedSlackEvent,
    SlackBrief,
)

MAX_CONCERN_CHARS = 3000
# Claim key prefix for "one brief per reacted message" (bot/events/reactions.py).
REACTION_CLAIM = "reaction:"


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


@dataclass(frozen=True)
class InboxEvent:
    """An acknowledged event whose work had not finished when its process stopped."""

    event_id: str
    body: str
    owner: str
    accepted_at: datetime
    resumed: int


class SlackLedger:
    def __init__(self, *, sessions: sessionmaker[Session]) -> None:
        # Transactions on the records database: `with sessions.begin() as session:` commits at the end.
        self.sessions = sessions

    # -- redelivered events ------------------------------------------------------------------------
    def claim_event(self, event_id: str, *, resuming_since: datetime | None = None) -> bool:
        """True the first time an event id is seen; False for a redelivery (also after a restart).

        `resuming_since`: the work is an inbox event taken up again, accepted then. A claim made since was
        made by that same work before its process stopped, so it is this work's own: True."""
        try:
            with self.sessions.begin() as session:
                session.add(ProcessedSlackEvent(event_id=event_id[:64]))
        except IntegrityError:
            if resuming_since is None:
                return False
            with self.sessions.begin() as session:
                claimed = session.get(ProcessedSlackEvent, event_id[:64])
                return claimed is not None and claimed.received_at >= resuming_since
        return True

    # -- the inbox: acknowledged events not yet handled to the end ------------------------------------------
    def accept_event(self, event_id: str, *, body: str, owner: str) -> datetime | None:
        """Record an event before Slack hears it was received; when it was accepted, or None when it is
        in the inbox already (a redelivery while the first delivery is still being handled)."""
        return self.accept_events([(event_id, body)], owner=owner)[0]

    def accept_events(self, events: Sequence[tuple[str, str]], *, owner: str) -> list[datetime | None]:
        """`accept_event` for several (event id, body) pairs in one transaction (one commit, two statements
        for a burst); for each, when it was accepted or None."""
        accepted_at = now_utc()
        keys = [event_id[:64] for event_id, _ in events]
        with self.sessions.begin() as session:
            waiting = set(session.scalars(select(AcceptedSlackEvent.event_id)
                                          .where(AcceptedSlackEvent.event_id.in_(set(keys)))))
            new: dict[str, str] = {}
            for key, (_, body) in zip(keys, events, strict=True):
                if key not in waiting and key not in new:
                    new[key] = body
            if new:
                insert = postgresql_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
                rows = [dict(event_id=key, body=body, owner=owner, accepted_at=accepted_at, resumed=0)
                        for key, body in new.items()]
                result = session.execute(insert(AcceptedSlackEvent).on_conflict_do_nothing(), rows)
                if getattr(result, "rowcount", len(rows)) != len(rows):  # another process raced: which ones?
                    mine = set(session.scalars(select(AcceptedSlackEvent.event_id).where(
                        AcceptedSlackEvent.event_id.in_(new), AcceptedSlackEvent.owner == owner,
                        AcceptedSlackEvent.accepted_at == accepted_at)))
                    new = {key: body for key, body in new.items() if key in mine}
        results: list[datetime | None] = []
        for key in keys:  # the first delivery of an id in the burst is accepted, a second one is not
            results.append(accepted_at if new.pop(key, None) is not None else None)
        return results

    def finish_event(self, event_id: str) -> None:
        """The event's work has ended (answered, refused or failed with its own message): out of the inbox."""
        with self.sessions.begin() as session:
            session.execute(delete(AcceptedSlackEvent).where(AcceptedSlackEvent.event_id == event_id[:64]))

    def unfinished_events(self, *, owners_like: str, stale_before: datetime) -> list[InboxEvent]:
        """Inbox events of owners matching `owners_like` (a LIKE pattern, `\\` escaping), and any accepted before
        `stale_before` whoever took them, oldest first."""
        with self.sessions.begin() as session:
            rows = session.scalars(
                select(AcceptedSlackEvent)
                .where(AcceptedSlackEvent.owner.like(owners_like, escape="\\")
                       | (AcceptedSlackEvent.accepted_at < stale_before))
                .order_by(AcceptedSlackEvent.accepted_at)
            ).all()
            return [InboxEvent(event_id=r.event_id, body=r.body, owner=r.owner, accepted_at=r.accepted_at,
                               resumed=r.resumed) for r in rows]

    def take_event(self, event: InboxEvent, *, owner: str) -> bool:
        """Take an unfinished event over from its previous owner; False when another process took it first."""
        with self.sessions.begin() as session:
            result = session.execute(
                update(AcceptedSlackEvent)
                .where(AcceptedSlackEvent.event_id == event.event_id, AcceptedSlackEvent.owner == event.owner,
                       AcceptedSlackEvent.resumed == event.resumed)
                .values(owner=owner, resumed=event.resumed + 1)
            )
            return int(getattr(result, "rowcount", 0) or 0) == 1

    def forget_events(self, *, older_than: timedelta, keep_prefixes: tuple[str, ...] = (REACTION_CLAIM,)) -> int:
        """Slack redelivers for minutes, not days: old ids only take room. Claims that stand for good
        (one brief per reacted message) are kept."""
        with self.sessions.begin() as session:
            query = delete(ProcessedSlackEvent).where(ProcessedSlackEvent.received_at < now_utc() - older_than)
            for prefix in keep_prefixes:
                query = query.where(ProcessedSlackEvent.event_id.not_like(f"{prefix}%"))
            result = session.execute(query)
            return int(getattr(result, "rowcount", 0) or 0)

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
        with self.sessions.begin() as session:
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

    def set_message_ts(self, brief_id: str, message_ts: str) -> None:
        """The message holding the brief, once posted (when there was no placeholder to replace)."""
        with self.sessions.begin() as session:
            row = session.get(SlackBrief, brief_id)
            if row is not None:
                row.message_ts = message_ts

    def discard_brief(self, brief_id: str) -> None:
        """Forget a brief that was never shown (its delivery failed), and its decision if nothing else
        is on it: no record of a brief nobody saw, no decision without a brief."""
        with self.sessions.begin() as session:
            row = session.get(SlackBrief, brief_id)
            if row is None:
                return
            decision_id = row.decision_id
            session.execute(delete(BriefFeedback).where(BriefFeedback.brief_id == brief_id))
            session.delete(row)
            session.flush()
            if decision_id is None:
                return
            others = session.scalar(select(func.count()).select_from(SlackBrief)
                                    .where(SlackBrief.decision_id == decision_id))
            concerns = session.scalar(select(func.count()).select_from(Concern)
                                      .where(Concern.decision_id == decision_id))
            votes = session.scalar(select(func.count()).select_from(BriefFeedback)
                                   .where(BriefFeedback.decision_id == decision_id))
            if not (others or concerns or votes):
                session.execute(delete(Decision).where(Decision.id == decision_id))

    def set_permalink(self, brief_id: str, permalink: str) -> None:
        with self.sessions.begin() as session:
            row = session.get(SlackBrief, brief_id)
            if row is not None:
                row.permalink = permalink

    def brief(self, brief_id: str) -> DeliveredBrief | None:
        with self.sessions.begin() as session:
            row = session.get(SlackBrief, brief_id)
            return DeliveredBrief.of(row) if row else None

    def answered_thread(self, channel: str, thread_ts: str) -> bool:
        """Has a brief been given in this thread (so follow-up questions there are for us)?"""
        with self.sessions.begin() as session:
            found = session.scalars(
                select(SlackBrief.id).where(SlackBrief.channel == channel, SlackBrief.thread_ts == thread_ts).limit(1)
            ).first()
            return found is not None

    def recent_briefs(self, asked_by: str, *, limit: int = 5) -> list[DeliveredBrief]:
        with self.sessions.begin() as session:
            rows = session.scalars(
                select(SlackBrief).where(SlackBrief.asked_by == asked_by)
                .order_by(SlackBrief.created_at.desc()).limit(limit)
            ).all()
            return [DeliveredBrief.of(r) for r in rows]

    def record_feedback(self, brief_id: str, *, user: str, helpful: bool) -> bool:
        """One vote per person per brief: a second click changes it. False for an unknown brief.

        Another brief in the same thread has votes of its own.
        """
        for attempt in range(2):
            try:
                with self.sessions.begin() as session:
                    brief = session.get(SlackBrief, brief_id)
                    if brief is None:
                        return False
                    vote = session.scalars(select(BriefFeedback).where(
                        BriefFeedback.brief_id == brief.id, BriefFeedback.slack_user_id == user)).first()
                    if vote is None:
                        session.add(BriefFeedback(
                            brief_id=brief.id, decision_id=brief.decision_id, channel=brief.channel,
                            thread_ts=brief.thread_ts, slack_user_id=user, helpful=helpful,
                        ))
                    else:
                        # The vote as it stands now, cast now (weekly briefings count votes by when).
                        vote.helpful, vote.created_at = helpful, now_utc()
                    return True
            except IntegrityError:  # a double click raced this one to the first vote: change that one
                if attempt:
                    raise
        raise AssertionError("unreachable")

    def votes(self, brief_id: str) -> dict[str, bool]:
        """Each person's vote on a brief: Slack user id → helpful."""
        with self.sessions.begin() as session:
            return {user: bool(helpful) for user, helpful in session.execute(
                select(BriefFeedback.slack_user_id, BriefFeedback.helpful).where(BriefFeedback.brief_id == brief_id))}

    def record_concern(self, brief_id: str, *, user: str, text: str) -> DeliveredBrief:
        text = text.strip()
        if not text:
            raise ValueError("say what will not work for customers")
        if len(text) > MAX_CONCERN_CHARS:
            raise ValueError(f"keep the concern under {MAX_CONCERN_CHARS:,} characters")
        with self.sessions.begin() as session:
            brief = session.get(SlackBrief, brief_id)
            if brief is None or brief.decision_id is None:
                raise LookupError("that brief is no longer on record; ask again to get a new one")
            session.add(Concern(decision_id=brief.decision_id, raised_by=user, text=text))
            decision = session.get(Decision, brief.decision_id)
            if decision is not None:
                decision.advocates = sorted(set(decision.advocates or []) | {user})
            return DeliveredBrief.of(brief)

    def decisions(self, *, limit: int = 20, channel: str | None = None) -> list[DecisionSummary]:
        with self.sessions.begin() as session:
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
