"""Treasure loyalty: who reaches a tenure milestone, who should thank them, and what they need to know.

A suggested thank-you carries the context a sender needs before picking up the phone: how long the
customer has been with us, their recent feedback (from the knowledge base, by customer id, quoted
with its date) and the promises still open to them. A customer with an open complaint or an overdue
promise is flagged: fix first, thank after.

`Loyalty.lookup` is what `advocate customer` calls.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Protocol

from records.customers import CustomerView
from records.database import Records
from records.due_times import show_due
from records.milestones import Milestone, next_milestone, stream_milestones
from records.promises import PromiseView
from records.staff import OrgChart, SenderPolicy

# Feedback this recent and scored this low is an open complaint.
RECENT_DAYS = 180
COMPLAINT_MAX_SCORE = 6
FEEDBACK_SHOWN = 3


@dataclass(frozen=True)
class FeedbackItem:
    id: str
    date: str
    score: int | None
    channel: str
    text: str

    def as_json(self) -> dict[str, object]:
        return {"id": self.id, "date": self.date, "score": self.score, "channel": self.channel, "text": self.text}


class CustomerFeedback(Protocol):
    """Where a customer's own feedback is found (the knowledge base: knowledge/customer_feedback.py)."""

    def for_customers(self, customer_ids: Sequence[str]) -> dict[str, list[FeedbackItem]]:
        """Each customer's feedback, newest first; customers without any are left out."""
        ...


@dataclass
class ThankYou:
    """A suggested thank-you for one customer's milestone."""

    customer: CustomerView
    milestone: int
    on: date
    sender: str
    sender_name: str
    owner_name: str
    feedback: list[FeedbackItem]
    open_promises: list[PromiseView]
    fix_first: list[str]
    message: str

    def as_json(self) -> dict[str, object]:
        return {
            "customer_id": self.customer.id, "name": self.customer.name, "segment": self.customer.segment,
            "customer_since": self.customer.customer_since.isoformat(), "milestone": self.milestone,
            "on": self.on.isoformat(), "sender": self.sender, "owner": self.customer.owner,
            "fix_first": self.fix_first, "message": self.message,
            "feedback": [f.as_json() for f in self.feedback],
            "open_promises": [p.as_json() for p in self.open_promises],
        }


@dataclass
class CustomerCard:
    """What a frontline person needs to say thanks in a conversation."""

    customer: CustomerView
    tenure_years: int
    tenure_months: int
    next_milestone: Milestone | None
    thanked: list[int]
    owner_name: str
    sender: str
    sender_name: str
    feedback: list[FeedbackItem]
    open_promises: list[PromiseView]
    fix_first: list[str]

    def as_json(self) -> dict[str, object]:
        nxt = self.next_milestone
        return {
            "customer_id": self.customer.id, "name": self.customer.name, "segment": self.customer.segment,
            "customer_since": self.customer.customer_since.isoformat(), "owner": self.customer.owner,
            "tenure": {"years": self.tenure_years, "months": self.tenure_months},
            "next_milestone": {"years": nxt.years, "on": nxt.on.isoformat()} if nxt else None,
            "thanked_milestones": self.thanked, "thank_sender": self.sender, "fix_first": self.fix_first,
            "feedback": [f.as_json() for f in self.feedback],
            "open_promises": [p.as_json() for p in self.open_promises],
        }


@dataclass
class CustomerLookup:
    card: CustomerCard | None
    candidates: list[CustomerView] = field(default_factory=list)

    @property
    def message(self) -> str:
        if self.card:
            return ""
        if not self.candidates:
            return "no customer matches; give the customer id (like C00105) or the start of their name"
        return f"{len(self.candidates)} customers match; give the id of the one you mean"


def tenure(since: date, today: date) -> tuple[int, int]:
    months = (today.year - since.year) * 12 + today.month - since.month - (1 if today.day < since.day else 0)
    months = max(months, 0)
    return months // 12, months % 12


class Loyalty:
    def __init__(
        self,
        *,
        records: Records,
        feedback: CustomerFeedback,
        milestone_years: Sequence[int],
        sender_policy: SenderPolicy,
        recent_days: int = RECENT_DAYS,
    ) -> None:
        # Customers, staff, promises and thank-yous.
        self.records = records
        # Each customer's own feedback from the knowledge base.
        self.feedback = feedback
        # Tenure milestones in years (MILESTONE_YEARS).
        self.milestone_years = tuple(milestone_years)
        # Who thanks whom (THANKS_SENDER_* settings).
        self.sender_policy = sender_policy
        # How far back feedback counts as recent (for "fix first").
        self.recent_days = recent_days

    # -- thank-yous due -------------------------------------------------------------------------------
    def thanks_due(
        self,
        *,
        today: date,
        days: int,
        sender: str | None = None,
        chart: OrgChart | None = None,
        now: datetime | None = None,
        limit: int | None = None,
    ) -> list[ThankYou]:
        """Milestones in [today, today+days] not yet thanked, with suggestions; only `sender`'s if given."""
        chart = chart or self.records.staff.chart()
        milestones = self.due_milestones(today=today, days=days, sender=sender, chart=chart)
        if limit is not None:
            milestones = milestones[:limit]
        return self.suggestions(milestones, chart=chart, today=today, now=now)

    def due_milestones(
        self, *, today: date, days: int, sender: str | None = None, chart: OrgChart | None = None
    ) -> list[Milestone]:
        """The milestones behind `thanks_due`, soonest first, without the suggestions' lookups: counting
        them is cheap, so a view can say how many there are and suggest only the first few."""
        chart = chart or self.records.staff.chart()
        end = today + timedelta(days=days)
        milestones: list[Milestone] = []
        with self.records.session() as session:
            if sender is None:
                milestones = list(stream_milestones(session, start=today, end=end, years=self.milestone_years))
            else:
                owners = self.sender_policy.owners_for(chart, sender)
                if owners:
                    milestones += stream_milestones(
                        session, start=today, end=end, years=self.milestone_years, owners=owners,
                        exclude_segments=list(self.sender_policy.by_segment),
                    )
                segments = self.sender_policy.segments_for(sender)
                if segments:
                    milestones += stream_milestones(
                        session, start=today, end=end, years=self.milestone_years, segments=segments
                    )
                milestones.sort(key=lambda m: (m.on, -m.years, m.customer.id))
        thanked = self.records.thanks.thanked([m.customer.id for m in milestones])
        return [m for m in milestones if (m.customer.id, m.years) not in thanked]

    def suggestions(
        self, milestones: Sequence[Milestone], *, chart: OrgChart, today: date, now: datetime | None = None
    ) -> list[ThankYou]:
        now = now or datetime.combine(today, datetime.min.time()).astimezone(self.records.timezone)
        ids = [m.customer.id for m in milestones]
        feedback = self.feedback.for_customers(ids) if ids else {}
        promises = self.records.promises.open_for_customers(ids) if ids else {}
        result = []
        for m in milestones:
            sender = self.sender_policy.sender(chart, owner=m.customer.owner, segment=m.customer.segment)
            items = feedback.get(m.customer.id, [])
            open_promises = promises.get(m.customer.id, [])
            reasons = self.fix_first(items, open_promises, today=today, now=now)
            result.append(ThankYou(
                customer=m.customer, milestone=m.years, on=m.on, sender=sender, sender_name=chart.name(sender),
                owner_name=chart.name(m.customer.owner), feedback=items[:FEEDBACK_SHOWN],
                open_promises=open_promises, fix_first=reasons,
                message=suggested_message(m, sender_name=chart.name(sender), fix_first=bool(reasons)),
            ))
        return result

    def fix_first(
        self, feedback: Sequence[FeedbackItem], promises: Sequence[PromiseView], *, today: date, now: datetime
    ) -> list[str]:
        reasons: list[str] = []
        recent_from = (today - timedelta(days=self.recent_days)).isoformat()
        latest = next((f for f in feedback if f.date), None)
        if latest and latest.date >= recent_from and latest.score is not None and latest.score <= COMPLAINT_MAX_SCORE:
            reasons.append(f"open complaint: scored {latest.score} on {latest.date}")
        for promise in promises:
            if promise.overdue(now):
                due = show_due(promise.due_at, promise.due_tz, self.records.timezone)
                reasons.append(f"overdue promise {promise.id} (due {due})")
        return reasons

    # -- one customer -----------------------------------------------------------------------------------
    def lookup(self, query: str, *, today: date, now: datetime | None = None) -> CustomerLookup:
        matches = self.records.customers.find(query)
        if len(matches) != 1:
            return CustomerLookup(card=None, candidates=matches)
        return CustomerLookup(card=self.card(matches[0], today=today, now=now))

    def card(self, customer: CustomerView, *, today: date, now: datetime | None = None) -> CustomerCard:
        now = now or datetime.combine(today, datetime.min.time()).astimezone(self.records.timezone)
        chart = self.records.staff.chart()
        years, months = tenure(customer.customer_since, today)
        nxt = next_milestone(customer.customer_since, today, self.milestone_years)
        if nxt is not None:
            nxt = Milestone(customer, nxt.years, nxt.on)
        feedback = self.feedback.for_customers([customer.id]).get(customer.id, [])
        promises = self.records.promises.open_for_customers([customer.id]).get(customer.id, [])
        sender = self.sender_policy.sender(chart, owner=customer.owner, segment=customer.segment)
        return CustomerCard(
            customer=customer, tenure_years=years, tenure_months=months, next_milestone=nxt,
            thanked=[t.milestone for t in self.records.thanks.for_customer(customer.id)],
            owner_name=chart.name(customer.owner), sender=sender, sender_name=chart.name(sender),
            feedback=feedback[:FEEDBACK_SHOWN], open_promises=promises,
            fix_first=self.fix_first(feedback, promises, today=today, now=now),
        )


def suggested_message(milestone: Milestone, *, sender_name: str, fix_first: bool) -> str:
    """A short thank-you in the sender's voice, to adapt rather than paste."""
    first = milestone.customer.name.split()[0] if milestone.customer.segment == "household" else milestone.customer.name
    years = f"{milestone.years} year" + ("s" if milestone.years != 1 else "")
    text = (
        f"Hello {first}, on {milestone.on:%-d %B} it will be {years} since you joined us "
        f"(you have been with us since {milestone.customer.customer_since:%B %Y}). "
        "Thank you for staying with us all this time. If there is anything we could do better for you, "
        f"I would like to hear it from you directly. — {sender_name}"
    )
    if fix_first:
        return "Fix first, thank after: resolve what is open with this customer, then: " + text
    return text
