"""Thank-yous: who, with what context, fix first when something is open, never twice; the customer card."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from advocate.services import Services
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
                         due="2026-11-24 10:00", now=NOW)
    due = loyal.loyalty.thanks_due(today=TODAY, days=3, now=NOW)
    by_id = {t.customer.id: t for t in due}
    assert {"C00359", "C00360", "C00361"} <= set(by_id)
    complaint = by_id["C00359"]
    assert complaint.milestone == 20 and complaint.on == date(2026, 11, 24)
    assert complaint.sender == "ruth.okafor"  # owner leah.morgan -> tom.baines -> ruth.okafor (two levels up)
    assert complaint.fix_first == ["open complaint: scored 3 on 2026-10-30"]
    assert complaint.message.startswith("Fix first, thank after")
    assert complaint.feedback[0].text.startswith("Waited three weeks")
    praised = by_id["C00361"]
    assert praised.fix_first == []
    assert [f.date for f in praised.feedback] == ["2026-11-01", "2025-01-10"]  # newest first
    assert [p.text for p in praised.open_promises] == ["Send the new contract"]
    assert praised.sender == "ruth.okafor"  # owner bethan.lloyd: a chain of one, so its top
    assert "20 years" in praised.message and praised.message.endswith("— Ruth Okafor")
    # the sender's own list
    ruth = loyal.loyalty.thanks_due(today=TODAY, days=3, sender="ruth.okafor", now=NOW)
    assert {t.customer.id for t in ruth} >= {"C00359", "C00361"} and all(t.sender == "ruth.okafor" for t in ruth)
    tom = loyal.loyalty.thanks_due(today=TODAY, days=3, sender="tom.baines", now=NOW)
    assert "C00360" in {t.customer.id for t in tom} and "C00359" not in {t.customer.id for t in tom}


def test_an_overdue_promise_means_fix_first(loyal: Services) -> None:
    loyal.records.promises.add(customer="C00360", text="Call back about the bill", owner="owen.price",
                               due="2026-11-20 10:00", now=datetime(2026, 11, 19, tzinfo=UTC))
    item = next(t for t in loyal.loyalty.thanks_due(today=TODAY, days=3, now=NOW) if t.customer.id == "C00360")
    assert len(item.fix_first) == 1 and item.fix_first[0].startswith("overdue promise P-")


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


def test_segment_sender_wins(records_services: Services, tmp_path: Path) -> None:
    from records.staff import SenderPolicy

    records_services.records.staff.import_csv(SAMPLE_PACK / "staff.csv")
    records_services.records.customers.import_csv(SAMPLE_PACK / "customers.csv")
    loyalty = records_services.loyalty
    loyalty.sender_policy = SenderPolicy(levels=2, by_segment={"priority": "dan.whitlock"})
    due = loyalty.thanks_due(today=TODAY, days=14, now=NOW)
    priority = [t for t in due if t.customer.segment == "priority"]
    assert priority and all(t.sender == "dan.whitlock" for t in priority)
    dans = loyalty.thanks_due(today=TODAY, days=14, sender="dan.whitlock", now=NOW)
    assert {t.customer.id for t in priority} <= {t.customer.id for t in dans}


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
