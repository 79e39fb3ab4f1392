"""The bounded brief pool: at most `size` at once, `queue_limit` waiting, then a polite no."""

from __future__ import annotations

import threading

from bot.workers import BriefWorkers, TrackedExecutor


def test_pool_is_bounded_and_says_no_when_full() -> None:
    workers = BriefWorkers(size=1, queue_limit=1)
    gate = threading.Event()
    running: list[int] = []

    def job(n: int) -> None:
        running.append(n)
        gate.wait(5)

    try:
        assert workers.submit(lambda: job(1))
        assert workers.submit(lambda: job(2))
        assert not workers.submit(lambda: job(3))  # one running, one waiting: full
        gate.set()
        assert workers.pending.wait(5)
        assert running == [1, 2]
        assert workers.submit(lambda: job(4))  # room again
        assert workers.pending.wait(5)
    finally:
        gate.set()
        workers.shutdown()


def test_a_failing_job_frees_its_slot() -> None:
    workers = BriefWorkers(size=1, queue_limit=0)

    def boom() -> None:
        raise RuntimeError("boom")

    try:
        assert workers.submit(boom)
        assert workers.pending.wait(5)
        assert workers.submit(lambda: None)
        assert workers.pending.wait(5)
    finally:
        workers.shutdown()


def test_tracked_executor_counts_work_in_flight() -> None:
    pool = TrackedExecutor(size=2, name="t")
    gate = threading.Event()
    try:
        pool.submit(gate.wait, 5)
        assert pool.pending.count == 1 and not pool.pending.wait(0.05)
        gate.set()
        assert pool.pending.wait(5)
    finally:
        pool.shutdown()
