"""Keep rate against the best past period; tenure milestones found by indexed range scans."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from sqlalchemy import text

from records import Records
from records.milestones import anniversary_in, next_milestone, stream_milestones
from records.models import Promise
from tests.records.conftest import write_csv

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)  # Monday of ISO week 48
YEARS = (1, 3, 5, 10, 15, 20, 25)
_serial = iter(range(1, 10_000))


def promise(records: Records, *, owner: str, customer: str, due: datetime, status: str,
            closed: datetime | None = None) -> None:
    with records.session() as session:
        session.add(Promise(
            id=f"K{next(_serial):04d}", customer_id=customer, text="t", owner=owner, due_at=due, due_tz="UTC",
            status=status, created_at=due - timedelta(days=3), created_by=owner,
            closed_at=closed if closed else (due if status != "open" else None),
        ))


def day(text_date: str, hour: int = 12) -> datetime:
    return datetime.fromisoformat(text_date).replace(hour=hour, tzinfo=UTC)


def seed_weeks(records: Records) -> None:
    j, k = "jamal.hussain", "kerry.dunn"
    # Week 47 (16-22 Nov): 2 on time, 1 late, 1 broken, 1 cancelled (not counted) -> 2 of 4 closed
    promise(records, owner=j, customer="C00001", due=day("2026-11-16"), status="kept")
    promise(records, owner=j, customer="C00002", due=day("2026-11-17"), status="kept")
    promise(records, owner=j, customer="C00002", due=day("2026-11-18"), status="broken")
    promise(records, owner=j, customer="C00003", due=day("2026-11-19"), status="kept", closed=day("2026-11-21"))
    promise(records, owner=j, customer="C00004", due=day("2026-11-20"), status="cancelled")
    promise(records, owner=k, customer="C00005", due=day("2026-11-20"), status="kept")
    # Week 46: 3 of 3 -> the best
    for n, when in enumerate(("2026-11-09", "2026-11-10", "2026-11-11")):
        promise(records, owner=j, customer=f"C0001{n}", due=day(when), status="kept")
    # Week 45: 4 kept, 1 still open past due -> 4 of 4 closed; the open one beside the rate, not in it
    for n, when in enumerate(("2026-11-02", "2026-11-03", "2026-11-04", "2026-11-05")):
        promise(records, owner=j, customer=f"C0002{n}", due=day(when), status="kept")
    promise(records, owner=j, customer="C00030", due=day("2026-11-06"), status="open")
    # Week 44: 100% but only 2: too few to be the standard
    promise(records, owner=j, customer="C00031", due=day("2026-10-27"), status="kept")
    promise(records, owner=j, customer="C00032", due=day("2026-10-28"), status="kept")
    # This week, not yet due: not counted
    promise(records, owner=j, customer="C00033", due=day("2026-11-26"), status="open")


def test_keep_rate_compares_with_the_best_past_week(staffed: Records) -> None:
    seed_weeks(staffed)
    report = staffed.keep_rates.report(owners=["jamal.hussain"], scope="owner:jamal.hussain", period="week", now=NOW)
    latest, best = report.latest, report.best_past
    assert latest is not None and best is not None
    assert latest.label == "2026-W47"
    assert (latest.kept_on_time, latest.kept_late, latest.broken, latest.overdue_open) == (2, 1, 1, 0)
    assert latest.rate == 0.5
    assert (latest.customers, latest.customers_all_kept) == (3, 1)  # C00002 had one broken, C00003 one late
    assert best.label == "2026-W46" and best.rate == 1.0  # not the average of past weeks, and not week 44
    assert report.below_best
    # Every view says what the standard is, with its figures and the rule that makes a week count.
    assert report.best_past_text() == ("Best past week: 100% kept on time (3 of 3 closed, 2026-W46); only weeks "
                                       "with 3 or more closed promises count.")
    kerry = staffed.keep_rates.report(owners=["kerry.dunn"], scope="owner:kerry.dunn", period="week", now=NOW)
    assert kerry.best_past is None and kerry.best_past_text() == (
        "No best past week to compare with yet: only weeks with 3 or more closed promises count.")
    by_label = {p.label: p for p in report.periods}
    # Kept on time / closed: the promise left open past due is reported beside the rate, not in it ...
    w45 = by_label["2026-W45"]
    assert (w45.rate, w45.closed, w45.overdue_open) == (1.0, 4, 1)
    # ... but its customer's promises were not all kept on time.
    assert (w45.customers, w45.customers_all_kept, w45.customer_rate) == (5, 4, 0.8)
    assert w45.as_json()["closed"] == 4 and w45.as_json()["overdue_open"] == 1
    assert report.current.label == "2026-W48" and report.current.closed == 0
    assert len(report.periods) == 13
    org = staffed.keep_rates.report(period="week", now=NOW)
    assert org.latest is not None and org.latest.closed == 5 and org.latest.kept_on_time == 3


def test_keep_rate_by_owner_team_and_month(staffed: Records) -> None:
    seed_weeks(staffed)
    chart = staffed.staff.chart()
    teams = {r.scope: r for r in staffed.keep_rates.reports_by(by="team", chart=chart, period="week", now=NOW)}
    assert set(teams) == {"team:leah.morgan", "team:tom.baines", "team:ruth.okafor"}
    leah = teams["team:leah.morgan"].latest
    assert leah is not None and (leah.kept_on_time, leah.closed) == (3, 5)
    owners = {r.scope: r for r in staffed.keep_rates.reports_by(by="owner", chart=chart, period="week", now=NOW)}
    assert owners["owner:kerry.dunn"].latest.rate == 1.0  # type: ignore[union-attr]
    only = staffed.keep_rates.reports_by(by="owner", chart=chart, now=NOW, only=["kerry.dunn"])
    assert [r.scope for r in only] == ["owner:kerry.dunn"]
    months = staffed.keep_rates.report(period="month", now=NOW)
    assert months.current.label == "2026-11" and months.latest.label == "2026-10"  # type: ignore[union-attr]
    assert (months.current.closed, months.current.kept_on_time, months.current.overdue_open) == (12, 10, 1)
    assert months.as_json()["below_best"] is False


def test_anniversaries_and_next_milestone() -> None:
    leap = date(2004, 2, 29)
    assert anniversary_in(2026, leap) == date(2026, 2, 28)
    assert anniversary_in(2028, leap) == date(2028, 2, 29)
    upcoming = next_milestone(date(2006, 11, 24), date(2026, 11, 23), YEARS)
    assert upcoming is not None and (upcoming.years, upcoming.on) == (20, date(2026, 11, 24))
    after = next_milestone(date(2006, 11, 22), date(2026, 11, 23), YEARS)
    assert after is not None and (after.years, after.on) == (25, date(2031, 11, 22))


def test_milestones_in_a_window_across_new_year_and_leap_day(records: Records, tmp_path: Path) -> None:
    rows = [
        ["M1", "Ten Years", "2016-12-30", "a", "household"],       # 10 years on 2026-12-30: in
        ["M2", "Not A Milestone", "2014-12-30", "a", "household"],  # 12 years: out
        ["M3", "New Year", "2022-01-03", "a", "household"],         # 5 years on 2027-01-03: in
        ["M4", "Leap Day", "2002-02-29".replace("2002", "2004"), "a", "household"],  # not in window
        ["M5", "Too Late", "2016-01-20", "a", "household"],         # 11 years: out anyway
        ["M6", "One Year", "2025-12-25", "b", "priority"],          # 1 year on 2026-12-25: in
    ]
    records.customers.import_csv(write_csv(tmp_path / "c.csv", ["id", "name", "customer_since", "owner", "segment"],
                                           rows))
    with records.session() as session:
        found = list(stream_milestones(session, start=date(2026, 12, 20), end=date(2027, 1, 5), years=YEARS))
    assert [(m.customer.id, m.years, m.on) for m in found] == [
        ("M6", 1, date(2026, 12, 25)), ("M1", 10, date(2026, 12, 30)), ("M3", 5, date(2027, 1, 3)),
    ]
    with records.session() as session:
        owned = list(stream_milestones(session, start=date(2026, 12, 20), end=date(2027, 1, 5), years=YEARS,
                                       owners=["a"]))
        leap = list(stream_milestones(session, start=date(2026, 2, 27), end=date(2026, 3, 1), years=(22,)))
        priority = list(stream_milestones(session, start=date(2026, 12, 20), end=date(2027, 1, 5), years=YEARS,
                                          segments=["priority"]))
    assert [m.customer.id for m in owned] == ["M1", "M3"]
    assert [(m.customer.id, m.on) for m in leap] == [("M4", date(2026, 2, 28))]
    assert [m.customer.id for m in priority] == ["M6"]


def test_milestone_query_is_an_index_range_scan(staffed: Records) -> None:
    """The plan must use the anniversary index, not read every customer."""
    from sqlalchemy.dialects import postgresql, sqlite

    from records.milestones import milestone_condition
    from records.models import Customer

    query = Customer.__table__.select().where(milestone_condition(date(2026, 11, 23), date(2026, 12, 7), YEARS))
    engine = staffed.engine
    with engine.connect() as connection:
        if engine.dialect.name == "sqlite":
            sql = str(query.compile(dialect=sqlite.dialect(), compile_kwargs={"literal_binds": True}))
            plan = " ".join(str(row[-1]) for row in connection.execute(text("EXPLAIN QUERY PLAN " + sql)))
            assert "ix_customers_anniversary" in plan, plan
            assert "SCAN customers" not in plan.replace("USING INDEX", ""), plan
        else:
            connection.execute(text("ANALYZE customers"))
            connection.execute(text("SET enable_seqscan = off"))  # 2,200 rows: make the planner show its index
            sql = str(query.compile(dialect=postgresql.dialect(), compile_kwargs={"literal_binds": True}))
            plan = " ".join(str(row[0]) for row in connection.execute(text("EXPLAIN " + sql)))
            assert "ix_customers_anniversary" in plan, plan
