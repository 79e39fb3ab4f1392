"""A customer's own feedback, read from the knowledge collection by metadata alone: newest first, only
feedback, and nothing (said in the log, not raised) when the collection was built with another model."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from advocate.services import Services
from knowledge.chroma import open_collection
from knowledge.customer_feedback import FeedbackLookup

FEEDBACK = """id,date,channel,customer_id,score,verbatim
F1,2026-03-01,phone,C1,4,The engineer never came and nobody rang to say so.
F2,2026-10-12,chat,C1,9,Sorted in ten minutes on the chat today.
F3,2026-09-30,survey,C2,7,Fine but the app logs me out every week.
"""


@pytest.fixture
def ingested(fake_services: Services, tmp_path: Path) -> Services:
    feedback = tmp_path / "feedback"
    feedback.mkdir()
    (feedback / "survey.csv").write_text(FEEDBACK, encoding="utf-8")
    research = tmp_path / "research"
    research.mkdir()
    (research / "c1.md").write_text("# About C1\n\nC1 is mentioned in research, which is not their feedback.\n")
    summary = fake_services.ingestor.ingest([feedback, research])
    assert summary.rejected == 0
    return fake_services


def lookup(svc: Services, model_label: str) -> FeedbackLookup:
    return FeedbackLookup(collection=lambda: open_collection(svc.chroma, svc.live_collection, model_label=model_label))


def test_feedback_by_customer_newest_first(ingested: Services) -> None:
    found = lookup(ingested, ingested.settings.embedding_model).for_customers(["C1", "C2", "C3"])
    assert sorted(found) == ["C1", "C2"]
    assert [(f.id, f.date, f.score, f.channel) for f in found["C1"]] == [
        ("F2", "2026-10-12", 9, "chat"), ("F1", "2026-03-01", 4, "phone")]
    assert found["C2"][0].text == "Fine but the app logs me out every week."
    assert lookup(ingested, ingested.settings.embedding_model).for_customers([]) == {}


def test_a_collection_of_another_model_gives_no_feedback_and_says_why(
    ingested: Services, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="knowledge.customer_feedback"):
        assert lookup(ingested, "another-model").for_customers(["C1"]) == {}
    assert "customer feedback unavailable" in caplog.text and "run `advocate reindex`" in caplog.text
