"""The scheduler with its job store in the records database: restarts, misfires, two schedulers at once."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from apscheduler.events import EVENT_JOB_EXECUTED, EVENT_JOB_MISSED, JobExecutionEvent
from apscheduler.schedulers.background import BackgroundScheduler
from sqlalchemy import text

from advocate.services import Services, build_services
from jobs import manager_digest
from jobs.scheduler import JOBS, JOBSTORE_TABLE, build_scheduler, start, sync_jobs
from tests.slack_api_server import SlackApiServer

BEFORE = datetime(2026, 11, 23, 7, 59, 57, tzinfo=UTC)  # Monday; London is on UTC in November
FIRE = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)


def wait_for(condition: Callable[[], bool], timeout: float = 30.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return condition()


class Runs:
    """Counts a scheduler's executions and misses of the manager digest job."""

    def __init__(self, scheduler: BackgroundScheduler) -> None:
        self.executed = 0
        self.missed = 0
        self.errors: list[BaseException] = []
        scheduler.add_listener(self._on_event, EVENT_JOB_EXECUTED | EVENT_JOB_MISSED)

    def _on_event(self, event: JobExecutionEvent) -> None:
        if event.job_id != manager_digest.JOB_ID:
            return
        if event.code == EVENT_JOB_MISSED:
            self.missed += 1
        else:
            self.executed += 1


def launch(services: Services, started: list[BackgroundScheduler]) -> tuple[BackgroundScheduler, Runs]:
    scheduler = build_scheduler(services.job_parts(), engine=services.engine)
    runs = Runs(scheduler)
    start(scheduler, services.settings)
    started.append(scheduler)
    return scheduler, runs


def manager_deliveries(services: Services) -> list[str]:
    with services.engine.connect() as connection:
        return [row[0] for row in connection.execute(text(
            "SELECT status FROM digest_deliveries WHERE kind = 'manager'"
        ))]


def digests_posted(slack_api: SlackApiServer) -> list[dict]:
    """Manager digests that reached Slack (other jobs may run too: reminders fall due as well)."""
    return [m for m in slack_api.posted()
            if ((m.get("metadata") or {}).get("event_payload") or {}).get("delivery_key", "").startswith("manager:")]


def assert_one_message_per_dm(slack_api: SlackApiServer) -> None:
    channels = [m["channel"] for m in digests_posted(slack_api)]
    assert channels and len(channels) == len(set(channels)), channels


def test_jobs_are_stored_with_fixed_ids_and_kept_across_restarts(
    org: Services, schedulers: list[BackgroundScheduler]
) -> None:
    with time_machine.travel(BEFORE - timedelta(days=1), tick=True):
        first, _ = launch(org, schedulers)
        assert {j.id for j in first.get_jobs()} == {spec.id for spec in JOBS}
        digest_job = first.get_job(manager_digest.JOB_ID)
        assert digest_job.next_run_time == FIRE - timedelta(days=1)  # it checks every quarter hour
        assert digest_job.func_ref == "jobs.manager_digest:run"
        reminders_next = first.get_job("promise_reminders").next_run_time
        first.shutdown(wait=True)
        with org.engine.connect() as connection:
            stored = {row[0] for row in connection.execute(text(f"SELECT id FROM {JOBSTORE_TABLE}"))}
        assert stored == {spec.id for spec in JOBS}
    with time_machine.travel(BEFORE - timedelta(hours=2), tick=True):
        again, _ = launch(org, schedulers)
        # The interval job keeps its stored next run instead of starting its interval over.
        assert again.get_job("promise_reminders").next_run_time == reminders_next
        org.settings.advocate_briefing_cron = "30 7 * * tue"
        assert sync_jobs(again, org.settings) == ["rescheduled advocate_briefing"]
        assert again.get_job("advocate_briefing").next_run_time == datetime(2026, 11, 24, 7, 30, tzinfo=UTC)
        assert sync_jobs(again, org.settings) == []


def test_a_run_missed_while_stopped_runs_once_after_restart(
    org: Services, slack_api: SlackApiServer, schedulers: list[BackgroundScheduler]
) -> None:
    with time_machine.travel(BEFORE, tick=True) as clock:
        first, first_runs = launch(org, schedulers)
        first.shutdown(wait=True)  # stopped before 08:00
        assert first_runs.executed == 0 and digests_posted(slack_api) == []
        clock.move_to(FIRE + timedelta(minutes=5))  # restarted five minutes late: within the grace time
        restarted = build_services(org.settings, embedder=org.embedder)
        try:
            second, runs = launch(restarted, schedulers)
            assert wait_for(lambda: runs.executed == 1)
            time.sleep(1.0)
            assert runs.executed == 1 and runs.missed == 0
            statuses = manager_deliveries(restarted)
            assert statuses and set(statuses) == {"sent"}
            assert_one_message_per_dm(slack_api)
            assert len(digests_posted(slack_api)) == len(statuses)
            assert second.get_job(manager_digest.JOB_ID).next_run_time == FIRE + timedelta(minutes=15)
            second.shutdown(wait=True)
        finally:
            restarted.close()


def test_a_run_missed_beyond_the_grace_time_is_skipped(
    org: Services, slack_api: SlackApiServer, schedulers: list[BackgroundScheduler]
) -> None:
    org.settings.misfire_grace_seconds = 60
    with time_machine.travel(BEFORE, tick=True) as clock:
        first, _ = launch(org, schedulers)
        first.shutdown(wait=True)
        clock.move_to(FIRE + timedelta(minutes=45))
        second, runs = launch(org, schedulers)
        # The job runs (its 08:45 check is on time), but the managers' 08:00 slot is past the catch-up
        # window (two check intervals with a one-minute grace): skipped, not sent late.
        assert wait_for(lambda: runs.executed == 1)
        assert digests_posted(slack_api) == []
        assert manager_deliveries(org) == []
        assert second.get_job(manager_digest.JOB_ID).next_run_time == FIRE + timedelta(hours=1)


@pytest.mark.slow
def test_two_schedulers_at_once_send_each_digest_once(
    org: Services, slack_api: SlackApiServer, schedulers: list[BackgroundScheduler]
) -> None:
    other = build_services(org.settings, embedder=org.embedder)
    try:
        with time_machine.travel(BEFORE, tick=True):
            _, runs_a = launch(org, schedulers)
            _, runs_b = launch(other, schedulers)
            # Both see the job due unless one has already moved its next run on in the shared store:
            # one run or two, each digest must reach Slack once.
            assert wait_for(lambda: runs_a.executed + runs_b.executed >= 1, timeout=45)
            time.sleep(2.0)
            assert runs_a.executed + runs_b.executed in (1, 2)
            assert runs_a.missed + runs_b.missed == 0
        statuses = manager_deliveries(org)
        assert statuses and set(statuses) == {"sent"}
        assert_one_message_per_dm(slack_api)
        assert len(digests_posted(slack_api)) == len(statuses)
    finally:
        for scheduler in schedulers:
            if scheduler.running:
                scheduler.shutdown(wait=True)
        other.close()
