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
from records.due_times import show_due_in
from records.milestones import MAX_WINDOW_DAYS, Milestone, next_milestone, stream_milestones
from records.promises import PromiseView
from records.score_bands import DEFAULT_BANDS, ScoreBands
from records.staff import OrgChart
from records.thanks_message import (
    FeedbackItem,
    ThanksContext,
    gist,
    recent_complaint,
    shown_date,
    suggested_message,
)
from records.thanks_rule import Assignment, ThanksRule

# Feedback this recent counts for "fix first" (records/thanks_message.py: how low is a complaint).
RECENT_DAYS = 180
FEEDBACK_SHOWN = 3


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
    role: str = "owner"  # the role the milestone's tier names (THANKS_TIERS)
    rolled_over: bool = False  # that role's person had reached their weekly cap: the owner thanks instead

    def as_json(self) -> dict[str, object]:
        return {
            "customer_id": self.customer.id, "name": self.customer.name, "segment": self.customer.segment,
            "customer_since": self.customer.customer_since.isoformat(), "milestone": self.milestone,
            "on": self.on.isoformat(), "sender": self.sender, "owner": self.customer.owner,
            "tier_role": self.role, "rolled_over": self.rolled_over,
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
        rule: ThanksRule,
        recent_days: int = RECENT_DAYS,
        bands: ScoreBands = DEFAULT_BANDS,
    ) -> None:
        # Customers, staff, promises and thank-yous.
        self.records = records
        # Each customer's own feedback from the knowledge base.
        self.feedback = feedback
        # Tenure milestones in years (MILESTONE_YEARS).
        self.milestone_years = tuple(milestone_years)
        # Who thanks whom: tiers, weekly caps, segment and default senders (THANKS_* settings).
        self.rule = rule
        # How far back feedback counts as recent (for "fix first").
        self.recent_days = recent_days
        # Which scores are complaints to put right first and which are praise to thank for (FEEDBACK_SCORE_BANDS).
        self.bands = bands

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
    ) -> list[Assignment]:
        """The milestones behind `thanks_due` with who thanks each, soonest first, without the suggestions'
        lookups: counting them is cheap, so a view can say how many there are and suggest only the first few."""
        chart = chart or self.records.staff.chart()
        end = today + timedelta(days=days)
        # Caps are per ISO week: the rule sees whole weeks, so a week's answer does not shift as its days pass.
        first = today - timedelta(days=today.weekday())
        last = end + timedelta(days=6 - end.weekday())
        scope = self.rule.scope(chart, sender) if sender is not None else None
        assigned = self._assigned(chart, first=first, last=last, scope=scope)
        assigned = [a for a in assigned if today <= a.milestone.on <= end and (sender is None or a.sender == sender)]
        thanked = self.records.thanks.thanked(sorted({a.milestone.customer.id for a in assigned}))
        return [a for a in assigned if (a.milestone.customer.id, a.milestone.years) not in thanked]

    def _assigned(
        self, chart: OrgChart, *, first: date, last: date, scope: tuple[set[str], set[str]] | None
    ) -> list[Assignment]:
        """Every milestone in [first, last] of the scope's owners and segments (everyone's: None) with its
        sender. Kept on the chart: a digest run asks this for every manager of a department, one scan serves."""
        key = ("thanks_assigned", first, last, self.milestone_years, self.rule.key,
               None if scope is None else (frozenset(scope[0]), frozenset(scope[1])))
        cached = chart.memo.get(key)
        if cached is not None:
            return cached  # type: ignore[return-value]
        queries: list[dict[str, object]] = [{}]
        if scope is not None:
            owners, segments = scope
            queries = [{"owners": owners}] + ([{"segments": segments}] if segments else [])
        found: dict[tuple[str, int], Milestone] = {}
        with self.records.session() as session:
            for query in queries:
                chunk = first
                while chunk <= last:
                    chunk_end = min(last, chunk + timedelta(days=MAX_WINDOW_DAYS - 1))
                    for m in stream_milestones(session, start=chunk, end=chunk_end, years=self.milestone_years,
                                               **query):  # type: ignore[arg-type]
                        found[(m.customer.id, m.years)] = m
                    chunk = chunk_end + timedelta(days=1)
        assigned = self.rule.assign(found.values(), chart)
        chart.memo[key] = assigned
        return assigned

    def suggestions(
        self, assigned: Sequence[Assignment], *, chart: OrgChart, today: date, now: datetime | None = None
    ) -> list[ThankYou]:
        now = now or datetime.combine(today, datetime.min.time()).astimezone(self.records.timezone)
        ids = [a.milestone.customer.id for a in assigned]
        feedback = self.feedback.for_customers(ids) if ids else {}
        promises = self.records.promises.open_for_customers(ids) if ids else {}
        result = []
        for a in assigned:
            m = a.milestone
            items = feedback.get(m.customer.id, [])
            open_promises = promises.get(m.customer.id, [])
            reasons = self.fix_first(items, open_promises, today=today, now=now)
            context = ThanksContext(milestone=m, sender_name=chart.name(a.sender), feedback=items,
                                    open_promises=open_promises, today=today,
                                    recent_days=self.recent_days, timezone=self.records.timezone, now=now,
                                    bands=self.bands)
            result.append(ThankYou(
                customer=m.customer, milestone=m.years, on=m.on, sender=a.sender, sender_name=chart.name(a.sender),
                owner_name=chart.name(m.customer.owner), feedback=items[:FEEDBACK_SHOWN],
                open_promises=open_promises, fix_first=reasons, message=suggested_message(context),
                role=a.role, rolled_over=a.rolled_over,
            ))
        return result

    def fix_first(
        self, feedback: Sequence[FeedbackItem], promises: Sequence[PromiseView], *, today: date, now: datetime
    ) -> list[str]:
        """What to put right before thanking, each named: a recent low score, an overdue promise."""
        reasons: list[str] = []
        complaint = recent_complaint(feedback, today=today, recent_days=self.recent_days, bands=self.bands)
        if complaint is not None:
            reasons.append(f"put right their complaint of {shown_date(complaint.date, year=True)} "
                           f"(scored {complaint.score}/10: "
                           f"\u201c{gist(complaint.text)}\u201d)")
        for promise in promises:
            if promise.overdue(now):
                # In the organisation's zone, labelled: the reason is plain text, the same in Slack and the
                # CLI, and that zone is the one `thanks due` and the digest's fallback texts read in.
                due = show_due_in(promise.due_at, self.records.timezone)
                reasons.append(f"keep overdue promise {promise.id} \u201c{gist(promise.text)}\u201d (due {due}), "
                               "or reschedule it with them")
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
        sender = self.rule.sender(chart, owner=customer.owner, segment=customer.segment,
                                  years=nxt.years if nxt else max(years, 1))
        return CustomerCard(
            customer=customer, tenure_years=years, tenure_months=months, next_milestone=nxt,
            thanked=[t.milestone for t in self.records.thanks.for_customer(customer.id)],
            owner_name=chart.name(customer.owner), sender=sender, sender_name=chart.name(sender),
            feedback=feedback[:FEEDBACK_SHOWN], open_promises=promises,
            fix_first=self.fix_first(feedback, promises, today=today, now=now),
        )
