"""Per-manager digest schedules: each manager's cron in their own time zone, once per local week.

Time is driven two ways: the job function called at each quarter hour of a simulated week (what the
scheduler would do), and the real scheduler restarted mid-week. Slack is the local recording server.
"""

from __future__ import annotations

import csv
import json
import time
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import time_machine
from alembic import command
from apscheduler.events import EVENT_JOB_EXECUTED, EVENT_JOB_MISSED, JobExecutionEvent
from apscheduler.schedulers.background import BackgroundScheduler
from sqlalchemy import inspect, text

from advocate.services import Services, build_services, make_engine
from jobs import digests, manager_digest
from jobs.scheduler import build_scheduler, start
from records import Records
from records.migrate import alembic_config, current_revision, head_revision
from tests.conftest import SAMPLE_PACK, run_cli
from tests.jobs.conftest import dm, slack_id
from tests.slack_api_server import SlackApiServer

MONDAY = datetime(2026, 11, 23, tzinfo=UTC)  # 00:00 UTC, ISO week 48; London is on UTC in November
LONDON_0800 = MONDAY + timedelta(hours=8)
NEW_YORK_0800 = MONDAY + timedelta(hours=13)  # EST, UTC-5
FRIDAY_1600 = MONDAY + timedelta(days=4, hours=16)
NEW_YORKER = "graham.leach"
LONDONER = "ruth.okafor"
OWN_CRON = "dan.whitlock"  # "0 16 * * fri", zone left blank: the organisation's (London)

# The extra staff columns: tz and digest_cron per handle.
SCHEDULE = {NEW_YORKER: ("America/New_York", ""), LONDONER: ("Europe/London", ""), OWN_CRON: ("", "0 16 * * fri")}


def write_staff(path: Path, *, schedule: dict[str, tuple[str, str]] = SCHEDULE, with_cron: bool = True) -> Path:
    with (SAMPLE_PACK / "staff.csv").open(encoding="utf-8") as source:
        rows = list(csv.DictReader(source))
    extra = ["slack_user_id", "tz", *(["digest_cron"] if with_cron else [])]
    with path.open("w", newline="", encoding="utf-8") as target:
        writer = csv.DictWriter(target, fieldnames=[*rows[0].keys(), *extra])
        writer.writeheader()
        for row in rows:
            tz, cron = schedule.get(row["handle"], ("", ""))
            values = {**row, "slack_user_id": slack_id(row["handle"]), "tz": tz}
            if with_cron:
                values["digest_cron"] = cron
            writer.writerow(values)
    return path


@pytest.fixture
def zoned(records_services: Services, tmp_path: Path) -> Services:
    """The sample organisation with a New York manager and a manager with their own cron."""
    records = records_services.records
    assert records.staff.import_csv(write_staff(tmp_path / "staff.csv")).rejected == 0
    assert records.customers.import_csv(SAMPLE_PACK / "customers.csv").rejected == 0
    assert records.promises.import_csv(SAMPLE_PACK / "promises.csv", now=LONDON_0800).rejected == 0
    return records_services


def sent_by_key(services: Services) -> dict[str, str]:
    with services.engine.connect() as connection:
        return dict(connection.execute(text("SELECT key, status FROM digest_deliveries WHERE kind = 'manager'")).all())


def manager_posts(slack_api: SlackApiServer) -> list[dict]:
    return [m for m in slack_api.posted()
            if ((m.get("metadata") or {}).get("event_payload") or {}).get("delivery_key", "").startswith("manager:")]


def test_each_manager_gets_the_digest_at_their_own_local_time_once_a_week(
    zoned: Services, slack_api: SlackApiServer
) -> None:
    for handle in (LONDONER, NEW_YORKER, OWN_CRON):  # each has something to say, so each is sent
        assert not manager_digest.compute(zoned.job_parts(), handle, now=LONDON_0800).empty, handle
    sent_at: dict[str, list[datetime]] = defaultdict(list)
    at = MONDAY
    while at < MONDAY + timedelta(days=7):  # the job at every quarter hour of the week
        report = manager_digest.send(zoned.job_parts(), now=at, scheduled=True)
        assert report.count("failed") == 0, report.outcomes
        for outcome in report.outcomes:
            if outcome.status == "sent":
                sent_at[outcome.key.split(":")[1]].append(at)
        at += timedelta(minutes=15)
    # Their local 08:00 on Monday, not before, and once; Dan at his own Friday 16:00, not on Monday.
    assert sent_at[LONDONER] == [LONDON_0800]
    assert sent_at[NEW_YORKER] == [NEW_YORK_0800]
    assert sent_at[OWN_CRON] == [FRIDAY_1600]
    others = {h: times for h, times in sent_at.items() if h not in SCHEDULE}
    assert others and all(times == [LONDON_0800] for times in others.values()), others
    # One ledger row per manager for the week, all sent; one DM each.
    keys = sent_by_key(zoned)
    assert set(keys.values()) == {"sent"} and all(k.endswith(":2026-W48") for k in keys)
    assert len(keys) == len(sent_at)
    channels = [m["channel"] for m in manager_posts(slack_api)]
    assert sorted(channels) == sorted(dm(h) for h in sent_at)
    # The New Yorker's digest speaks of their week, in their zone.
    assert "Your week with customers" in slack_api.posted(dm(NEW_YORKER))[0]["text"]
    # Running the job again in the same week (every hour, again) sends nothing more.
    before = len(slack_api.posted())
    for hours in range(0, 24 * 7, 1):
        again = manager_digest.send(zoned.job_parts(), now=MONDAY + timedelta(hours=hours), scheduled=True)
        assert again.count("sent") == 0 and again.count("failed") == 0
    assert len(slack_api.posted()) == before
    # The next week they come round again, at the same local times.
    week_after = manager_digest.send(zoned.job_parts(), now=NEW_YORK_0800 + timedelta(days=7), scheduled=True)
    assert [o.key for o in week_after.outcomes if o.status == "sent"] == [f"manager:{NEW_YORKER}:2026-W49"]


def test_a_missed_slot_is_sent_once_within_the_grace_time_and_skipped_after(
    zoned: Services, slack_api: SlackApiServer
) -> None:
    # Down over London's 08:00, back at 08:40: within the hour's grace, sent once, for this week.
    late = manager_digest.send(zoned.job_parts(), now=LONDON_0800 + timedelta(minutes=40), scheduled=True)
    assert f"manager:{LONDONER}:2026-W48" in {o.key for o in late.outcomes if o.status == "sent"}
    assert all(not o.key.startswith(f"manager:{NEW_YORKER}:") for o in late.outcomes)
    # With a one-minute grace the window is two check intervals: down over New York's 08:00 until
    # 08:45 there, the slot is skipped, not sent late.
    zoned.settings.misfire_grace_seconds = 60
    assert manager_digest.catch_up_window(zoned.settings) == timedelta(minutes=30)
    skipped = manager_digest.send(zoned.job_parts(), now=NEW_YORK_0800 + timedelta(minutes=45), scheduled=True)
    assert skipped.outcomes == [] and f"manager:{NEW_YORKER}:2026-W48" not in sent_by_key(zoned)
    assert slack_api.posted(dm(NEW_YORKER)) == []
    # `advocate digest send --for` still sends now, whatever the schedule.
    now = digests.send(zoned.job_parts(), kind="manager", who=NEW_YORKER, now=NEW_YORK_0800 + timedelta(hours=2))
    assert [o.status for o in now.outcomes] == ["sent"] and len(slack_api.posted(dm(NEW_YORKER))) == 1


class Runs:
    def __init__(self, scheduler: BackgroundScheduler) -> None:
        self.executed = 0
        self.missed = 0
        scheduler.add_listener(self._on_event, EVENT_JOB_EXECUTED | EVENT_JOB_MISSED)

    def _on_event(self, event: JobExecutionEvent) -> None:
        if event.job_id == manager_digest.JOB_ID:
            self.executed += event.code != EVENT_JOB_MISSED
            self.missed += event.code == EVENT_JOB_MISSED


def wait_for(condition, timeout: float = 30.0) -> bool:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return condition()


def test_a_scheduler_restart_mid_week_neither_loses_nor_doubles_a_digest(
    zoned: Services, slack_api: SlackApiServer, schedulers: list[BackgroundScheduler]
) -> None:
    with time_machine.travel(LONDON_0800 - timedelta(seconds=3), tick=True) as clock:
        first = build_scheduler(zoned.job_parts(), engine=zoned.engine)
        runs = Runs(first)
        start(first, zoned.settings)
        schedulers.append(first)
        job = first.get_job(manager_digest.JOB_ID)
        assert job.next_run_time == LONDON_0800 and job.func_ref == "jobs.manager_digest:run"
        assert wait_for(lambda: runs.executed == 1)
        first.shutdown(wait=True)  # stopped after London's digests went, before New York's 08:00
        london = sent_by_key(zoned)
        assert london.get(f"manager:{LONDONER}:2026-W48") == "sent" and f"manager:{NEW_YORKER}:2026-W48" not in london
        posted = len(manager_posts(slack_api))
        assert posted == len(london)
        clock.move_to(NEW_YORK_0800 + timedelta(minutes=20))  # back 20 minutes after New York's 08:00
        restarted = build_services(zoned.settings, embedder=zoned.embedder)
        try:
            second = build_scheduler(restarted.job_parts(), engine=restarted.engine)
            runs_after = Runs(second)
            start(second, restarted.settings)
            schedulers.append(second)
            assert wait_for(lambda: runs_after.executed == 1)  # the missed quarter hours coalesce into one run
            time.sleep(1.0)
            assert runs_after.executed == 1 and runs_after.missed == 0
            second.shutdown(wait=True)
        finally:
            restarted.close()
    keys = sent_by_key(zoned)
    assert keys[f"manager:{NEW_YORKER}:2026-W48"] == "sent"  # not lost
    assert {k: v for k, v in keys.items() if k in london} == london  # nothing of London's sent again
    channels = [m["channel"] for m in manager_posts(slack_api)]
    assert len(channels) == len(set(channels)) == posted + 1  # not doubled


def test_digest_cron_imports_by_line_keeps_when_absent_and_is_listed(
    zoned: Services, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    staff = zoned.records.staff
    assert staff.get(OWN_CRON).digest_cron == "0 16 * * fri" and staff.get(NEW_YORKER).tz == "America/New_York"
    bad = tmp_path / "bad.csv"
    bad.write_text("handle,name,digest_cron\n"
                   "dan.whitlock,Dan Whitlock,0 9 * * tue\n"
                   "sian.pryce,Siân Pryce,every friday\n"
                   "graham.leach,Graham Leach,0 25 * * mon\n", encoding="utf-8")
    summary = staff.import_csv(bad)
    assert [str(p) for p in summary.problems] == [
        "line 3: sian.pryce: digest_cron 'every friday' is not a crontab: five fields, minute hour day month "
        "weekday, e.g. '0 16 * * fri'; leave it empty for the organisation's schedule",
        "line 4: graham.leach: digest_cron '0 25 * * mon' is not a crontab: five fields, minute hour day month "
        "weekday, e.g. '0 16 * * fri'; leave it empty for the organisation's schedule",
    ]
    assert summary.updated == 1 and staff.get(OWN_CRON).digest_cron == "0 9 * * tue"  # good rows kept
    # An older staff file without the column leaves the stored schedules alone.
    assert staff.import_csv(write_staff(tmp_path / "old.csv", with_cron=False)).rejected == 0
    assert staff.get(OWN_CRON).digest_cron == "0 9 * * tue"
    # The listing shows each manager's schedule and next digest in their own zone.
    result = run_cli("staff", "list", services=zoned)
    assert result.exit_code == 0, result.stderr
    lines = {line.split()[0]: line for line in result.stdout.splitlines()}
    assert "digest '0 9 * * tue' (own)" in lines[OWN_CRON]
    assert "tz America/New_York" in lines[NEW_YORKER] and "digest '0 8 * * mon' (organisation's)" in lines[NEW_YORKER]
    assert "next Mon 23 Nov 2026 08:00 America/New_York" in lines[NEW_YORKER]  # clock at 09:00 UTC: 04:00 there
    assert "digest" not in lines["pete.holloway"]  # no reports: no manager digest
    as_json = run_cli("staff", "list", "--json", services=zoned)
    people = {p["handle"]: p for p in json.loads(as_json.stdout)["staff"]}
    assert people[OWN_CRON]["next_digest"] == "2026-11-24T09:00:00+00:00"


def test_migration_0004_up_and_down_keeps_staff_rows(database_url: str) -> None:
    engine = make_engine(database_url)
    try:
        Records(engine=engine, timezone=ZoneInfo("UTC"))
        with engine.begin() as connection:
            assert current_revision(connection) == head_revision()
            connection.execute(text(
                "INSERT INTO staff (handle, name, function, tz, digest_cron, updated_at) VALUES "
                "('a.b', 'A B', 'service', 'America/New_York', '0 16 * * fri', CURRENT_TIMESTAMP), "
                "('c.d', 'C D', 'sales', NULL, NULL, CURRENT_TIMESTAMP)"
            ))

        def migrate(step, revision: str) -> None:  # type: ignore[no-untyped-def]
            with engine.begin() as connection:
                config = alembic_config()
                config.attributes["connection"] = connection
                step(config, revision)

        migrate(command.downgrade, "0003_brief_votes")
        assert "digest_cron" not in {c["name"] for c in inspect(engine).get_columns("staff")}
        with engine.connect() as connection:
            assert current_revision(connection) == "0003_brief_votes"
            assert connection.execute(text("SELECT handle, tz FROM staff ORDER BY handle")).all() == [
                ("a.b", "America/New_York"), ("c.d", None)]
        migrate(command.upgrade, "head")
        with engine.connect() as connection:
            assert connection.execute(text("SELECT handle, tz, digest_cron FROM staff ORDER BY handle")).all() == [
                ("a.b", "America/New_York", None), ("c.d", None, None)]
    finally:
        engine.dispose()
