"""The advocate briefing on the real embedding model: new feedback only, praise and complaints side by side."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from advocate.services import Services, build_services
from advocate.settings import Settings
from jobs import advocate_briefing, digests
from knowledge.embeddings import SentenceTransformerEmbeddings
from records.models import BriefFeedback, Concern, Decision
from tests.jobs.conftest import NOW, assert_valid_message
from tests.records.conftest import write_csv
from tests.slack_api_server import SlackApiServer

ADVOCATE = "UADVSERVICE1"


@pytest.fixture
def briefed(
    tmp_path: Path, real_embedder: SentenceTransformerEmbeddings, slack_api: SlackApiServer
) -> Iterator[Services]:
    svc = build_services(Settings(data_dir=tmp_path / "data", slack_bot_token="xoxb-test-token",
                                  slack_api_url=slack_api.url), embedder=real_embedder)
    (tmp_path / "feedback").mkdir()
    write_csv(tmp_path / "feedback" / "fb.csv", ["id", "date", "channel", "customer_id", "score", "verbatim"], [
        ["N1", "2026-11-20", "phone", "C1", "2", "I waited on hold for an hour and the callback never came."],
        ["N2", "2026-11-19", "chat", "C2", "3", "The chatbot kept looping <!channel> and no agent picked up."],
        ["N3", "2026-11-21", "phone", "C3", "10", "The adviser called me back exactly when she said. Great support."],
        ["N4", "2026-11-18", "survey", "C4", "9", "Complaint handled quickly and kindly by the contact centre."],
        ["O1", "2025-03-02", "phone", "C5", "1", "Old complaint about a queue that nobody answered."],
    ])
    assert svc.ingestor.ingest([tmp_path / "feedback"]).rejected == 0
    svc.records.advocates.add(slack_user_id=ADVOCATE, function="service")
    with svc.records.session() as session:
        decision = Decision(
            channel="C0DEC", thread_ts="1.1", question="Replace callbacks with a chatbot", lenses=[],
            function="service", advocates=[ADVOCATE], created_at=NOW - timedelta(days=2),
        )
        session.add(decision)
        session.flush()
        session.add(Concern(decision_id=decision.id, raised_by=ADVOCATE, text="Customers on hold <@U1> lose out",
                            created_at=NOW - timedelta(days=1)))
        voted = NOW - timedelta(hours=1)
        session.add(BriefFeedback(decision_id=decision.id, slack_user_id="U2", helpful=True, created_at=voted))
        session.add(BriefFeedback(decision_id=decision.id, slack_user_id="U3", helpful=False, created_at=voted))
    yield svc
    svc.close()


@pytest.mark.slow
def test_briefing_quotes_new_praise_and_complaints_equally(briefed: Services, slack_api: SlackApiServer) -> None:
    advocate = briefed.records.advocates.resolve(ADVOCATE)
    assert advocate is not None
    briefing = advocate_briefing.compute(briefed.job_parts(), advocate, now=NOW)
    complaint_ids = {s.extra.get("record_id") for s in briefing.complaints}
    praise_ids = {s.extra.get("record_id") for s in briefing.praise}
    assert complaint_ids == {"N1", "N2"} and praise_ids == {"N3", "N4"}  # the 2025 complaint is not new
    assert briefing.themes and all(isinstance(t[0], str) for t in briefing.themes)
    assert len(briefing.decisions) == 1 and briefing.decisions[0].concerns
    assert (briefing.votes.helpful, briefing.votes.not_helpful) == (1, 1)

    report = digests.send(briefed.job_parts(), kind="advocate", who=ADVOCATE, now=NOW)
    assert [o.status for o in report.outcomes] == ["sent"]
    posted = slack_api.posted("D" + ADVOCATE[1:])
    assert len(posted) == 1
    assert_valid_message(posted[0])
    text = json.dumps(posted[0]["blocks"], ensure_ascii=False)
    assert "What customers complained about" in text and "What customers praised" in text
    assert "<!channel>" not in text and "&lt;!channel&gt;" in text
    assert "<@U1>" not in text and f"<@{ADVOCATE}>" in text  # the advocate's own id is a real mention
    assert "1 helpful, 1 not helpful" in text
    # A week later, nothing new: no briefing is sent.
    later = digests.send(briefed.job_parts(), kind="advocate", who=ADVOCATE, now=NOW + timedelta(days=7))
    assert later.outcomes == [] and later.skipped == 1
