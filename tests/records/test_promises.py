"""Promises: every bad input refused with the field named and nothing written; the life of a promise."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from records import InputError, NotFound, Records
from records.models import Promise, PromiseEvent
from tests.conftest import SAMPLE_PACK
from tests.records.conftest import write_csv

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def counts(records: Records) -> tuple[int, int]:
    with records.session() as session:
        return (int(session.scalar(select(func.count()).select_from(Promise)) or 0),
                int(session.scalar(select(func.count()).select_from(PromiseEvent)) or 0))


def add(records: Records, **overrides: object):  # type: ignore[no-untyped-def]
    values: dict[str, object] = {"customer": "C00105", "text": "Call back with the refund date",
                                 "owner": "jamal.hussain", "due": "2026-11-25 16:00", "now": NOW}
    values.update(overrides)
    return records.promises.add(**values)  # type: ignore[arg-type]


def test_a_promise_is_recorded_with_its_zone(staffed: Records) -> None:
    promise = add(staffed, due="2026-11-25 16:00", tz="Europe/London", permalink="https://x.slack.com/archives/C1/p1")
    assert promise.status == "open" and promise.due_tz == "Europe/London"
    assert promise.due_at == datetime(2026, 11, 25, 16, 0, tzinfo=UTC)  # London is on GMT in November
    summer = add(staffed, due="2027-07-01 09:30", tz="Europe/London")
    assert summer.due_at == datetime(2027, 7, 1, 8, 30, tzinfo=UTC)  # BST
    with_offset = add(staffed, due="2026-12-01T09:30:00+05:30")
    assert with_offset.due_at == datetime(2026, 12, 1, 4, 0, tzinfo=UTC) and with_offset.due_tz == "+05:30"
    date_only = add(staffed, due="2026-12-02")
    assert date_only.due_at == datetime(2026, 12, 2, 17, 0, tzinfo=UTC)
    events = staffed.promises.events(promise.id)
    assert [(e.kind, e.by) for e in events] == [("created", "jamal.hussain")]


def test_the_customer_is_picked_by_name_or_id(staffed: Records) -> None:
    assert add(staffed, customer="Fiona Williams").customer_id == "C00105"  # the whole name, any case
    assert add(staffed, customer="fiona wil").customer_id == "C00105"  # the start of one name only
    assert add(staffed, customer="c00341").customer_id == "C00341"  # an id, any case


@pytest.mark.parametrize(
    ("overrides", "field", "words"),
    [
        ({"due": "2026-11-20 16:00"}, "due", "is in the past"),
        ({"due": "2026-11-23 08:59"}, "due", "is in the past"),
        ({"due": "next tuesday"}, "due", "is not a date and time"),
        ({"due": ""}, "due", "empty"),
        ({"due": "2026-02-30 10:00"}, "due", "is not a date and time"),
        ({"due": "2027-03-28 01:30", "tz": "Europe/London"}, "due", "does not exist"),
        ({"due": "2026-12-01T10:00+01:00", "tz": "Europe/London"}, "due", "disagrees"),
        ({"tz": "Mars/Olympus"}, "tz", "is not a time zone"),
        ({"tz": "+25:00"}, "tz", "is not a UTC offset"),
        ({"customer": "C99999"}, "customer", "no customer with id"),
        ({"customer": "  "}, "customer", "empty"),
        ({"customer": "Nobody Known"}, "customer", "none named so"),
        ({"customer": "darren"}, "customer", "7 customers match 'darren': C00075 Darren Barnes, C01384 Darren Bell"),
        ({"text": "   "}, "text", "is empty"),
        ({"text": "x" * 2001}, "text", "keep it under 2000"),
        ({"owner": "no.one"}, "owner", "is not in staff"),
        ({"permalink": "javascript:alert(1)"}, "permalink", "https://"),
    ],
)
def test_bad_input_names_the_field_and_writes_nothing(
    staffed: Records, overrides: dict[str, object], field: str, words: str
) -> None:
    before = counts(staffed)
    with pytest.raises(InputError) as info:
        add(staffed, **overrides)
    assert info.value.field == field
    assert words in info.value.message
    assert counts(staffed) == before


def test_close_cancel_reschedule_reassign(staffed: Records) -> None:
    kept = add(staffed)
    closed = staffed.promises.close(kept.id, outcome="kept", by="jamal.hussain", now=NOW + timedelta(hours=1))
    assert closed.status == "kept" and closed.kept_on_time and closed.closed_by == "jamal.hussain"
    with pytest.raises(InputError, match="already kept"):
        staffed.promises.close(kept.id, outcome="broken", by="x", now=NOW)
    with pytest.raises(InputError) as info:
        staffed.promises.close(add(staffed).id, outcome="maybe", by="x")
    assert info.value.field == "outcome"

    moving = add(staffed)
    with pytest.raises(InputError) as info:
        staffed.promises.reschedule(moving.id, due="2026-12-01 10:00", why=" ", by="x", now=NOW)
    assert info.value.field == "reason"
    with pytest.raises(InputError) as info:
        staffed.promises.reschedule(moving.id, due="2026-11-01 10:00", why="late parts", by="x", now=NOW)
    assert info.value.field == "due"
    moved = staffed.promises.reschedule(moving.id, due="2026-12-01 10:00", why="parts are late", by="leah.morgan",
                                        now=NOW)
    assert moved.due_at == datetime(2026, 12, 1, 10, tzinfo=UTC)
    event = staffed.promises.events(moving.id)[-1]
    assert (event.kind, event.by, event.why) == ("rescheduled", "leah.morgan", "parts are late")
    assert event.old_value and event.old_value.startswith("2026-11-25T16:00")

    with pytest.raises(InputError) as info:
        staffed.promises.reassign(moving.id, to="nobody.here", by="x", now=NOW)
    assert info.value.field == "to"
    with pytest.raises(InputError, match="already owns"):
        staffed.promises.reassign(moving.id, to="jamal.hussain", by="x", now=NOW)
    given = staffed.promises.reassign(moving.id, to="kerry.dunn", by="leah.morgan", why="holiday", now=NOW)
    assert given.owner == "kerry.dunn"
    assert staffed.promises.events(moving.id)[-1].old_value == "jamal.hussain"

    with pytest.raises(InputError) as info:
        staffed.promises.cancel(moving.id, by="x", why="")
    assert info.value.field == "reason"
    cancelled = staffed.promises.cancel(moving.id, by="kerry.dunn", why="customer sorted it", now=NOW)
    assert cancelled.status == "cancelled"
    with pytest.raises(NotFound, match="no promise"):
        staffed.promises.close("P-nope", outcome="kept", by="x")


def test_sample_promises_import_once(staffed: Records) -> None:
    first = staffed.promises.import_csv(SAMPLE_PACK / "promises.csv", now=NOW)
    assert (first.added, first.rejected) == (12, 0)
    again = staffed.promises.import_csv(SAMPLE_PACK / "promises.csv", now=NOW)
    assert (again.added, again.updated, again.unchanged) == (0, 0, 12)
    p001 = staffed.promises.get("P001")
    assert p001.status == "kept" and p001.closed_at == p001.due_at
    assert [p.id for p in staffed.promises.list(owners=["mark.ellison"])] == ["P012"]
    overdue = staffed.promises.list(due_before=NOW)
    assert [p.id for p in overdue] == ["P008", "P009", "P010"]


def test_promise_import_reports_bad_rows_and_applies_changes(staffed: Records, tmp_path: Path) -> None:
    header = ["id", "customer_id", "promise", "owner", "due", "status"]
    path = write_csv(tmp_path / "p.csv", header, [
        ["Q1", "C00105", "Ring back", "jamal.hussain", "2026-11-30 10:00", "open"],  # 2
        ["Q2", "C99999", "Ring back", "jamal.hussain", "2026-11-30 10:00", "open"],  # 3
        ["Q3", "C00105", "Ring back", "no.body", "2026-11-30 10:00", "open"],        # 4
        ["Q4", "C00105", "Ring back", "jamal.hussain", "someday", "open"],           # 5
        ["Q5", "C00105", "Ring back", "jamal.hussain", "2026-11-30 10:00", "done"],  # 6
        ["Q6", "C00105", "", "jamal.hussain", "2026-11-30 10:00", "open"],           # 7
        ["", "C00105", "No id given", "jamal.hussain", "2026-11-10 10:00", "kept"],  # 8
    ])
    summary = staffed.promises.import_csv(path, now=NOW)
    lines = {p.line: p.reason for p in summary.problems}
    assert sorted(lines) == [3, 4, 5, 6, 7]
    assert "customer 'C99999' is unknown" in lines[3]
    assert "owner 'no.body' is not in staff" in lines[4]
    assert "due 'someday'" in lines[5]
    assert "status 'done'" in lines[6]
    assert "text what was promised is empty" in lines[7]
    assert summary.added == 2
    assert staffed.promises.import_csv(path, now=NOW).added == 0  # the id-less row got a stable id

    changed = write_csv(tmp_path / "p2.csv", header, [
        ["Q1", "C00105", "Ring back", "kerry.dunn", "2026-12-01 10:00", "open"],
    ])
    again = staffed.promises.import_csv(changed, now=NOW)
    assert again.updated == 1
    kinds = [e.kind for e in staffed.promises.events("Q1")]
    assert kinds == ["created", "rescheduled", "reassigned"]
