"""Grounded brief latency at 10k and 100k chunks, process warm.

The sample pack is ingested first (so briefs have a definition, research and transcripts to draw on),
then the store is grown with synthetic feedback (bench.ask_latency's corpus) to each size, and
`Advisor.brief` is timed on varied decision questions. Target: p95 ≤ 400 ms at 100k.

    python -m bench.brief_latency [--sizes 10000,100000] [--rounds 2] [--data-dir D [--chroma-server]]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from bench._common import (
    SAMPLE,
    SAMPLE_FOLDERS,
    CpuMonitor,
    chroma_store,
    fresh_services,
    percentile,
    print_table,
    quiet,
    wait_for_quiet,
    warm_up,
    write_json,
)
from bench.ask_latency import QUESTIONS, CorpusWriter, corpus_dir, grow


def measure(svc, questions: list[str], rounds: int) -> dict:  # noqa: ANN001
    advisor = svc.advisor
    started = time.perf_counter()
    warmed = advisor.warm()  # as `advocate serve` does at start: the quotable sentences embedded once
    warm_s = time.perf_counter() - started
    for question in questions[:3]:  # first use loads lens vectors and warms Chroma
        advisor.brief(question)
    samples: list[float] = []
    monitor = CpuMonitor()
    with monitor.section():
        for _ in range(rounds):
            for question in questions:
                started = time.perf_counter()
                brief = advisor.brief(question)
                samples.append(time.perf_counter() - started)
                if brief.writer != "grounded" or not brief.sections.get("questions"):
                    raise SystemExit(f"unexpected brief for {question!r}")
    return {
        "briefs": len(samples),
        "p50_ms": round(1000 * percentile(samples, 50), 1),
        "p95_ms": round(1000 * percentile(samples, 95), 1),
        "max_ms": round(1000 * max(samples), 1),
        "other_processes_cores": monitor.mean,
        "warm_sentences": warmed,
        "warm_s": round(warm_s, 1),
    }


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="10000,100000", help="store sizes to measure at, ascending")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--rows-per-file", type=int, default=5000)
    parser.add_argument("--data-dir", type=Path, help="reuse the corpus kept by `bench.ask_latency --data-dir`")
    parser.add_argument("--chroma-server", action="store_true",
                        help="measure through `chroma run` serving the kept corpus (--data-dir) at its present size")
    args = parser.parse_args(argv)
    if args.chroma_server and args.data_dir is None:
        parser.error("--chroma-server measures a kept corpus: give --data-dir")
    quiet()
    started = time.perf_counter()
    store = "chroma-server" if args.chroma_server else "embedded"
    results: dict = {"target_p95_ms_at_100k": 400, "store": store, "sizes": []}
    with corpus_dir(args.data_dir) as tmp, chroma_store(Path(tmp) / "data", server=args.chroma_server) as url:
        svc = fresh_services(Path(tmp) / "data", chroma_url=url)
        warm_up(svc.embedder)
        sizes = [int(s) for s in args.sizes.split(",")]
        if args.chroma_server:
            sizes = [svc.store.count()]
        else:
            svc.ingestor.ingest([SAMPLE / name for name in SAMPLE_FOLDERS])  # unchanged on a kept corpus: quick
        writer = CorpusWriter(Path(tmp) / "feedback")
        for size in sizes:
            grow(svc, writer, size, args.rows_per_file)
            wait_for_quiet()
            figures = measure(svc, QUESTIONS, args.rounds)
            results["sizes"].append({"chunks": svc.store.count(), **figures})
            print(f"  at {svc.store.count():,} chunks: {figures}", flush=True)  # a long run may be cut short
        svc.close()
    print_table(
        "Grounded brief latency (warm process)",
        ["chunks", "briefs", "p50 ms", "p95 ms", "max ms", "other cores"],
        [[r["chunks"], r["briefs"], r["p50_ms"], r["p95_ms"], r["max_ms"], r["other_processes_cores"]]
         for r in results["sizes"]],
    )
    write_json("brief_latency" if store == "embedded" else "brief_latency_chroma_server", results, started=started)
    return results


if __name__ == "__main__":
    main()
