"""The suggested thank-you, written from the customer's context: names, tenure, feedback, promises."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from records.customers import CustomerView
from records.milestones import Milestone
from records.thanks_message import FeedbackItem, ThanksContext, gist, greeting, suggested_message

TODAY = date(2026, 11, 23)


@pytest.mark.parametrize(("name", "segment", "expected"), [
    ("Brian & Joan Payne", "household", "Hello Brian and Joan"),
    ("Ryan and Hazel Burke", "priority", "Hello Ryan and Hazel"),
    ("Darren Ward", "household", "Hello Darren"),
    ("Mrs Eileen Ward", "household", "Hello Mrs Eileen Ward"),
    ("Ashcombe IT Support", "small-business", "Hello everyone at Ashcombe IT Support"),
    ("O'Connor & Allen Architects", "small-business", "Hello everyone at O'Connor & Allen Architects"),
    ("Barnes Music Tuition Ltd", "priority", "Hello everyone at Barnes Music Tuition Ltd"),
    ("Hale & Barker Accountants", "priority", "Hello everyone at Hale & Barker Accountants"),
])
def test_greeting_fits_how_the_customer_is_named(name: str, segment: str, expected: str) -> None:
    assert greeting(name, segment) == expected


def context(name: str, years: int, *, segment: str = "household",
            feedback: list[FeedbackItem] | None = None) -> ThanksContext:
    on = date(2026, 12, 8)
    customer = CustomerView("C00001", name, date(on.year - years, 12, 8), "owner", segment, None)
    return ThanksContext(milestone=Milestone(customer, years, on), sender_name="Ruth Okafor", feedback=feedback or [],
                         open_promises=[], today=TODAY, recent_days=180,
                         timezone=ZoneInfo("Europe/London"), now=datetime(2026, 11, 23, 9, tzinfo=UTC))


def test_one_year_is_singular_and_a_business_is_not_greeted_by_first_name() -> None:
    text = suggested_message(context("Ashcombe IT Support", 1, segment="small-business"))
    assert text.startswith("Hello everyone at Ashcombe IT Support, on 8 December your business will have been "
                           "with us for 1 year, since December 2025.")
    assert "Thank you for choosing us for your business, and for staying with us through the first year." in text
    assert "1 years" not in text and text.endswith("\u2014 Ruth Okafor")
    # The words change with the length of the stay.
    assert "Thank you for staying with us all this time;" in suggested_message(context("Darren Ward", 5))
    assert "12 years is a long time" in suggested_message(context("Darren Ward", 12))


def test_a_recent_low_score_means_fix_first_and_the_thanks_owns_it() -> None:
    low = FeedbackItem("F1", "2026-11-02", 2, "phone", "No signal for a week. Nobody called back.")
    text = suggested_message(context("Brian & Joan Payne", 20, feedback=[low]))
    assert text.startswith("Hello Brian and Joan, on 8 December you will have been with us for 20 years")
    assert "what you told us on 2 November, and I am sorry we let you down" in text
    # The same score long ago is history, not an open complaint.
    old = FeedbackItem("F1", "2024-01-02", 2, "phone", "No signal for a week.")
    assert "sorry" not in suggested_message(context("Brian & Joan Payne", 20, feedback=[old]))


def test_gist_cuts_at_a_sentence_or_a_word() -> None:
    assert gist("Quick fix on the chat today, thank you. The engineer was great too.") == (
        "Quick fix on the chat today, thank you.")
    cut = gist("We waited on Tuesday afternoon for an engineer who never came and nobody rang to say so at all", 40)
    assert cut == "We waited on Tuesday afternoon for an…" and len(cut) <= 40
