"""The Slack app's records, on SQLite and PostgreSQL: migration 0003 (votes recorded against the brief;
every vote stored before it survives the upgrade and a downgrade, each given the brief it was most
likely cast on), votes per person per brief, and handled event ids forgotten when old."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest
from alembic import command
from sqlalchemy import Engine, inspect, text
from sqlalchemy.exc import IntegrityError

from records import Records
from records.migrate import alembic_config, current_revision
from tests.records.conftest import LONDON

BEFORE, REVISION = "0002_slack", "0003_brief_votes"


def migrate(engine: Engine, action: str, revision: str) -> None:
    with engine.begin() as connection:
        config = alembic_config()
        config.attributes["connection"] = connection
        getattr(command, action)(config, revision)


def at(hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, 20, hour, minute)  # naive UTC, as the columns store it


def seed_before_0003(engine: Engine) -> None:
    """Decisions, briefs and votes as the 0002 schema held them (one vote per person per thread)."""
    with engine.begin() as c:
        for decision_id, thread in ((1, "100.1"), (2, "200.1"), (3, "900.1")):
            c.execute(text("INSERT INTO decisions (id, channel, thread_ts, question, lenses, advocates, created_at) "
                           "VALUES (:id, 'C1', :thread, 'q', '[]', '[]', :at)"),
                      {"id": decision_id, "thread": thread, "at": at(9)})
        for brief_id, decision_id, thread, created in (("B1", 1, "100.1", at(10)), ("B2", 1, "100.1", at(11)),
                                                       ("B3", 2, "200.1", at(10))):
            c.execute(text("INSERT INTO slack_briefs (id, decision_id, channel, thread_ts, message_ts, asked_by, how, "
                           "question, masked, view, created_at) VALUES (:id, :decision, 'C1', :thread, '1.1', 'U9', "
                           "'mention', 'q', :masked, '{}', :at)"),
                      {"id": brief_id, "decision": decision_id, "thread": thread, "at": created, "masked": True})
        votes: list[dict[str, Any]] = [
            # id, decision, thread, user, helpful, when
            dict(id=1, decision=1, channel="C1", thread="100.1", user="U1", helpful=True, at=at(10, 30)),  # B1
            dict(id=2, decision=1, channel="C1", thread="100.1", user="U2", helpful=False, at=at(11, 30)),  # B2
            dict(id=3, decision=2, channel="C1", thread="200.1", user="U3", helpful=True, at=at(10, 5)),  # B3
            dict(id=4, decision=1, channel="", thread="", user="U4", helpful=True, at=at(12)),  # no thread kept
            dict(id=5, decision=1, channel="C1", thread="100.1", user="U5", helpful=True, at=at(11, 10)),  # older
            dict(id=6, decision=1, channel="C1", thread="100.1", user="U5", helpful=False, at=at(11, 20)),  # newer
            dict(id=7, decision=3, channel="C1", thread="900.1", user="U6", helpful=False, at=at(12)),  # no brief
        ]
        for vote in votes:
            c.execute(text("INSERT INTO brief_feedback (id, decision_id, channel, thread_ts, slack_user_id, helpful, "
                           "comment, created_at) VALUES (:id, :decision, :channel, :thread, :user, :helpful, "
                           "'', :at)"), vote)


def feedback_rows(engine: Engine, *, with_brief: bool = True) -> list[tuple]:
    columns = "id, decision_id, channel, thread_ts, slack_user_id, helpful, created_at"
    with engine.connect() as c:
        rows = c.execute(text(f"SELECT {columns}{', brief_id' if with_brief else ''} FROM brief_feedback "
                              "ORDER BY id")).all()
    return [tuple(bool(v) if i == 5 else v for i, v in enumerate(row)) for row in rows]


def test_every_vote_survives_the_upgrade_and_is_given_its_brief(engine: Engine) -> None:
    migrate(engine, "upgrade", BEFORE)
    seed_before_0003(engine)
    before = feedback_rows(engine, with_brief=False)
    migrate(engine, "upgrade", REVISION)
    with engine.connect() as c:
        assert current_revision(c) == REVISION
    after = feedback_rows(engine)
    assert [row[:-1] for row in after] == before  # nothing lost, nothing changed
    assert {row[0]: row[-1] for row in after} == {
        1: "B1",  # the brief delivered before the vote, not the later one
        2: "B2",
        3: "B3",
        4: None,  # no thread on record: still counted for its decision
        5: None,  # one person, two old votes on one brief: the newer holds it
        6: "B2",
        7: None,  # no brief recorded in that thread
    }
    # One vote per person per brief from now on; empty brief ids do not collide.
    with pytest.raises(IntegrityError), engine.begin() as c:
        c.execute(text("INSERT INTO brief_feedback (brief_id, decision_id, channel, thread_ts, slack_user_id, "
                       "helpful, comment, created_at) VALUES ('B1', 1, 'C1', '100.1', 'U1', false, '', :at)"),
                  {"at": at(13)})
    foreign_keys = {fk["referred_table"]: fk for fk in inspect(engine).get_foreign_keys("brief_feedback")}
    assert foreign_keys["slack_briefs"]["constrained_columns"] == ["brief_id"]


def test_downgrade_keeps_the_votes(engine: Engine) -> None:
    migrate(engine, "upgrade", BEFORE)
    seed_before_0003(engine)
    before = feedback_rows(engine, with_brief=False)
    migrate(engine, "upgrade", REVISION)
    migrate(engine, "downgrade", BEFORE)
    assert "brief_id" not in {c["name"] for c in inspect(engine).get_columns("brief_feedback")}
    assert feedback_rows(engine, with_brief=False) == before
    migrate(engine, "upgrade", REVISION)  # and up again
    assert len(feedback_rows(engine)) == len(before)


def test_a_vote_is_changed_per_brief_and_another_brief_in_the_thread_has_its_own(engine: Engine) -> None:
    records = Records(engine=engine, timezone=LONDON)
    ledger = records.slack
    for brief_id in ("BRIEFONE", "BRIEFTWO"):
        ledger.record_brief(brief_id=brief_id, channel="C1", thread_ts="100.1", message_ts=f"{brief_id}.1",
                            asked_by="U9", how="mention", question="q", masked=True, view={}, lenses=[],
                            function=None, advocates=[])
    assert ledger.record_feedback("BRIEFONE", user="U1", helpful=True)
    assert ledger.record_feedback("BRIEFONE", user="U1", helpful=False)  # changed, not a second vote
    assert ledger.record_feedback("BRIEFTWO", user="U1", helpful=True)  # the later brief: a vote of its own
    assert ledger.record_feedback("BRIEFTWO", user="U2", helpful=True)
    assert not ledger.record_feedback("NOSUCHBRIEF", user="U1", helpful=True)
    assert ledger.votes("BRIEFONE") == {"U1": False}
    assert ledger.votes("BRIEFTWO") == {"U1": True, "U2": True}
    [decision] = ledger.decisions()
    assert (decision.helpful, decision.not_helpful) == (2, 1)


def test_old_event_ids_are_forgotten_but_reaction_claims_stand(engine: Engine) -> None:
    from datetime import timedelta

    from sqlalchemy import update

    from records.clock import now_utc
    from records.models import ProcessedSlackEvent

    ledger = Records(engine=engine, timezone=LONDON).slack
    for key in ("Ev0OLD", "reaction:C1:1.1", "Ev0NEW"):
        assert ledger.claim_event(key)
    with engine.begin() as c:
        c.execute(update(ProcessedSlackEvent).where(ProcessedSlackEvent.event_id != "Ev0NEW")
                  .values(received_at=now_utc() - timedelta(days=3)))
    assert ledger.forget_events(older_than=timedelta(days=2)) == 1
    assert ledger.claim_event("Ev0OLD")  # long past Slack's redeliveries: forgotten
    assert not ledger.claim_event("reaction:C1:1.1")  # one brief per reacted message, for good
    assert not ledger.claim_event("Ev0NEW")
