"""Who thanks a long-standing customer: milestone tiers, each naming a role, and a weekly cap per person.

A milestone of N years falls in the highest tier that starts at or below N (THANKS_TIERS, default
1=owner, 5=team_lead, 10=senior_manager, 20=director). The role is a place in the owner's manager
chain: the team lead is the owner's manager, the senior manager two levels up, the director three —
the top of a shorter chain stands in. A per-segment sender (THANKS_SENDER_BY_SEGMENT) stands in for
every role above the owner for that segment's customers; an owner with no manager chain has
THANKS_DEFAULT_SENDER, if set, in every role above them.

A personal thank-you from a senior person means something only if it is rare: each person thanks at
most THANKS_WEEKLY_CAPS of a role's milestones in one ISO week (the week of the anniversary), longest
tenure first; the rest roll to the customer's owner. A person holding several roles in a week (a head
of service is senior manager to some owners and director to others) counts them together: a milestone
is theirs while their count that week is below its role's cap. Thanked milestones count too, so marking
one thanked never moves another customer from the owner back to the manager.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from records.milestones import Milestone
from records.staff import OrgChart

ROLES: tuple[str, ...] = ("owner", "team_lead", "senior_manager", "director")
# Levels above the owner: the person in that place of the owner's manager chain.
ROLE_LEVELS: dict[str, int] = {"owner": 0, "team_lead": 1, "senior_manager": 2, "director": 3}
DEFAULT_TIERS: tuple[tuple[int, str], ...] = ((1, "owner"), (5, "team_lead"), (10, "senior_manager"), (20, "director"))
DEFAULT_CAPS: dict[str, int] = {"team_lead": 5, "senior_manager": 3, "director": 2}


@dataclass(frozen=True)
class Assignment:
    """A milestone and who thanks it."""

    milestone: Milestone
    sender: str
    role: str  # the role its tier names
    rolled_over: bool = False  # that person's weekly cap was reached: the owner thanks instead


@dataclass(frozen=True)
class ThanksRule:
    # (from years, role), ascending: a milestone takes the last tier it reaches.
    tiers: tuple[tuple[int, str], ...] = DEFAULT_TIERS
    # Role → most milestones one person thanks in that role in one week; a role left out has no cap.
    weekly_caps: Mapping[str, int] = field(default_factory=lambda: dict(DEFAULT_CAPS))
    # Segment → the staff handle who stands in for every role above the owner.
    by_segment: Mapping[str, str] = field(default_factory=dict)
    # Stands in above an owner with no manager chain; empty: the owner themselves.
    default: str = ""

    @property
    def key(self) -> tuple[object, ...]:
        """Equal for equal rules (the mappings make the rule itself unhashable)."""
        return (tuple(sorted(self.tiers)), tuple(sorted(self.weekly_caps.items())),
                tuple(sorted(self.by_segment.items())), self.default)

    def role_for(self, years: int) -> str:
        role = "owner"
        for start, name in sorted(self.tiers):
            if years >= start:
                role = name
        return role

    def person(self, chart: OrgChart, *, owner: str, segment: str, role: str) -> str:
        """Who holds `role` for a customer of `owner` in `segment`."""
        if role == "owner":
            return owner
        if segment in self.by_segment:
            return self.by_segment[segment]
        chain = chart.chain(owner)
        if not chain:
            return self.default or owner
        return chain[min(ROLE_LEVELS[role], len(chain)) - 1]

    def sender(self, chart: OrgChart, *, owner: str, segment: str, years: int) -> str:
        """Who the tier names, before any cap (the customer card's "who thanks them")."""
        return self.person(chart, owner=owner, segment=segment, role=self.role_for(years))

    def assign(self, milestones: Iterable[Milestone], chart: OrgChart) -> list[Assignment]:
        """Everyone's sender, caps applied per person and ISO week, longest tenure first; soonest first."""
        ordered = sorted(milestones, key=lambda m: (-m.years, m.on, m.customer.id))
        counts: dict[tuple[str, int, int], int] = {}
        result: list[Assignment] = []
        for m in ordered:
            owner = m.customer.owner
            role = self.role_for(m.years)
            person = self.person(chart, owner=owner, segment=m.customer.segment, role=role)
            cap = self.weekly_caps.get(role)
            if person == owner or cap is None:
                result.append(Assignment(m, person, role))
                continue
            year, week, _ = m.on.isocalendar()
            key = (person, year, week)
            if counts.get(key, 0) < cap:
                counts[key] = counts.get(key, 0) + 1
                result.append(Assignment(m, person, role))
            else:
                result.append(Assignment(m, owner, role, rolled_over=True))
        result.sort(key=lambda a: (a.milestone.on, -a.milestone.years, a.milestone.customer.id))
        return result

    def scope(self, chart: OrgChart, sender: str) -> tuple[set[str], set[str]]:
        """The owners and segments whose milestones decide `sender`'s list: the whole tree above and below
        them (their managers' caps), and the trees of every segment and default sender (theirs too)."""
        people = {sender, *self.by_segment.values(), *([self.default] if self.default else [])}
        owners: set[str] = set()
        for person in people:
            chain = chart.chain(person)
            owners.update(chart.team(chain[-1] if chain else person))
        if self.default:  # the default sender stands in above every owner without a manager
            owners.update(h for h, p in chart.people.items() if not p.manager)
        return owners, set(self.by_segment)

    def describe(self) -> str:
        """The rule in one line, for the digest and `thanks due`."""
        tiers = sorted(self.tiers)
        parts = []
        for index, (start, role) in enumerate(tiers):
            end = tiers[index + 1][0] - 1 if index + 1 < len(tiers) else None
            years = f"{start}+" if end is None else (f"{start}" if end == start else f"{start}\u2013{end}")
            parts.append(f"{_label(role)} {years}" + (" years" if index == 0 else ""))
        text = "Who thanks: " + " \u00b7 ".join(parts)
        named = {role for _, role in tiers}
        caps = [f"{_label(role)} {n}" for role, n in self.weekly_caps.items() if role in named]
        if caps:
            text += ("; at most " + ", ".join(caps) + " a week per person, longest tenure first, "
                     "the rest to the owner")
        return text + "."


def _label(role: str) -> str:
    return role.replace("_", " ")
