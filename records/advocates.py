"""Customer advocates per function, and what the briefings report about their function's decisions."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from records.clock import now_utc
from records.errors import InputError
from records.models import Advocate, BriefFeedback, Decision, Staff

_SLACK_USER = re.compile(r"[UW][A-Z0-9]{2,31}")


@dataclass(frozen=True)
class AdvocateView:
    slack_user_id: str
    function: str
    staff_handle: str | None
    active: bool
    last_mentioned_at: datetime | None

    @classmethod
    def of(cls, row: Advocate) -> AdvocateView:
        return cls(row.slack_user_id, row.function, row.staff_handle, row.active, row.last_mentioned_at)


@dataclass(frozen=True)
class DecisionView:
    id: int
    question: str
    channel: str
    thread_ts: str
    created_at: datetime
    concerns: tuple[tuple[str, str], ...]  # (raised_by Slack id, text)


@dataclass(frozen=True)
class BriefVotes:
    helpful: int
    not_helpful: int


class AdvocateRoster:
    def __init__(self, *, sessions: sessionmaker[Session]) -> None:
        # Transactions on the records database: `with sessions.begin() as session:` commits at the end.
        self.sessions = sessions

    def add(self, *, slack_user_id: str, function: str, staff_handle: str | None = None) -> AdvocateView:
        """Name (or re-activate) an advocate for a function."""
        slack_user_id = slack_user_id.strip()
        if not _SLACK_USER.fullmatch(slack_user_id):
            raise InputError("slack-user", f"{slack_user_id!r} is not a Slack user id (like U012ABCDEF)")
        function = function.strip().lower()
        if not function:
            raise InputError("function", "empty; give the function they advocate in, e.g. service")
        with self.sessions.begin() as session:
            if staff_handle and session.get(Staff, staff_handle) is None:
                raise InputError("handle", f"{staff_handle!r} is not in staff; import staff first or leave it out")
            row = session.scalar(select(Advocate).where(Advocate.slack_user_id == slack_user_id))
            if row is None:
                row = Advocate(slack_user_id=slack_user_id, function=function, staff_handle=staff_handle,
                               active=True, created_at=now_utc())
                session.add(row)
            else:
                row.function, row.active = function, True
                row.staff_handle = staff_handle or row.staff_handle
            session.flush()
            return AdvocateView.of(row)

    def deactivate(self, slack_user_id: str) -> bool:
        with self.sessions.begin() as session:
            row = session.scalar(select(Advocate).where(Advocate.slack_user_id == slack_user_id))
            if row is None or not row.active:
                return False
            row.active = False
            return True

    def active(self) -> list[AdvocateView]:
        with self.sessions.begin() as session:
            rows = session.scalars(
                select(Advocate).where(Advocate.active.is_(True)).order_by(Advocate.function, Advocate.id)
            )
            return [AdvocateView.of(r) for r in rows]

    def resolve(self, who: str) -> AdvocateView | None:
        """An active advocate by Slack user id or staff handle."""
        who = who.strip().lstrip("@")
        with self.sessions.begin() as session:
            row = session.scalar(
                select(Advocate).where(Advocate.active.is_(True))
                .where((Advocate.slack_user_id == who) | (Advocate.staff_handle == who.lower()))
            )
            if row is None:
                staff = session.get(Staff, who.lower())
                if staff and staff.slack_user_id:
                    row = session.scalar(select(Advocate).where(
                        Advocate.active.is_(True), Advocate.slack_user_id == staff.slack_user_id
                    ))
            return AdvocateView.of(row) if row else None

    def decisions(self, *, function: str, since: datetime, limit: int = 10) -> list[DecisionView]:
        """Decisions of a function since a time, newest first, with the concerns raised on them."""
        with self.sessions.begin() as session:
            rows = session.scalars(
                select(Decision)
                .where(Decision.function == function, Decision.created_at >= since)
                .order_by(Decision.created_at.desc())
                .limit(limit)
            )
            return [
                DecisionView(d.id, d.question, d.channel, d.thread_ts, d.created_at,
                             tuple((c.raised_by, c.text) for c in d.concerns))
                for d in rows
            ]

    def brief_votes(self, *, function: str, since: datetime) -> BriefVotes:
        with self.sessions.begin() as session:
            rows = session.execute(
                select(BriefFeedback.helpful, func.count())
                .join(Decision, Decision.id == BriefFeedback.decision_id)
                .where(Decision.function == function, BriefFeedback.created_at >= since)
                .group_by(BriefFeedback.helpful)
            )
            counts = {bool(helpful): int(n) for helpful, n in rows}
        return BriefVotes(helpful=counts.get(True, 0), not_helpful=counts.get(False, 0))
