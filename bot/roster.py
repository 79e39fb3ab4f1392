"""Looping in a customer advocate: who, fairly, and in words that say why.

When a brief is given in a thread and no advocate of the decision's function has taken part, the one
of that function mentioned longest ago (never mentioned first) is looped in and their
`last_mentioned_at` moved on, in one transaction, so two briefs at once pick two different people.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from sqlalchemy import select

from briefs.functions import Function, FunctionGuess
from outbound.text import escape, user_mention
from records.clock import now_utc
from records.database import Records
from records.models import Advocate


@dataclass(frozen=True)
class AdvocateChoice:
    """What the brief says about who should weigh in, and whom (if anyone) to ping."""

    note: str  # mrkdwn for the brief's "Who should weigh in" section
    mention: str | None = None  # the advocate looped in (a Slack user id), pinged in the thread
    present: tuple[str, ...] = ()  # advocates of the function already in the thread
    function: str | None = None


class AdvocateRotation:
    def __init__(self, *, records: Records, functions: list[Function]) -> None:
        # The records database holding the roster (`advocates`).
        self.records = records
        # The organisation's functions (prompts/functions.yaml), for titles.
        self.functions = {f.id: f for f in functions}

    def function_of(self, user_id: str) -> str | None:
        with self.records.session() as session:
            return session.scalar(
                select(Advocate.function).where(Advocate.slack_user_id == user_id, Advocate.active.is_(True))
            )

    def choose(self, guess: FunctionGuess | None, *, participants: Collection[str], exclude: Collection[str] = (),
               can_loop_in: bool = True) -> AdvocateChoice:
        """`can_loop_in=False` (a group DM: nobody outside it can join): say whose view is missing, ping
        nobody, and leave the rotation where it is."""
        if guess is None:
            return AdvocateChoice(note=(
                "No one function is clear from the decision, so no advocate is looped in. "
                "If it belongs to one, ask again naming it (e.g. “billing”, “the app”, “installations”)."
            ))
        function = guess.function
        title = escape(function.title)
        words = ", ".join(f"“{escape(w)}”" for w in guess.words[:4])
        because = f": the decision mentions {words}" if words else ""
        with self.records.session() as session:
            roster = session.scalars(
                select(Advocate).where(Advocate.function == function.id, Advocate.active.is_(True))
                .order_by(Advocate.last_mentioned_at.is_not(None), Advocate.last_mentioned_at, Advocate.id)
                .with_for_update(skip_locked=True)
            ).all()
            present = tuple(a.slack_user_id for a in roster if a.slack_user_id in participants)
            if present:
                who = ", ".join(user_mention(u) for u in present)
                return AdvocateChoice(
                    note=f"This looks like a {title} decision{because}. {who}, the {title} customer advocate, "
                         "is already in this thread.",
                    present=present, function=function.id,
                )
            candidates = [a for a in roster if a.slack_user_id not in exclude]
            if not can_loop_in:
                return AdvocateChoice(
                    note=f"This looks like a {title} decision{because}, and no {title} customer advocate is in "
                         f"this group DM. A group DM can't bring anyone in: ask in a channel to loop in the {title} "
                         "advocate (`/advocate advocates` lists them).",
                    function=function.id,
                )
            if not candidates:
                return AdvocateChoice(
                    note=f"This looks like a {title} decision{because}. No {title} customer advocate is on the "
                         f"roster yet; an admin can add one with `/advocate advocates add @someone {function.id}`.",
                    function=function.id,
                )
            chosen = candidates[0]
            chosen.last_mentioned_at = now_utc()
            return AdvocateChoice(
                note=f"This looks like a {title} decision{because}, and no {title} customer advocate has taken part "
                     f"in this thread yet, so I've looped in {user_mention(chosen.slack_user_id)} "
                     f"(advocates of a function take turns).",
                mention=chosen.slack_user_id, function=function.id,
            )
