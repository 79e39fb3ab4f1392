"""The scheduler: APScheduler 3 with its job store in the records database.

Jobs are module-level functions taking the job parts (`jobs/parts.py`), with fixed ids (`JOBS`). The
job store keeps only the reference ("jobs.manager_digest:run"), the schedule and a placeholder argument,
never the parts or a secret; the executor puts the parts the scheduler was built with in the
placeholder's place (no globals).

Schedules survive restarts: on start a job is added only when missing, and rescheduled only when its
trigger changed in the settings, so a run missed while stopped is still due. A missed run within
MISFIRE_GRACE_SECONDS runs once (several missed runs coalesce into one); an older one is skipped.

Two schedulers started by mistake both run the jobs, and the delivery ledger makes the second
harmless: each digest goes out once (jobs/delivery.py).

The manager digest is per manager (their cron in their time zone): its job only looks, every
quarter hour, for managers whose slot has come (jobs/manager_digest.py), so its stored trigger does not
change when staff or MANAGER_DIGEST_CRON do.
"""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from apscheduler.executors.base import run_job
from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy import Engine

from advocate.logging_setup import bound, new_request_id
from advocate.settings import Settings
from jobs import advocate_briefing, delivery_retry, manager_digest, promise_reminders
from jobs.parts import JobParts

log = logging.getLogger(__name__)

JOBSTORE_TABLE = "apscheduler_jobs"
# What the job store keeps as each job's one argument; the executor puts the job parts in its place.
# Stores already hold this value, so it stays as it is.
PARTS_ARG = "<services>"


@dataclass(frozen=True)
class JobSpec:
    id: str
    func: Callable[[JobParts], None]
    trigger: Callable[[Settings], BaseTrigger]
    name: str


JOBS: tuple[JobSpec, ...] = (
    # Every CHECK_MINUTES; each manager's own slot (their cron, their zone) is decided inside the run.
    JobSpec(manager_digest.JOB_ID, manager_digest.run, lambda s: manager_digest.job_trigger(),
            f"Manager digest (weekly per manager; due slots checked every {manager_digest.CHECK_MINUTES} min)"),
    JobSpec(advocate_briefing.JOB_ID, advocate_briefing.run, lambda s: CronTrigger.from_crontab(
        s.advocate_briefing_cron, timezone=s.zone), "Advocate briefing (weekly)"),
    JobSpec(promise_reminders.JOB_ID, promise_reminders.run, lambda s: IntervalTrigger(
        minutes=s.reminder_interval_minutes, timezone=s.zone), "Promise reminders"),
    JobSpec(delivery_retry.JOB_ID, delivery_retry.run, lambda s: IntervalTrigger(
        minutes=s.reminder_interval_minutes, timezone=s.zone), "Retry pending deliveries"),
)


class _BoundJob:
    """A job as APScheduler's `run_job` sees it, with the job parts in place of the placeholder."""

    def __init__(self, job: Any, parts: JobParts) -> None:
        self._job = job
        self.id = job.id
        self.func = job.func
        self.args = tuple(parts if arg == PARTS_ARG else arg for arg in job.args)
        self.kwargs = job.kwargs
        self.misfire_grace_time = job.misfire_grace_time

    def __str__(self) -> str:
        return str(self._job)


class PartsExecutor(ThreadPoolExecutor):
    """A thread pool executor that passes the job parts to every job."""

    def __init__(self, *, parts: JobParts, max_workers: int = 4) -> None:
        # What the jobs use, handed to each job run.
        self.parts = parts
        super().__init__(max_workers=max_workers)

    def _do_submit_job(self, job: Any, run_times: list[Any]) -> None:
        # Every log line of this run carries the job's id and an id of the run (advocate/logging_setup.py).
        run_id = new_request_id()

        def callback(future: Any) -> None:
            with bound(job_id=job.id, request_id=run_id):
                exc = future.exception()
                if exc:
                    self._run_job_error(job.id, exc, getattr(exc, "__traceback__", None))
                else:
                    self._run_job_success(job.id, future.result())

        future = self._pool.submit(_run_with_log_ids, job.id, run_id, _BoundJob(job, self.parts),
                                   job._jobstore_alias, run_times, self._logger.name)
        future.add_done_callback(callback)


def _run_with_log_ids(job_id: str, run_id: str, *args: Any) -> Any:
    with bound(job_id=job_id, request_id=run_id):
        return run_job(*args)


def build_scheduler(parts: JobParts, *, engine: Engine) -> BackgroundScheduler:
    """The scheduler (not started), its job store in `engine` (the records database)."""
    settings = parts.settings
    return BackgroundScheduler(
        jobstores={"default": SQLAlchemyJobStore(engine=engine, tablename=JOBSTORE_TABLE)},
        executors={"default": PartsExecutor(parts=parts)},
        job_defaults={"coalesce": True, "misfire_grace_time": settings.misfire_grace_seconds, "max_instances": 1},
        timezone=settings.zone,
    )


def start(scheduler: BackgroundScheduler, settings: Settings) -> None:
    """Start, then make the stored jobs match the settings without losing a run that is due."""
    scheduler.start(paused=True)
    sync_jobs(scheduler, settings)
    scheduler.resume()


def sync_jobs(scheduler: BackgroundScheduler, settings: Settings) -> list[str]:
    """Add missing jobs, reschedule changed ones, leave the rest (and their next run time) alone."""
    changes: list[str] = []
    for spec in JOBS:
        trigger = spec.trigger(settings)
        existing = scheduler.get_job(spec.id)
        if existing is None:
            scheduler.add_job(spec.func, trigger=trigger, args=[PARTS_ARG], id=spec.id, name=spec.name,
                              replace_existing=True)
            changes.append(f"added {spec.id}")
        elif _trigger_key(existing.trigger) != _trigger_key(trigger):
            scheduler.reschedule_job(spec.id, trigger=trigger)
            changes.append(f"rescheduled {spec.id}")
        elif existing.misfire_grace_time != settings.misfire_grace_seconds:
            scheduler.modify_job(spec.id, misfire_grace_time=settings.misfire_grace_seconds)
            changes.append(f"updated {spec.id}")
    for change in changes:
        log.info("scheduler: %s", change)
    return changes


def _trigger_key(trigger: BaseTrigger) -> str:
    return f"{trigger} {getattr(trigger, 'timezone', '')}"


def run_forever(
    parts: JobParts, *, engine: Engine, on_started: Callable[[BackgroundScheduler], None] | None = None
) -> None:
    """`advocate jobs`: run the scheduler in the foreground until Ctrl-C or SIGTERM."""
    scheduler = build_scheduler(parts, engine=engine)
    stop = threading.Event()

    def _stop(_signum: int, _frame: object) -> None:
        stop.set()

    previous = signal.signal(signal.SIGTERM, _stop)
    start(scheduler, parts.settings)
    if on_started:
        on_started(scheduler)
    try:
        while not stop.wait(1.0):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        scheduler.pause()  # no new runs while the running one finishes
        scheduler.shutdown(wait=True)
        signal.signal(signal.SIGTERM, previous)
