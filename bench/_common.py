"""Shared helpers for the benchmarks: fresh services, text pools from the sample pack, tables, JSON."""

from __future__ import annotations

import json
import logging
import os
import platform
import re
import statistics
import subprocess
import sys
import time
import warnings
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "knowledge" / "sample"
SAMPLE_FOLDERS = ("definition", "culture", "research", "feedback", "transcripts")
FEEDBACK_CSV = SAMPLE / "feedback" / "feedback.csv"
OUT = ROOT / "bench" / "out"

# Settings that must not leak in from the shell or a developer's .env into a benchmark.
ISOLATED_ENV = ("ADVOCATE_DATA_DIR", "DATABASE_URL", "CHROMA_URL", "EMBEDDING_MODEL", "LLM_MODEL",
                "ADVOCATE_COLLECTION", "LLM_TIMEOUT")


def quiet() -> None:
    """Offline, no progress bars, no library chatter on stdout."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    os.environ["ANONYMIZED_TELEMETRY"] = "False"
    for name in ISOLATED_ENV:
        os.environ.pop(name, None)
    warnings.filterwarnings("ignore")
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    for noisy in ("chromadb", "httpx", "sentence_transformers", "transformers"):
        logging.getLogger(noisy).setLevel(logging.ERROR)


def fresh_services(data_dir: Path, *, chroma_url: str = ""):  # -> advocate.services.Services
    """Services on a data dir: embedded Chroma (or the Chroma server at `chroma_url`) + SQLite, the
    packaged model."""
    from advocate.services import build_services
    from advocate.settings import DEFAULT_EMBEDDING_MODEL, Settings

    settings = Settings(
        data_dir=data_dir, database_url="", chroma_url=chroma_url, embedding_model=DEFAULT_EMBEDDING_MODEL,
        collection="advocate_knowledge", llm_model="",
    )
    svc = build_services(settings)
    _ = svc.store.collection  # open Chroma and the schemas now, not inside a timed section
    _ = svc.ingestor
    return svc


@contextmanager
def chroma_store(data_dir: Path, *, server: bool) -> Iterator[str]:
    """The CHROMA_URL to measure with: "" for the embedded store in `data_dir`, or the URL of a
    `chroma run` serving that same folder on loopback (stopped afterwards), so both are measured on
    the very same vectors. The folder must not be open in this process."""
    if not server:
        yield ""
        return
    from tests.chroma_server import ChromaServer  # the test suite's own launcher of `chroma run`

    chroma = ChromaServer(path=data_dir / "chroma")
    chroma.start()
    PART_OF_MEASUREMENT.add(chroma.pid)  # its work answers our queries: not "other processes"
    try:
        yield chroma.url
    finally:
        PART_OF_MEASUREMENT.discard(chroma.pid)
        chroma.stop()


def warm_up(embedder) -> float:  # noqa: ANN001
    """Load the model and run a few batches so neither load time nor first-call costs are measured."""
    started = time.perf_counter()
    texts = ["A customer waited forty minutes for a callback that never came."] * 64
    embedder.encode(texts)
    embedder.encode(["short"] * 8)
    embedder.encode([texts[0] * 8] * 16)
    return time.perf_counter() - started


def wait_for_feedback_csv(timeout_s: float = 1200.0, poll_s: float = 20.0) -> Path:
    """The sample feedback CSV may still be being written by someone else: wait for it to exist and settle."""
    deadline = time.monotonic() + timeout_s
    last_size = -1
    while True:
        if FEEDBACK_CSV.exists():
            size = FEEDBACK_CSV.stat().st_size
            if size > 0 and size == last_size:
                return FEEDBACK_CSV
            last_size = size
        if time.monotonic() > deadline:
            raise SystemExit(f"{FEEDBACK_CSV} is missing (waited {timeout_s:.0f}s); the benchmarks need it")
        if last_size < 0:
            print(f"waiting for {FEEDBACK_CSV.relative_to(ROOT)} …", file=sys.stderr, flush=True)
        time.sleep(poll_s if last_size < 0 else 3.0)


# -- text pools from the sample pack ------------------------------------------------------------------

def document_blocks(folders: Sequence[str] = ("research", "definition")) -> list[tuple[tuple[str, ...], str]]:
    """(headings, paragraph) from the pack's documents (Markdown, PDF, DOCX) in those folders."""
    from knowledge.documents import load_document

    blocks: list[tuple[tuple[str, ...], str]] = []
    for folder in folders:
        for path in sorted((SAMPLE / folder).iterdir()):
            if path.name.startswith("."):
                continue
            doc = load_document(path)
            blocks.extend((b.headings, b.text.strip()) for b in doc.blocks if b.text.strip())
    return blocks


def sentences(texts: Sequence[str], *, min_chars: int = 25) -> list[str]:
    from knowledge.chunking import split_sentences

    found: list[str] = []
    for text in texts:
        for s in split_sentences(" ".join(text.split())):
            if len(s) >= min_chars and not s.startswith(("-", "*", "|", "#")):
                found.append(s)
    return found


def feedback_verbatims() -> list[str]:
    from knowledge.feedback_rows import FeedbackRow, read_feedback

    path = wait_for_feedback_csv()
    return [row.verbatim for row in read_feedback(path) if isinstance(row, FeedbackRow)]


# -- measuring and reporting ----------------------------------------------------------------------------

@contextmanager
def timed(into: dict[str, float], key: str):
    started = time.perf_counter()
    try:
        yield
    finally:
        into[key] = time.perf_counter() - started


def accumulate(bucket: dict[str, float], key: str, fn: Callable) -> Callable:
    """Wrap `fn` so that every call adds its wall time to bucket[key]."""

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return fn(*args, **kwargs)
        finally:
            bucket[key] = bucket.get(key, 0.0) + time.perf_counter() - started

    return wrapper


def percentile(values: Sequence[float], p: float) -> float:
    """Linear-interpolated percentile (numpy's default), p in 0..100."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    pos = (len(ordered) - 1) * p / 100.0
    lo = int(pos)
    hi = min(lo + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (pos - lo)


def median(values: Sequence[float]) -> float:
    return statistics.median(values) if values else float("nan")


def print_table(title: str, headers: Sequence[str], rows: Sequence[Sequence[object]]) -> None:
    cells = [[str(h) for h in headers]] + [[_fmt(c) for c in row] for row in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    print(f"\n{title}")
    print("  ".join(h.ljust(w) for h, w in zip(cells[0], widths, strict=True)))
    print("  ".join("-" * w for w in widths))
    for row in cells[1:]:
        print("  ".join(c.rjust(w) if _numeric(c) else c.ljust(w) for c, w in zip(row, widths, strict=True)))
    sys.stdout.flush()


def _fmt(value: object) -> str:
    if isinstance(value, float):
        if value != value:  # NaN
            return "n/a"
        return f"{value:,.1f}" if abs(value) >= 100 else f"{value:.2f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def _numeric(text: str) -> bool:
    return bool(re.fullmatch(r"[-+]?[\d,]*\.?\d+\s*(%|ms|s|MB|/s)?", text))


def machine() -> dict[str, Any]:
    info: dict[str, Any] = {
        "cores": os.cpu_count(),
        "cpu": _cpu_model(),
        "python": platform.python_version(),
        "platform": platform.platform(),
    }
    try:
        import torch

        info["torch"] = torch.__version__
        info["torch_threads"] = torch.get_num_threads()
        info["gpu"] = bool(torch.cuda.is_available())
    except Exception:  # noqa: BLE001
        pass
    for dist in ("sentence-transformers", "chromadb", "langchain-core", "transformers"):
        try:
            from importlib.metadata import version

            info[dist] = version(dist)
        except Exception:  # noqa: BLE001
            pass
    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
                                text=True, timeout=10).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=ROOT,
                               capture_output=True, text=True, timeout=10).stdout.strip()
        info["git"] = commit + (" (uncommitted changes)" if dirty else "")
    except Exception:  # noqa: BLE001
        pass
    return info


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def write_json(name: str, results: dict[str, Any], *, started: float) -> Path:
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / f"{name}.json"
    payload = {
        "benchmark": name,
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "duration_s": round(time.perf_counter() - started, 1),
        "machine": machine(),
        **results,
    }
    path.write_text(json.dumps(payload, indent=2, ensure_ascii=False) + "\n")
    print(f"\nwrote {path.relative_to(ROOT)} ({payload['duration_s']:.0f}s)")
    return path


# Processes whose CPU time is the measurement's own, not a neighbour's (a Chroma server the benchmark runs).
PART_OF_MEASUREMENT: set[int] = set()


def _cpu_s(pid: int) -> float:
    """User + system CPU seconds of a running process (0 once it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class CpuMonitor:
    """How busy the machine was with *other* processes while a section ran (in cores, 0..cpu_count).

    Total busy CPU time comes from /proc/stat; this process's own (and its children's) from os.times().
    Another session running tests on the same two cores shows up here and explains noisy figures.
    """

    def __init__(self) -> None:
        self.samples: list[float] = []

    @staticmethod
    def _busy_s() -> float | None:
        try:
            fields = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
        except OSError:
            return None
        values = [int(v) for v in fields]
        idle = values[3] + (values[4] if len(values) > 4 else 0)
        return (sum(values[:8]) - idle) / os.sysconf("SC_CLK_TCK")

    @staticmethod
    def _own_s() -> float:
        t = os.times()
        return t.user + t.system + t.children_user + t.children_system + sum(map(_cpu_s, PART_OF_MEASUREMENT))

    @contextmanager
    def section(self):
        busy, own, started = self._busy_s(), self._own_s(), time.perf_counter()
        try:
            yield
        finally:
            wall = time.perf_counter() - started
            after = self._busy_s()
            if busy is not None and after is not None and wall > 0:
                self.samples.append(max(0.0, ((after - busy) - (self._own_s() - own)) / wall))

    @property
    def mean(self) -> float | None:
        return round(sum(self.samples) / len(self.samples), 2) if self.samples else None

    @property
    def peak(self) -> float | None:
        return round(max(self.samples), 2) if self.samples else None


def others_busy(window_s: float = 2.0) -> float | None:
    """Cores used by other processes over the next `window_s` seconds (this process sleeps meanwhile)."""
    monitor = CpuMonitor()
    with monitor.section():
        time.sleep(window_s)
    return monitor.samples[0] if monitor.samples else None


def wait_for_quiet(threshold: float = 0.3, max_wait_s: float = 60.0) -> float:
    """Wait (bounded) until other processes use less than `threshold` cores; return the seconds waited.

    The machine may be shared (another session running tests): on two cores one busy neighbour
    halves the model's speed or worse, so timed sections start only in a quiet moment when possible.
    """
    started = time.monotonic()
    while True:
        busy = others_busy()
        waited = time.monotonic() - started
        if busy is None or busy < threshold or waited >= max_wait_s:
            if busy is not None and busy >= threshold:
                print(f"  (machine still busy: other processes use {busy:.2f} cores; measuring anyway)",
                      file=sys.stderr, flush=True)
            return waited
