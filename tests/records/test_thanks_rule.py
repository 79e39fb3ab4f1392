"""Who thanks: milestone tiers name a role in the owner's chain; weekly caps per person, longest tenure first,
the rest rolling to the owner. Pure rule tests on a small org chart."""

from __future__ import annotations

from datetime import date

from records.customers import CustomerView
from records.milestones import Milestone
from records.staff import OrgChart, StaffView
from records.thanks_rule import ThanksRule


def person(handle: str, manager: str | None = None) -> StaffView:
    return StaffView(handle, handle.title(), "service", manager, None, None)


# director ← senior ← lead ← owner (and owner2 under the same lead); solo has no manager.
CHART = OrgChart({p.handle: p for p in [
    person("director"), person("senior", "director"), person("lead", "senior"), person("owner", "lead"),
    person("owner2", "lead"), person("solo"),
]})


def milestone(number: int, years: int, on: date, *, owner: str = "owner", segment: str = "household") -> Milestone:
    customer = CustomerView(f"C{number:05d}", f"Customer {number}", date(on.year - years, on.month, on.day),
                            owner, segment, None)
    return Milestone(customer, years, on)


def test_each_tier_names_its_role_in_the_owners_chain() -> None:
    rule = ThanksRule()
    on = date(2026, 12, 8)
    senders = {a.milestone.years: a.sender for a in rule.assign(
        [milestone(i, years, on) for i, years in enumerate([1, 3, 5, 9, 10, 19, 20, 25])], CHART)}
    assert senders == {1: "owner", 3: "owner", 5: "lead", 9: "lead", 10: "senior", 19: "senior", 20: "director",
                       25: "director"}
    # A short chain: its top stands in for the roles above it; no chain at all: the owner thanks.
    assert rule.sender(CHART, owner="lead", segment="", years=20) == "director"
    assert rule.sender(CHART, owner="solo", segment="", years=20) == "solo"
    assert ThanksRule(default="director").sender(CHART, owner="solo", segment="", years=20) == "director"


def test_weekly_cap_keeps_the_longest_tenure_and_rolls_the_rest_to_the_owner() -> None:
    rule = ThanksRule(weekly_caps={"director": 2})
    monday, sunday, next_monday = date(2026, 12, 7), date(2026, 12, 13), date(2026, 12, 14)
    week = [milestone(1, 20, monday), milestone(2, 25, sunday), milestone(3, 21, monday, owner="owner2"),
            milestone(4, 30, date(2026, 12, 9))]
    later = [milestone(5, 20, next_monday)]
    assigned = {a.milestone.customer.id: a for a in rule.assign(week + later, CHART)}
    assert {c for c, a in assigned.items() if a.sender == "director"} == {"C00004", "C00002", "C00005"}
    rolled = assigned["C00003"]
    assert rolled.rolled_over and rolled.sender == "owner2" and rolled.role == "director"
    assert assigned["C00001"].sender == "owner"  # 20 years: the shortest tenure of the week rolls
    # Soonest first, whatever order they came in.
    assert [a.milestone.on for a in rule.assign(week + later, CHART)] == sorted(m.on for m in week + later)


def test_one_person_in_several_roles_counts_them_together() -> None:
    # "senior" is senior manager to owner's customers and team lead to lead's own customers.
    rule = ThanksRule(weekly_caps={"team_lead": 3, "senior_manager": 1})
    on = date(2026, 12, 8)
    items = [milestone(1, 15, on), milestone(2, 6, on, owner="lead"), milestone(3, 5, on, owner="lead"),
             milestone(4, 12, on)]
    assigned = {a.milestone.customer.id: a.sender for a in rule.assign(items, CHART)}
    # 15 y (senior manager, count 0 < 1) is theirs; 12 y (count 1, cap 1) rolls; then the team-lead ones fit under 3.
    assert assigned == {"C00001": "senior", "C00004": "owner", "C00002": "senior", "C00003": "senior"}


def test_a_segment_sender_stands_in_above_the_owner_and_is_capped_too() -> None:
    rule = ThanksRule(by_segment={"priority": "director"}, weekly_caps={"team_lead": 1})
    on = date(2026, 12, 8)
    items = [milestone(1, 1, on, segment="priority"), milestone(2, 6, on, segment="priority"),
             milestone(3, 7, on, segment="priority")]
    assigned = {a.milestone.customer.id: (a.sender, a.rolled_over) for a in rule.assign(items, CHART)}
    assert assigned == {"C00001": ("owner", False), "C00003": ("director", False), "C00002": ("owner", True)}


def test_the_rule_in_one_line() -> None:
    line = ThanksRule().describe()
    assert line == ("Who thanks: owner 1–4 years · team lead 5–9 · senior manager 10–19 · director 20+; at most "
                    "team lead 5, senior manager 3, director 2 a week per person, longest tenure first, the rest "
                    "to the owner.")
    assert ThanksRule(tiers=((1, "owner"), (10, "director")), weekly_caps={}).describe() == (
        "Who thanks: owner 1–9 years · director 10+.")
