"""Retrieval latency: `Retriever.search(question, k=8)` p50/p95 at 10k and 100k chunks, process warm.

The corpus is the sample pack plus synthetic but real-looking feedback: CSV files whose verbatims recombine sentences
from the sample pack's feedback and research text, with random ids, customers, dates, channels and
scores. The files go through `Ingestor.ingest`, so Chroma and the lexical index are both filled
the real way (real embeddings from the packaged model). The store is built to 10k chunks and
measured, then grown to 100k and measured again. Each search is split into query embedding,
Chroma dense search, lexical search and the rest, so a slow part is visible.

With `--data-dir` the corpus is kept and grown on later runs; `--chroma-server` then measures the same
folder served by `chroma run` over HTTP (embedded against server on the very same vectors).

    python -m bench.ask_latency [--sizes 10000,100000] [--rounds 3] [--data-dir D [--chroma-server]]
"""

from __future__ import annotations

import argparse
import csv
import random
import re
import resource
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from pathlib import Path

from bench._common import (
    SAMPLE,
    SAMPLE_FOLDERS,
    CpuMonitor,
    accumulate,
    chroma_store,
    document_blocks,
    feedback_verbatims,
    fresh_services,
    percentile,
    print_table,
    quiet,
    sentences,
    wait_for_quiet,
    warm_up,
    write_json,
)

P95_TARGET_MS = 150.0
CLEAN_CORES = 0.25  # a round counts only if other processes used less than this many cores
K = 8
PARTS = ("embed", "dense", "lexical", "get")

QUESTIONS = [
    "We plan to replace callbacks with a chatbot to cut contact-centre costs. How does it affect customers?",
    "Should we give long-standing customers the same discount we offer new ones?",
    "We are thinking of outsourcing night-time calls to a partner abroad.",
    "What if we shorten the installation windows to two hours?",
    "Should we raise prices by 8% for customers on legacy plans?",
    "We plan to remove the option to speak to a person from the phone menu.",
    "Is it a good idea to charge for paper bills?",
    "Can we stop sending engineers on Saturdays?",
    "We're considering closing two of our high-street stores.",
    "Should we make the app the only way to report a fault?",
    "What happens if we cap callbacks at one per customer per week?",
    "We want to add an exit fee for customers who leave in the first year.",
    "Should advisers be measured on call length?",
    "We plan to move billing queries to email only.",
    "Could we introduce a loyalty reward after three years with us?",
    "We're thinking about a new IVR menu with fewer options — any risks?",
    "Should we automate the cancellation flow so customers never talk to retention?",
    "Is it okay to send price-rise letters only by email?",
    "We propose to stop the proactive text when an engineer is running late.",
    "What if we let staff use the product as customers for a month?",
    "Should we offer compensation automatically when a technician misses an appointment?",
    "We plan to reduce the number of listening sessions with customers to save time.",
    "Can we route vulnerable customers to a specialist team?",
    "Decision: merge the technical and billing queues into one.",
    "Should we ask for the account number only once per call?",
    "We intend to launch a premium support tier for an extra fee.",
    "What does closing the contact centre on Sundays mean for customers?",
    "Should we stop tracking promises kept by advisers?",
    "We're planning to renegotiate the installation partner contract on price alone.",
    "How would customers react if we removed the router restart instruction?",
    "Should new customers get free installation while existing ones pay for moves?",
    "We plan to publish our complaint numbers every quarter.",
    "Is it wise to let the chatbot handle refunds end to end?",
    "Should we announce queue position on every call?",
    "We want to change the broadband speed guarantee wording in contracts.",
    "Can we reduce the callback promise from same day to within three days?",
    "What if we ended the priority care register checks to save admin time?",
    "We are considering a single bill for TV, phone and broadband.",
    "Should retention offers be hidden from customers who do not call?",
    "We plan to outsource the complaints team.",
    "Should we send a thank-you call to customers after ten years?",
    "Is it a good idea to make engineers book the next visit before they leave?",
    "We're thinking of charging business customers for out-of-hours repairs.",
    "Should the survey ask how easy it was to get help instead of recommendation?",
    "We want to stop answering social media complaints publicly.",
    "What happens if we delay refunds until the next billing cycle?",
    "Should team leaders listen to five calls a week?",
    "We plan to let customers choose their own installation slot online.",
    "Could we cut the onboarding welcome call for digital-only customers?",
    "Should price rises be tied to inflation every April?",
]

SCORE_WEIGHTS = (4, 3, 3, 4, 4, 6, 7, 9, 10, 8, 7)  # 0..10, skewed to passives and promoters
CHANNELS = ("email", "phone", "chat", "survey", "app", "store", "social")
DETAILS = (
    "Ref {ticket}.", "Account {cid}.", "That was on {day}.", "I have been with you {years} years.",
    "Waited {minutes} minutes.", "Third time this month.", "Case number {ticket} still open.",
    "Engineer visit booked for {day}.", "Bill went up by £{pounds}.", "Called {times} times now.",
)


class CorpusWriter:
    """Writes feedback CSV files of varied, real-looking verbatims."""

    def __init__(self, folder: Path, *, seed: int = 11) -> None:
        self.folder = folder
        self.rng = random.Random(seed)
        verbatims = feedback_verbatims()
        self.whole = verbatims
        self.feedback = sentences(verbatims, min_chars=15)
        research = [text for _, text in document_blocks(("research", "definition", "culture"))]
        self.research = [s for s in sentences(research, min_chars=30) if len(s) <= 220]
        folder.mkdir(parents=True, exist_ok=True)
        # A kept corpus (--data-dir) grows: new files and ids continue after the ones written before.
        self.files = len(list(folder.glob("survey-export-*.csv")))
        self.next_id = 1 + sum(max(0, sum(1 for _ in f.open(encoding="utf-8")) - 1)
                               for f in folder.glob("survey-export-*.csv"))
        self.rng.seed(seed + self.files)

    def _numbers(self, text: str) -> str:
        rng = self.rng
        return re.sub(r"\b\d{1,3}\b", lambda m: str(max(1, int(int(m.group()) * rng.uniform(0.5, 1.8)))),
                      text)

    def verbatim(self) -> str:
        rng = self.rng
        roll = rng.random()
        if roll < 0.40:
            text = rng.choice(self.whole)
        elif roll < 0.65:
            text = f"{rng.choice(self.feedback)} {rng.choice(self.feedback)}"
        elif roll < 0.85:
            lead = rng.choice(("", "Honestly, ", "As far as I can tell, ", "Fact is, ", "From my side: "))
            text = rng.choice(self.research)
            if lead and not text[:2].isupper():
                text = lead + text[0].lower() + text[1:]
        else:
            text = f"{rng.choice(self.feedback)} {rng.choice(self.research)}"
        if rng.random() < 0.5:
            text = self._numbers(text)
        if rng.random() < 0.35:
            detail = rng.choice(DETAILS).format(
                ticket=f"INC-{rng.randint(100000, 999999)}", cid=f"C{rng.randint(10000, 99999)}",
                day=(date(2024, 1, 1) + timedelta(days=rng.randint(0, 1030))).strftime("%d %B"),
                years=rng.randint(1, 19), minutes=rng.randint(5, 95), pounds=rng.randint(2, 40),
                times=rng.randint(2, 9),
            )
            text = f"{text} {detail}" if rng.random() < 0.7 else f"{detail} {text}"
        return " ".join(text.split())

    def write(self, rows: int) -> Path:
        rng = self.rng
        self.files += 1
        path = self.folder / f"survey-export-{self.files:03d}.csv"
        with path.open("w", newline="", encoding="utf-8") as handle:
            out = csv.writer(handle)
            out.writerow(["id", "date", "customer_id", "channel", "score", "verbatim"])
            for _ in range(rows):
                score = "" if rng.random() < 0.1 else str(rng.choices(range(11), weights=SCORE_WEIGHTS)[0])
                out.writerow([
                    f"FB-{self.next_id:07d}",
                    (date(2024, 1, 1) + timedelta(days=rng.randint(0, 1030))).isoformat(),
                    f"C{rng.randint(10000, 99999)}",
                    rng.choice(CHANNELS),
                    score,
                    self.verbatim(),
                ])
                self.next_id += 1
        return path


def grow(svc, writer: CorpusWriter, target: int, rows_per_file: int) -> dict:  # noqa: ANN001
    """Write and ingest feedback files until the store holds `target` chunks."""
    have = svc.store.count()
    started = time.perf_counter()
    added = 0
    while have < target:
        rows = min(rows_per_file, target - have)
        path = writer.write(rows)
        file_started = time.perf_counter()
        summary = svc.ingestor.ingest([path])
        added += summary.added
        have = svc.store.count()
        elapsed = time.perf_counter() - file_started
        print(f"  ingested {path.name}: {summary.added} chunks in {elapsed:.0f}s "
              f"({summary.added / elapsed:.0f}/s), store {have:,}", flush=True)
        if summary.rejected:
            raise SystemExit(f"synthetic rows were rejected: {summary.rejections[:3]}")
    seconds = time.perf_counter() - started
    return {"chunks_added": added, "ingest_s": round(seconds, 1),
            "ingest_chunks_per_s": round(added / seconds, 1) if seconds else None}


def run_round(retriever, questions: list[str], parts: dict, calls: dict) -> list[dict]:  # noqa: ANN001
    samples = []
    for q in questions:
        parts.clear()
        calls.clear()
        started = time.perf_counter()
        found = retriever.search(q, k=K)
        total = time.perf_counter() - started
        if len(found) != K:
            raise SystemExit(f"expected {K} results for {q!r}, got {len(found)}")
        sample = {"total": total, **{k: parts.get(k, 0.0) for k in PARTS}}
        sample["other"] = total - sum(sample[k] for k in ("embed", "dense", "lexical", "get"))
        sample["queries"] = calls.get("dense", 0)
        samples.append(sample)
    return samples


def measure(svc, questions: list[str], rounds: int) -> dict:  # noqa: ANN001
    """Time `Retriever.search` and its parts on every question, for `rounds` quiet rounds."""
    retriever = svc.retriever
    store = svc.store
    parts: dict[str, float] = {}
    calls: dict[str, float] = {}
    originals = (svc.embedder.encode, store.dense_search_each, store.lexical.search, store.get)

    def counted(key: str, fn):  # noqa: ANN001, ANN202
        timed_fn = accumulate(parts, key, fn)

        def wrapper(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
            calls[key] = calls.get(key, 0) + 1
            return timed_fn(*args, **kwargs)

        return wrapper

    svc.embedder.encode = counted("embed", originals[0])
    store.dense_search_each = counted("dense", originals[1])
    store.lexical.search = counted("lexical", originals[2])
    store.get = counted("get", originals[3])
    samples: list[dict] = []
    every: list[dict] = []
    round_log: list[dict] = []
    try:
        for q in questions[:5]:  # warm the query path (the first Chroma query loads the HNSW index)
            retriever.search(q, k=K)
        monitor = CpuMonitor()
        while sum(r["clean"] for r in round_log) < rounds and len(round_log) < 3 * rounds:
            wait_for_quiet()
            with monitor.section():
                round_samples = run_round(retriever, questions, parts, calls)
            busy = monitor.samples[-1]
            clean = busy < CLEAN_CORES
            p95 = 1000 * percentile([x["total"] for x in round_samples], 95)
            round_log.append({"busy_cores": round(busy, 2), "clean": clean, "p95_ms": round(p95, 2)})
            every += round_samples
            if clean:
                samples += round_samples
            print(f"  round {len(round_log)}: p95 {p95:.1f} ms; other processes busy {busy:.2f} cores"
                  + ("" if clean else " (discarded)"), flush=True)
    finally:
        del svc.embedder.__dict__["encode"]
        for name in ("dense_search_each", "get"):
            del store.__dict__[name]
        del store.lexical.__dict__["search"]
    contaminated = not samples
    if contaminated:  # never quiet: report every round, flagged
        samples = every

    def ms(key: str, p: float) -> float:
        return round(1000 * percentile([s[key] for s in samples], p), 2)

    return {
        "searches": len(samples),
        "rounds": round_log,
        "contaminated": contaminated,
        "two_query_vectors": sum(1 for s in samples if s["queries"] == 2),
        "p50_ms": ms("total", 50), "p95_ms": ms("total", 95), "max_ms": ms("total", 100),
        "mean_ms": round(1000 * sum(s["total"] for s in samples) / len(samples), 2),
        "parts_ms": {key: {"p50": ms(key, 50), "p95": ms(key, 95)} for key in (*PARTS, "other")},
    }


def dense_diagnostics(svc, questions: list[str]) -> dict:  # noqa: ANN001
    """Where Chroma's time goes: the retriever's filtered query against variants, same vectors."""
    store = svc.store
    vectors = svc.embedder.encode(questions)
    internal = {"visibility": {"$in": ["internal"]}}  # what Retriever.search passes by default

    def plain(v, where, include):  # noqa: ANN001, ANN202
        return store.collection.query(query_embeddings=[v], n_results=40, where=where, include=include)

    variants = {
        "dense_search, visibility filter (as retriever)": lambda v: store.dense_search(v, k=40, where=internal),
        "dense_search, no filter": lambda v: store.dense_search(v, k=40, where=None),
        "collection.query, filter, no embeddings returned": lambda v: plain(
            v, internal, ["documents", "metadatas", "distances"]),
        "collection.query, no filter, ids+distances only": lambda v: plain(v, None, ["distances"]),
        "store.count()": lambda v: store.count(),
        "lexical search alone": None,
    }
    out: dict[str, dict[str, float]] = {}
    monitor = CpuMonitor()
    for name, fn in variants.items():
        times = []
        wait_for_quiet()
        with monitor.section():
            for q, v in zip(questions, vectors, strict=True):
                started = time.perf_counter()
                if fn is None:
                    store.lexical.search(q, k=40, visibilities=("internal",))
                else:
                    fn(v)
                times.append(time.perf_counter() - started)
        out[name] = {"p50": round(1000 * percentile(times, 50), 2), "p95": round(1000 * percentile(times, 95), 2),
                     "busy_cores": round(monitor.samples[-1], 2)}
    return out


def disk_mb(path: Path) -> float:
    return round(sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) / 1e6, 1)


@contextmanager
def corpus_dir(keep: Path | None) -> Iterator[Path]:
    """The folder holding the data dir and the synthetic CSVs: kept (`--data-dir`) or temporary."""
    if keep is not None:
        keep.mkdir(parents=True, exist_ok=True)
        yield keep
        return
    with tempfile.TemporaryDirectory(prefix="advocate-bench-", ignore_cleanup_errors=True) as tmp:
        yield Path(tmp)


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="10000,100000", help="store sizes to measure at, ascending")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--rows-per-file", type=int, default=5000)
    parser.add_argument("--data-dir", type=Path, help="keep the corpus here and reuse it next time (else a temp dir)")
    parser.add_argument("--build-only", action="store_true", help="grow the corpus to the sizes, measure nothing")
    parser.add_argument("--chroma-server", action="store_true",
                        help="measure through `chroma run` serving the kept corpus (--data-dir, built by a run "
                             "without this flag) at its present size; nothing is ingested")
    args = parser.parse_args(argv)
    if args.chroma_server and args.data_dir is None:
        parser.error("--chroma-server measures a kept corpus: give --data-dir")
    sizes = [int(s) for s in args.sizes.split(",")]
    quiet()
    bench_started = time.perf_counter()
    results = []
    store = "chroma-server" if args.chroma_server else "embedded"
    with corpus_dir(args.data_dir) as tmp, chroma_store(Path(tmp) / "data", server=args.chroma_server) as url:
        svc = fresh_services(Path(tmp) / "data", chroma_url=url)
        warm_s = warm_up(svc.embedder)
        print(f"model loaded and warmed in {warm_s:.1f}s; store: {store}", flush=True)
        writer = CorpusWriter(Path(tmp) / "feedback")
        if args.chroma_server:
            sizes = [svc.store.count()]
        else:
            # The sample pack first (unchanged on a kept corpus: quick), so briefs and searches see one corpus.
            svc.ingestor.ingest([SAMPLE / name for name in SAMPLE_FOLDERS])
        for size in sizes:
            print(f"building the store to {size:,} chunks …", flush=True)
            build = grow(svc, writer, size, args.rows_per_file)
            chunks = svc.store.count()
            if args.build_only:
                continue
            print(f"measuring at {chunks:,} chunks: {len(QUESTIONS)} questions x {args.rounds} rounds",
                  flush=True)
            latency = measure(svc, QUESTIONS, args.rounds)
            latency["dense_diagnostics_ms"] = dense_diagnostics(svc, QUESTIONS)
            results.append({
                "chunks": chunks, "build": build, **latency, "data_dir_mb": disk_mb(Path(tmp) / "data"),
                "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
            })
            print(f"  p50 {latency['p50_ms']:.1f} ms, p95 {latency['p95_ms']:.1f} ms", flush=True)
        svc.close()
    if args.build_only:
        return {}

    print_table(
        f"Retriever.search latency, k={K}, warm process ({len(QUESTIONS)} questions x {args.rounds} rounds)",
        ["chunks", "searches", "p50 ms", "p95 ms", "max ms", "target p95", "build chunks/s", "data dir MB"],
        [[r["chunks"], r["searches"], r["p50_ms"], r["p95_ms"], r["max_ms"],
          f"<= {P95_TARGET_MS:.0f} ms " + ("PASS" if r["p95_ms"] <= P95_TARGET_MS else "FAIL"),
          r["build"]["ingest_chunks_per_s"], r["data_dir_mb"]] for r in results],
    )
    labels = {"embed": "query embedding", "dense": "Chroma dense search (all calls)",
              "lexical": "lexical search (FTS5)",
              "get": "store.get (lexical-only hits)", "other": "fusion, spreading, rest"}
    print_table(
        "Time split per search, ms (p50 / p95)",
        ["part", *[f"{r['chunks']:,} p50" for r in results], *[f"{r['chunks']:,} p95" for r in results]],
        [[label, *[r["parts_ms"][key]["p50"] for r in results], *[r["parts_ms"][key]["p95"] for r in results]]
         for key, label in labels.items()],
    )
    names = list(results[0]["dense_diagnostics_ms"]) if results else []
    print_table(
        "Chroma and FTS5 calls alone, one query vector each, ms (p50 / p95)",
        ["call", *[f"{r['chunks']:,} p50" for r in results], *[f"{r['chunks']:,} p95" for r in results]],
        [[name, *[r["dense_diagnostics_ms"][name]["p50"] for r in results],
          *[r["dense_diagnostics_ms"][name]["p95"] for r in results]] for name in names],
    )
    from knowledge.retrieval import decision_core

    cores = [decision_core(" ".join(q.split())) for q in QUESTIONS]
    twice = sum(c != q for c, q in zip(cores, QUESTIONS, strict=True))
    punctuation_only = sum(c != q and c == q.strip(" ?.") for c, q in zip(cores, QUESTIONS, strict=True))
    print(f"\n{twice} of {len(QUESTIONS)} questions embed and dense-search twice (question + decision core); "
          f"for {punctuation_only} of them the core differs only by the final '?' or '.'.")
    payload = {"k": K, "target_p95_ms": P95_TARGET_MS, "questions": len(QUESTIONS), "rounds": args.rounds,
               "warm_up_s": round(warm_s, 2),
               "questions_searched_twice": twice, "questions_core_differs_only_by_punctuation": punctuation_only,
               "store": store, "sizes": results}
    write_json("ask_latency" if store == "embedded" else "ask_latency_chroma_server", payload, started=bench_started)
    return payload


if __name__ == "__main__":
    main()
