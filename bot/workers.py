"""Bounded pools: slow work never holds up Slack's acknowledgement, and never piles up without limit.

Bolt runs listeners on `listener_pool`: they acknowledge at once, post a placeholder and hand the brief
to `BriefWorkers`, whose size is a setting (a brief keeps a CPU busy with embeddings). When every worker
is busy and the queue is full, `submit` says no and the asker is told to try again shortly.

Brief work also runs at a lower CPU priority than everything else in the process (Linux gives each
thread its own nice value): on a busy machine the scheduler runs an acknowledgement first, and the
brief a few milliseconds later. The threads the model and Chroma compute on are lowered too.
"""

from __future__ import annotations

import contextvars
import logging
import os
import sys
import threading
from collections.abc import Callable
from concurrent.futures import Executor, Future, ThreadPoolExecutor
from typing import Any

log = logging.getLogger(__name__)

# How much nicer brief threads are than acknowledgements: at +10 a busy thread of normal priority gets
# about nine tenths of a contended CPU.
BRIEF_NICENESS = 10
# Threads Chroma's Rust core runs queries on (its async runtime and its SQLite workers): brief work.
CHROMA_THREADS = ("tokio-rt-worker", "sqlx-sqlite-wor")


def lower_priority(tid: int | None = None, *, by: int = BRIEF_NICENESS) -> bool:
    """Make one thread (this one by default) `by` nicer; False where the platform cannot."""
    if not sys.platform.startswith("linux"):  # elsewhere a thread id given to setpriority names a process
        return False
    try:
        tid = tid or threading.get_native_id()
        os.setpriority(os.PRIO_PROCESS, tid, min(19, os.getpriority(os.PRIO_PROCESS, tid) + by))
    except (OSError, AttributeError):  # not Linux, or not allowed: briefs just compete as equals
        return False
    return True


def lower_priority_of_threads(names: tuple[str, ...] = CHROMA_THREADS, *, by: int = BRIEF_NICENESS) -> int:
    """Lower the threads of this process with these names (Linux /proc); returns how many."""
    lowered = 0
    try:
        tasks = os.listdir("/proc/self/task")
    except OSError:
        return 0
    for task in tasks:
        try:
            with open(f"/proc/self/task/{task}/comm", encoding="utf-8") as comm:
                if comm.read().strip() not in names:
                    continue
        except OSError:  # the thread has ended
            continue
        lowered += lower_priority(int(task), by=by)
    return lowered


class _Pending:
    """Counts work in flight so tests, benchmarks and shutdown can wait until all is done."""

    def __init__(self) -> None:
        self._count = 0
        self._idle = threading.Condition()

    def add(self) -> None:
        with self._idle:
            self._count += 1

    def done(self) -> None:
        with self._idle:
            self._count -= 1
            if self._count == 0:
                self._idle.notify_all()

    def wait(self, timeout: float) -> bool:
        with self._idle:
            return self._idle.wait_for(lambda: self._count == 0, timeout=timeout)

    @property
    def count(self) -> int:
        return self._count


class WorkTally:
    """The work one accepted event has started, on whichever pools it runs; `finished` is called once, when
    the last of it ends. It travels in the context (`CURRENT_TALLY`), which the pools copy into their work."""

    def __init__(self, *, finished: Callable[[], None]) -> None:
        # Called when the count drops to zero: the event's work is over.
        self._finished = finished
        self._count = 1  # the delivery itself; `done()` when it returns
        self._lock = threading.Lock()

    def add(self) -> None:
        with self._lock:
            self._count += 1

    def done(self) -> None:
        with self._lock:
            self._count -= 1
            over = self._count == 0
        if over:
            self._finished()


CURRENT_TALLY: contextvars.ContextVar[WorkTally | None] = contextvars.ContextVar("advocate_work_tally",
                                                                                 default=None)


def _tallied(done: Callable[[], None]) -> Callable[[], None]:
    """Counts work submitted now against the current event's tally (if any); returns its `done`."""
    tally = CURRENT_TALLY.get()
    if tally is None:
        return done
    tally.add()

    def both() -> None:
        tally.done()  # first: whoever waits for the pool to be idle finds the event's work recorded as over
        done()

    return both


class TrackedExecutor(Executor):
    """A thread pool that knows how much work it has in flight (Bolt's `listener_executor`)."""

    def __init__(self, *, size: int, name: str) -> None:
        # Threads; Bolt blocks the request thread only until `ack()`, so a few dozen serve many events.
        self._pool = ThreadPoolExecutor(max_workers=size, thread_name_prefix=name)
        self.pending = _Pending()

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        self.pending.add()
        done = _tallied(self.pending.done)
        try:
            # The listener runs in the request's context: its log lines carry the request's ids.
            future = self._pool.submit(contextvars.copy_context().run, fn, *args, **kwargs)
        except BaseException:
            done()
            raise
        future.add_done_callback(lambda _: done())
        return future

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        self._pool.shutdown(wait=wait, cancel_futures=cancel_futures)


class BriefWorkers:
    """At most `size` briefs at once and `queue_limit` waiting; `submit` returns False when full."""

    def __init__(self, *, size: int, queue_limit: int) -> None:
        # Briefs written at once.
        self.size = size
        # Briefs allowed to wait for a worker.
        self.queue_limit = queue_limit
        # Each worker lowers its own priority first; the model's compute threads it starts inherit it.
        self._pool = ThreadPoolExecutor(max_workers=size, thread_name_prefix="brief", initializer=lower_priority)
        self._slots = threading.BoundedSemaphore(size + queue_limit)
        self.pending = _Pending()

    def submit(self, job: Callable[[], None]) -> bool:
        if not self._slots.acquire(blocking=False):
            return False
        self.pending.add()
        done = _tallied(self.pending.done)

        def run() -> None:
            try:
                job()
            except Exception:  # the job reports its own failures; this only keeps the pool alive
                log.exception("a brief job failed outside its own error handling")
            finally:
                self._slots.release()
                done()

        try:
            self._pool.submit(contextvars.copy_context().run, run)  # the brief logs with the request's ids
        except RuntimeError:  # shutting down
            self._slots.release()
            done()
            return False
        return True

    def shutdown(self, *, wait: bool = True) -> None:
        self._pool.shutdown(wait=wait, cancel_futures=not wait)
