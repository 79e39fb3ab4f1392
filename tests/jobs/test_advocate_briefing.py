"""The advocate briefing on the real embedding model: new feedback only, praise and complaints side by side."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest

from advocate.services import Services, build_services
from advocate.settings import Settings
from briefs.functions import Function
from jobs import advocate_briefing, digests
from knowledge.embeddings import SentenceTransformerEmbeddings
from knowledge.retrieval import Source
from outbound.blocks import Message
from outbound.layouts.advocate_briefing import Briefing, advocate_briefing_message
from records.advocates import AdvocateView, BriefVotes, DecisionView
from records.models import BriefFeedback, Concern, Decision
from tests.jobs.conftest import NOW, assert_valid_message
from tests.records.conftest import write_csv
from tests.slack_api_server import SlackApiServer
from tests.slack_checks import texts

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
    # An organisation that reads 3/10 as middling hears N2 as neither complaint nor praise.
    own_bands = replace(briefed.job_parts(), settings=briefed.settings.model_copy(
        update={"feedback_score_bands": "0-2,3-8,9-10"}))
    banded = advocate_briefing.compute(own_bands, advocate, now=NOW)
    assert {s.extra.get("record_id") for s in banded.complaints} == {"N1"}
    assert {s.extra.get("record_id") for s in banded.praise} == {"N3", "N4"}

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


# -- the message itself, laid out from a briefing (no model needed) -------------------------------------------
RESEARCH_TEXT = ("Customers who were promised a callback on Tuesday afternoon and did not get one were three times "
                 "as likely to complain again within a month. Those who got the call within the hour rated the "
                 "contact 9 or 10 in most cases, whatever the outcome of the call itself turned out to be.")


def briefing_with(research: list[Source], *, complaints: int = 3, praise: int = 3) -> Briefing:
    def verbatim(number: int, score: int) -> Source:
        return Source(id=f"v{number}", kind="feedback", source="/srv/advocate/knowledge/feedback.csv", title="Feedback",
                      text="The callback came exactly when promised and the adviser knew my history. " * 6,
                      score=0.5, date="2026-11-20", channel="phone", customer_id=f"C{number:05d}",
                      extra={"score": score})

    return Briefing(
        advocate=AdvocateView(ADVOCATE, "service", None, True, None),
        function=Function("service", "Customer service", ("callbacks", "queues")), week_label="2026-W48",
        since=NOW - timedelta(days=7), complaints=[verbatim(i, 2) for i in range(complaints)],
        praise=[verbatim(10 + i, 10) for i in range(praise)], research=research,
        themes=[("Keep promises", 3, 2), ("Effort", 1, 1)],
        decisions=[DecisionView(1, "Replace callbacks with a chatbot " * 3, "C0DEC", "1.1", NOW - timedelta(days=2),
                                ((ADVOCATE, "Customers on hold lose out"),))],
        votes=BriefVotes(helpful=1, not_helpful=1), new_feedback=6)


def research_lines(message: Message) -> list[str]:
    text = next(t for t in texts(message.blocks_json()) if t.startswith("*New research and conversations*"))
    return text.splitlines()[1:]


def test_research_snippets_end_at_a_sentence_or_word_and_link_to_their_source() -> None:
    web = Source(id="r1", kind="research", source="https://research.example.com/callbacks", title="Callback study",
                 text=RESEARCH_TEXT, score=0.5, date="2026-11-19")
    slack = Source(id="r2", kind="transcript", source="/srv/advocate/knowledge/transcripts/call-12.txt",
                   title="Call 12", text="Tuesday" + " afternoon" * 40, score=0.5,
                   extra={"permalink": "https://example.slack.com/archives/C1/p123"})
    local = Source(id="r3", kind="research", source="../../srv/knowledge/sample/research/ivr-menu-study.md",
                   title="", source_name="ivr-menu-study.md", text=RESEARCH_TEXT, score=0.5)
    lines = research_lines(advocate_briefing_message(briefing_with([web, slack, local])))
    # Whole sentences where the first fits, with "…" for the rest; a link to the whole source.
    assert lines[0] == ("• <https://research.example.com/callbacks|Callback study> (2026-11-19): Customers who were "
                        "promised a callback on Tuesday afternoon and did not get one were three times as likely to "
                        "complain again within a month. …")
    # One long sentence: cut at a word, never inside one; the Slack message it came from is linked.
    assert lines[1].startswith("• <https://example.slack.com/archives/C1/p123|Call 12>: Tuesday afternoon")
    assert lines[1].endswith(" afternoon…") and len(lines[1]) < 330
    # A file on the server: its plain name, no path, no link.
    assert lines[2].startswith("• *ivr-menu-study.md*: Customers who were") and "srv" not in lines[2]


def test_the_briefing_stays_within_its_length_budget() -> None:
    """Measured: a full briefing (3 complaints and 3 praise quoted at their 320-character limit, 3 research
    items, 2 themes, a decision with a concern) is 15 blocks, 27 lines and 3,273 characters of text; the
    budget leaves a little room, and says so when a change makes the briefing longer."""
    research = [Source(id=f"r{i}", kind="research", source=f"https://research.example.com/{i}", title=f"Study {i}",
                       text=RESEARCH_TEXT, score=0.5) for i in range(3)]
    message = advocate_briefing_message(briefing_with(research))
    shown = list(texts(message.blocks_json()))
    lines = sum(t.count("\n") + 1 for t in shown)
    characters = sum(len(t) for t in shown)
    assert len(message.blocks) <= 16 and lines <= 30 and characters <= 3_400, (len(message.blocks), lines, characters)
    assert all(len(line) <= 330 for line in research_lines(message))
