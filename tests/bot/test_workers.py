"""The bounded brief pool: at most `size` at once, `queue_limit` waiting, then a polite no; brief work at a
lower CPU priority than acknowledgements."""

from __future__ import annotations

import ctypes
import os
import sys
import threading
from pathlib import Path

import chromadb
import pytest
from chromadb.config import Settings as ChromaSettings

from bot.workers import BRIEF_NICENESS, CHROMA_THREADS, BriefWorkers, TrackedExecutor, lower_priority_of_threads


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


def _nice(tid: int) -> int:
    return os.getpriority(os.PRIO_PROCESS, tid)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="per-thread nice values are Linux's")
def test_brief_work_runs_nicer_than_the_threads_that_acknowledge() -> None:
    workers = BriefWorkers(size=1, queue_limit=0)
    seen: list[int] = []
    try:
        assert workers.submit(lambda: seen.append(_nice(threading.get_native_id())))
        assert workers.pending.wait(5)
    finally:
        workers.shutdown()
    assert seen == [min(19, _nice(threading.get_native_id()) + BRIEF_NICENESS)]


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="thread names in /proc are Linux's")
def test_named_helper_threads_are_lowered_and_others_left_alone() -> None:
    libc = ctypes.CDLL("libc.so.6")
    named: dict[bytes, int] = {}
    ready, stop = threading.Barrier(3, timeout=5), threading.Event()

    def helper(name: bytes) -> None:
        libc.prctl(15, name, 0, 0, 0)  # PR_SET_NAME, as Chroma's Rust threads are named
        named[name] = threading.get_native_id()
        ready.wait()
        stop.wait(5)

    threads = [threading.Thread(target=helper, args=(name,)) for name in (b"advocate-help", b"advocate-other")]
    for thread in threads:
        thread.start()
    try:
        ready.wait()
        before = {name: _nice(tid) for name, tid in named.items()}
        assert lower_priority_of_threads(("advocate-help",)) == 1
        after = {name: _nice(tid) for name, tid in named.items()}
    finally:
        stop.set()
        for thread in threads:
            thread.join()
    assert after[b"advocate-help"] == min(19, before[b"advocate-help"] + BRIEF_NICENESS)
    assert after[b"advocate-other"] == before[b"advocate-other"]


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="thread names in /proc are Linux's")
def test_chroma_runs_queries_on_the_threads_that_are_lowered(tmp_path: Path) -> None:
    # Guards CHROMA_THREADS against a Chroma release that names its threads differently.
    settings = ChromaSettings(anonymized_telemetry=False)
    client = chromadb.PersistentClient(path=str(tmp_path / "chroma"), settings=settings)
    collection = client.get_or_create_collection("probe", embedding_function=None)
    collection.add(ids=["a"], embeddings=[[1.0, 0.0]], documents=["a"])
    assert collection.query(query_embeddings=[[1.0, 0.0]], n_results=1)["ids"] == [["a"]]
    names = {Path(f"/proc/self/task/{task}/comm").read_text().strip() for task in os.listdir("/proc/self/task")}
    assert set(CHROMA_THREADS) <= names
