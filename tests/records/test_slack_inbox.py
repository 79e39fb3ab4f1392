"""The Slack inbox on SQLite and PostgreSQL (`slack_inbox`, migration 0006): an event is accepted once, a
redelivery while it waits is not accepted again, a finished event leaves; unfinished ones are found by
owner or age and taken over by one process only; a claim made since an event was accepted is its own."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import Engine, update

from records import Records
from records.clock import now_utc
from records.models import AcceptedSlackEvent
from tests.records.conftest import LONDON

BODY = '{"type": "event_callback", "event_id": "Ev01", "event": {"type": "app_mention"}}'


def test_an_event_is_accepted_once_and_leaves_when_finished(engine: Engine) -> None:
    ledger = Records(engine=engine, timezone=LONDON).slack
    accepted = ledger.accept_event("Ev01", body=BODY, owner="host-a/1")
    assert accepted is not None
    assert ledger.accept_event("Ev01", body=BODY, owner="host-b/2") is None  # redelivered while it waits
    [waiting] = ledger.unfinished_events(owners_like="host-a/%", stale_before=now_utc() - timedelta(hours=1))
    assert (waiting.event_id, waiting.body, waiting.owner, waiting.resumed) == ("Ev01", BODY, "host-a/1", 0)
    assert waiting.accepted_at == accepted
    ledger.finish_event("Ev01")
    assert ledger.unfinished_events(owners_like="%", stale_before=now_utc()) == []
    assert ledger.accept_event("Ev01", body=BODY, owner="host-a/1") is not None  # a later redelivery: new work


def test_unfinished_events_by_host_or_age_and_taken_by_one_process(engine: Engine) -> None:
    ledger = Records(engine=engine, timezone=LONDON).slack
    for event_id, owner in (("Ev0MINE", "host_a/1"), ("Ev0OTHER", "host-b/1"), ("Ev0OLD", "host-c/1"),
                            ("Ev0LIKE", "hostXa/1")):
        ledger.accept_event(event_id, body=BODY, owner=owner)
    with engine.begin() as connection:
        connection.execute(update(AcceptedSlackEvent).where(AcceptedSlackEvent.event_id == "Ev0OLD")
                           .values(accepted_at=now_utc() - timedelta(hours=1)))
    found = ledger.unfinished_events(owners_like="host\\_a/%", stale_before=now_utc() - timedelta(minutes=15))
    assert [e.event_id for e in found] == ["Ev0OLD", "Ev0MINE"]  # oldest first; "_" is no wildcard
    mine = found[1]
    assert ledger.take_event(mine, owner="host_a/2")
    assert not ledger.take_event(mine, owner="host_a/3")  # another process took it first
    [taken] = ledger.unfinished_events(owners_like="host\\_a/2", stale_before=now_utc() - timedelta(hours=2))
    assert (taken.owner, taken.resumed) == ("host_a/2", 1)


def test_a_claim_made_since_the_event_was_accepted_is_its_own(engine: Engine) -> None:
    ledger = Records(engine=engine, timezone=LONDON).slack
    assert ledger.claim_event("Ev0EARLIER")  # handled long ago; this delivery is a late redelivery
    accepted = ledger.accept_event("Ev0EARLIER", body=BODY, owner="h/1")
    assert accepted is not None
    assert not ledger.claim_event("Ev0EARLIER", resuming_since=accepted)

    accepted = ledger.accept_event("Ev0CRASHED", body=BODY, owner="h/1")
    assert accepted is not None
    assert ledger.claim_event("Ev0CRASHED")  # the first run claimed it, then the process died
    assert not ledger.claim_event("Ev0CRASHED")  # a redelivery
    assert ledger.claim_event("Ev0CRASHED", resuming_since=accepted)  # the taken-up work owns that claim


def test_a_burst_is_accepted_in_one_go_each_id_once(engine: Engine) -> None:
    ledger = Records(engine=engine, timezone=LONDON).slack
    assert ledger.accept_event("Ev0WAITING", body=BODY, owner="h/1") is not None
    burst = [("Ev0A", BODY), ("Ev0WAITING", BODY), ("Ev0B", BODY), ("Ev0A", BODY)]
    accepted = ledger.accept_events(burst, owner="h/1")
    assert [when is not None for when in accepted] == [True, False, True, False]
    found = ledger.unfinished_events(owners_like="h/%", stale_before=now_utc() - timedelta(hours=1))
    assert sorted(e.event_id for e in found) == ["Ev0A", "Ev0B", "Ev0WAITING"]


def test_forgets_vacuum_gives_way_to_a_long_read_and_lets_acknowledgements_through(postgres_url: str) -> None:
    import threading

    from sqlalchemy import text

    from advocate.services import make_engine
    from records.forgotten import clear_freed_space

    engine = make_engine(postgres_url)
    ledger = Records(engine=engine, timezone=LONDON).slack
    ledger.accept_event("Ev0WAITING", body=BODY, owner="host-a/1")
    reader = engine.connect()
    reader.execute(text("SELECT count(*) FROM slack_inbox"))  # a backup's long read: its lock stays held
    left: list[list[str]] = []
    vacuum = threading.Thread(target=lambda: left.append(
        clear_freed_space(engine, tables=("slack_inbox", "promises"))))
    vacuum.start()
    try:
        _until_the_vacuum_waits_for_its_lock(engine)
        # Queued behind the vacuum's lock request, an acknowledgement's write still gets through.
        assert ledger.accept_event("Ev0ARRIVED", body=BODY, owner="host-a/1") is not None
        vacuum.join(timeout=60)
    finally:
        reader.rollback()
        reader.close()
    assert not vacuum.is_alive()
    [notes] = left
    # The inbox is left for the operator, named; the table nobody held was rewritten.
    assert len(notes) == 1 and "on slack_inbox:" in notes[0] and "promises" not in notes[0]
    assert {e.event_id for e in ledger.unfinished_events(owners_like="%", stale_before=now_utc())} == {
        "Ev0WAITING", "Ev0ARRIVED"}
    engine.dispose()


def _until_the_vacuum_waits_for_its_lock(engine: Engine) -> None:
    import time

    from sqlalchemy import text

    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        with engine.connect() as connection:
            if connection.execute(text("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                                       "AND query ILIKE 'VACUUM%'")).scalar_one():
                return
        time.sleep(0.02)
    raise AssertionError("the vacuum never queued for its lock")
