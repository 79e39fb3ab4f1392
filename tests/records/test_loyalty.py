"""Thank-yous: who, with what context, fix first when something is open, never twice; the customer card."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from advocate.services import Services
from outbound.layouts.thank_yous import thank_you_text
from records import InputError
from tests.conftest import SAMPLE_PACK
from tests.records.conftest import write_csv

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
TODAY = date(2026, 11, 23)


@pytest.fixture
def loyal(records_services: Services, tmp_path: Path) -> Services:
    records = records_services.records
    records.staff.import_csv(SAMPLE_PACK / "staff.csv")
    records.customers.import_csv(SAMPLE_PACK / "customers.csv")
    # C00359 (20 years on 24 Nov) complained recently; C00361 (20 years on 25 Nov) praised us long ago.
    (tmp_path / "feedback").mkdir()
    header = ["id", "date", "channel", "customer_id", "score", "verbatim"]
    feedback = write_csv(tmp_path / "feedback" / "fb.csv", header, [
        ["T1", "2026-10-30", "phone", "C00359", "3", "Waited three weeks for the <!channel> engineer & nobody came."],
        ["T2", "2025-01-10", "survey", "C00361", "10", "Twenty years and still the best service in town."],
        ["T3", "2026-11-01", "chat", "C00361", "9", "Quick fix on the chat today, thank you."],
    ])
    summary = records_services.ingestor.ingest([feedback])
    assert summary.rejected == 0
    return records_services


def test_thanks_due_with_context_and_fix_first(loyal: Services) -> None:
    records = loyal.records
    records.promises.add(customer="C00361", text="Send the new contract", owner="bethan.lloyd",
                         due="2026-11-26 10:00", now=NOW)
    due = loyal.loyalty.thanks_due(today=TODAY, days=3, now=NOW)
    by_id = {t.customer.id: t for t in due}
    assert {"C00359", "C00360", "C00361"} <= set(by_id)
    complaint = by_id["C00359"]
    assert complaint.milestone == 20 and complaint.on == date(2026, 11, 24)
    # 20 years: a director; owner leah.morgan -> tom.baines -> ruth.okafor, the top of a chain of two.
    assert (complaint.sender, complaint.role, complaint.rolled_over) == ("ruth.okafor", "director", False)
    assert complaint.fix_first == ["put right their complaint of 30 October 2026 (scored 3/10: "
                                   "\u201cWaited three weeks for the <!channel> engineer & nobody came.\u201d)"]
    assert complaint.message.startswith("Hello Ivan, on 24 November you will have been with us for 20 years")
    assert "what you told us on 30 October, and I am sorry we let you down" in complaint.message
    assert complaint.feedback[0].text.startswith("Waited three weeks")
    praised = by_id["C00361"]
    assert praised.fix_first == []
    assert [f.date for f in praised.feedback] == ["2026-11-01", "2025-01-10"]  # newest first
    assert [p.text for p in praised.open_promises] == ["Send the new contract"]
    # Ruth's two director thank-yous of week 48 are C00359 and C00360 (24 Nov): this one rolls to its owner.
    assert (praised.sender, praised.role, praised.rolled_over) == ("bethan.lloyd", "director", True)
    assert ("_Yours as the owner: the director's weekly limit went to the longest-standing customers._"
            in thank_you_text(praised))
    assert praised.message == (
        "Hello Morgan, on 25 November you will have been with us for 20 years, since November 2006. Thank you "
        "too for your kind words on 1 November: \u201cQuick fix on the chat today, thank you.\u201d We still "
        "owe you \u201cSend the new contract\u201d by 26 November, and I will see that it is "
        "done. Very few customers have stayed with us for 20 years, and we do not take a single one of them for "
        "granted. If there is anything we could do better, I would like to hear it from you directly. "
        "\u2014 Bethan Lloyd")
    # Each person's own list is exactly their part of the whole.
    for handle in ("ruth.okafor", "bethan.lloyd", "tom.baines", "dan.whitlock"):
        own = loyal.loyalty.thanks_due(today=TODAY, days=3, sender=handle, now=NOW)
        assert [t.customer.id for t in own] == [t.customer.id for t in due if t.sender == handle]
    assert {"C00359", "C00360"} <= {t.customer.id for t in due if t.sender == "ruth.okafor"}


def test_an_overdue_promise_means_fix_first(loyal: Services) -> None:
    loyal.records.promises.add(customer="C00360", text="Call back about the bill", owner="owen.price",
                               due="2026-11-20 10:00", now=datetime(2026, 11, 19, tzinfo=UTC))
    item = next(t for t in loyal.loyalty.thanks_due(today=TODAY, days=3, now=NOW) if t.customer.id == "C00360")
    [fix] = item.fix_first
    assert fix.startswith("keep overdue promise P-") and "\u201cCall back about the bill\u201d" in fix
    assert "Call back about the bill" not in item.message and "I am sorry" not in item.message


def test_a_thanked_milestone_is_never_suggested_again(loyal: Services) -> None:
    thanks = loyal.records.thanks
    first = thanks.mark("C00359", milestone=20, by="tom.baines", now=NOW)
    second = thanks.mark("c00359", milestone=20, by="someone.else", now=NOW)
    assert first.new and not second.new and second.thanked_by == "tom.baines"
    due = loyal.loyalty.thanks_due(today=TODAY, days=3, now=NOW)
    assert "C00359" not in {t.customer.id for t in due}
    with pytest.raises(InputError) as info:
        thanks.mark("C99999", milestone=20, by="x", now=NOW)
    assert info.value.field == "customer"
    with pytest.raises(InputError) as info:
        thanks.mark("C00359", milestone=25, by="x", now=NOW)
    assert info.value.field == "milestone" and "not reached yet" in info.value.message
    with pytest.raises(InputError):
        thanks.mark("C00359", milestone=0, by="x", now=NOW)


def test_segment_and_default_senders_keep_every_list_consistent(
    records_services: Services, tmp_path: Path
) -> None:
    from records.thanks_rule import ThanksRule

    records_services.records.staff.import_csv(SAMPLE_PACK / "staff.csv")
    records_services.records.customers.import_csv(SAMPLE_PACK / "customers.csv")
    loyalty = records_services.loyalty
    loyalty.rule = ThanksRule(by_segment={"priority": "dan.whitlock"}, default="fiona.gallagher",
                              weekly_caps={"team_lead": 2, "senior_manager": 1, "director": 1})
    due = loyalty.thanks_due(today=TODAY, days=60, now=NOW)
    priority = [t for t in due if t.customer.segment == "priority" and t.role != "owner"]
    assert priority and all(t.sender in ("dan.whitlock", t.customer.owner) for t in priority)
    assert any(t.rolled_over for t in due)
    # Per person and ISO week, never more than the cap of the roles they hold.
    per_week: dict[tuple[str, int], int] = {}
    for t in due:
        if t.sender != t.customer.owner:
            key = (t.sender, t.on.isocalendar()[1])
            per_week[key] = per_week.get(key, 0) + 1
    assert per_week and max(per_week.values()) <= 2
    # Whoever asks, their list is their part of the whole: the caps are counted the same way.
    for handle in sorted({t.sender for t in due}):
        own = loyalty.thanks_due(today=TODAY, days=60, sender=handle, now=NOW)
        assert [(t.customer.id, t.milestone) for t in own] == [
            (t.customer.id, t.milestone) for t in due if t.sender == handle], handle


def test_the_caps_hold_on_the_sample_pack(loyal: Services) -> None:
    """The sample pack over the default two weeks: no one person gets more than the rule allows."""
    due = loyal.loyalty.thanks_due(today=date(2026, 12, 6), days=14, now=NOW)
    weekly: dict[tuple[str, int], int] = {}
    for t in due:
        if t.role != "owner" and not t.rolled_over:
            weekly[(t.sender, t.on.isocalendar()[1])] = weekly.get((t.sender, t.on.isocalendar()[1]), 0) + 1
    assert max(weekly.values()) <= 5
    assert all(t.milestone >= 20 for t in due if t.role == "director")
    assert all(t.sender == t.customer.owner for t in due if t.milestone < 5)


def test_customer_lookup_by_id_and_name(loyal: Services) -> None:
    found = loyal.loyalty.lookup("C00361", today=TODAY, now=NOW)
    card = found.card
    assert card is not None
    assert (card.tenure_years, card.tenure_months) == (19, 11)
    assert card.next_milestone is not None and card.next_milestone.years == 20
    assert card.feedback[0].date == "2026-11-01"
    assert card.as_json()["next_milestone"] == {"years": 20, "on": "2026-11-25"}
    by_name = loyal.loyalty.lookup(card.customer.name, today=TODAY)
    assert by_name.card is not None and by_name.card.customer.id == "C00361"
    many = loyal.loyalty.lookup("darren", today=TODAY)
    assert many.card is None and len(many.candidates) > 1 and "give the id" in many.message
    none = loyal.loyalty.lookup("zzzz", today=TODAY)
    assert none.card is None and none.candidates == [] and "no customer matches" in none.message
