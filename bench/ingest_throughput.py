"""Ingest throughput: chunks/s through `Ingestor.ingest` against raw model encoding of the same chunks.

Two inputs side by side — (a) the sample feedback CSV (one row = one chunk) and (b) ~300 KB of long
Markdown documents synthesised from the pack's research and definition text — each ingested into a
fresh data dir. The chunk texts are read back from Chroma and encoded again with
`SentenceTransformerEmbeddings().encode` alone; ingest/raw is the share of model speed that
ingestion keeps (target >= 80%). Then the unchanged sample pack is re-ingested (target <= 5% of the
first ingest). The model is loaded and warmed before anything is timed.

    python -m bench.ingest_throughput [--repeats N] [--doc-kb 300]
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
from pathlib import Path

from bench._common import (
    SAMPLE,
    SAMPLE_FOLDERS,
    CpuMonitor,
    accumulate,
    document_blocks,
    fresh_services,
    median,
    print_table,
    quiet,
    sentences,
    wait_for_feedback_csv,
    wait_for_quiet,
    warm_up,
    write_json,
)

RATIO_TARGET = 0.80
REINGEST_TARGET = 0.05


def synthesise_documents(folder: Path, *, target_bytes: int, seed: int = 7) -> list[Path]:
    """Long Markdown documents: headings and paragraphs reshuffled from the pack's own research text."""
    rng = random.Random(seed)
    blocks = document_blocks(("research", "definition"))
    headings = sorted({h[-1] for h, _ in blocks if h and 3 <= len(h[-1]) <= 80})
    pool = sentences([text for _, text in blocks if len(text) >= 80], min_chars=30)
    titles = [
        "Contact-centre review", "Customer journey audit", "Retention programme findings",
        "Service design notes", "Quarterly insight report", "Field operations study",
        "Billing experience review", "Digital channels research", "Onboarding study",
        "Complaints deep dive", "Loyalty and tenure review", "Voice of the customer annual",
    ]
    folder.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    total = 0
    number = 0
    while total < target_bytes:
        number += 1
        lines = [f"# {rng.choice(titles)} {number}", "",
                 f"Date: 2026-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}", ""]
        for _ in range(rng.randint(7, 11)):
            lines += [f"## {rng.choice(headings)}", ""]
            for _ in range(rng.randint(2, 5)):
                lines += [" ".join(rng.sample(pool, rng.randint(3, 8))), ""]
        text = "\n".join(lines)
        path = folder / f"synthetic-study-{number:02d}.md"
        path.write_text(text, encoding="utf-8")
        written.append(path)
        total += len(text.encode("utf-8"))
    return written


def instrument(svc) -> dict[str, float]:  # noqa: ANN001
    """Time the parts of an ingest: model encoding, Chroma upsert, lexical index, record manager."""
    bucket: dict[str, float] = {}
    svc.embedder.encode = accumulate(bucket, "embed", svc.embedder.encode)
    svc.store.lexical.upsert = accumulate(bucket, "lexical", svc.store.lexical.upsert)
    collection = svc.store.collection
    try:
        object.__setattr__(collection, "upsert", accumulate(bucket, "chroma", collection.upsert))
    except Exception:  # noqa: BLE001 - some Chroma versions refuse attribute writes; the rest is "other"
        pass
    manager = svc.ingestor.record_manager
    for name in ("update", "exists", "list_keys", "delete_keys", "get_time"):
        setattr(manager, name, accumulate(bucket, "record_manager", getattr(manager, name)))
    return bucket


def measure(label: str, paths: list[Path], repeats: int) -> dict:
    from knowledge.embeddings import SentenceTransformerEmbeddings

    runs = []
    background = CpuMonitor()
    for attempt in range(repeats):
        with tempfile.TemporaryDirectory(prefix="advocate-bench-", ignore_cleanup_errors=True) as tmp:
            svc = fresh_services(Path(tmp) / "data")
            parts = instrument(svc)
            wait_for_quiet()
            with background.section():
                started = time.perf_counter()
                summary = svc.ingestor.ingest(paths)
                ingest_s = time.perf_counter() - started
            texts = svc.store.collection.get(include=["documents"])["documents"]
            chunks = summary.added
            if summary.rejected or chunks != len(texts):
                raise SystemExit(f"{label}: unexpected ingest {summary.as_dict()} vs {len(texts)} stored")
            raw = SentenceTransformerEmbeddings()
            wait_for_quiet()
            with background.section():
                started = time.perf_counter()
                raw.encode(texts)
                raw_s = time.perf_counter() - started
            svc.close()
        other = ingest_s - sum(parts.values())
        runs.append({
            "ingest_s": ingest_s, "raw_s": raw_s, "chunks": chunks,
            "parts_s": {**{k: round(v, 3) for k, v in parts.items()}, "other": round(other, 3)},
            "background_cores": {"ingest": background.samples[-2], "raw": background.samples[-1]},
        })
        print(f"  {label} run {attempt + 1}: {chunks} chunks, ingest {ingest_s:.1f}s, "
              f"raw encode {raw_s:.1f}s (other processes busy {background.samples[-2]:.2f} / "
              f"{background.samples[-1]:.2f} cores)",
              flush=True)
    # Best of N: the machine is shared, and interference only ever adds time.
    best = min(runs, key=lambda r: r["ingest_s"])
    ingest_s = best["ingest_s"]
    raw_s = min(r["raw_s"] for r in runs)
    chunks = runs[0]["chunks"]
    mean_chars = sum(map(len, texts)) / len(texts)
    parts = best["parts_s"]
    return {
        "label": label,
        "files": len(paths),
        "chunks": chunks,
        "mean_chunk_chars": round(mean_chars, 1),
        "ingest_s": round(ingest_s, 3),
        "raw_encode_s": round(raw_s, 3),
        "ingest_chunks_per_s": round(chunks / ingest_s, 2),
        "raw_chunks_per_s": round(chunks / raw_s, 2),
        "ratio": round(raw_s / ingest_s, 4),
        "median_ingest_s": round(median([r["ingest_s"] for r in runs]), 3),
        "median_raw_encode_s": round(median([r["raw_s"] for r in runs]), 3),
        "background_cores_mean": background.mean,
        "ingest_parts_s": {k: round(v, 3) for k, v in parts.items()},
        "runs": runs,
    }


def measure_reingest(repeats: int) -> dict:
    paths = [SAMPLE / name for name in SAMPLE_FOLDERS]
    with tempfile.TemporaryDirectory(prefix="advocate-bench-", ignore_cleanup_errors=True) as tmp:
        svc = fresh_services(Path(tmp) / "data")
        background = CpuMonitor()
        wait_for_quiet()
        with background.section():
            started = time.perf_counter()
            first = svc.ingestor.ingest(paths)
            first_s = time.perf_counter() - started
        again = []
        for _ in range(repeats):
            wait_for_quiet()
            wait_for_quiet()
            with background.section():
                started = time.perf_counter()
                summary = svc.ingestor.ingest(paths)
                again.append(time.perf_counter() - started)
            if summary.added or summary.updated or summary.deleted:
                raise SystemExit(f"re-ingest of the unchanged pack changed something: {summary.as_dict()}")
        svc.close()
    reingest_s = median(again)
    return {
        "first_ingest_s": round(first_s, 3),
        "first_chunks": first.added,
        "first_rejected": first.rejected,
        "reingest_s": round(reingest_s, 3),
        "reingest_runs_s": [round(t, 3) for t in again],
        "reingest_skipped": summary.skipped,
        "ratio": round(reingest_s / first_s, 4),
        "background_cores": {"first": background.samples[0], "reingest_mean": round(
            sum(background.samples[1:]) / max(1, len(background.samples) - 1), 2)},
    }


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=2, help="fresh-store ingests per input (best taken)")
    parser.add_argument("--doc-kb", type=int, default=300, help="size of the synthesised documents")
    args = parser.parse_args(argv)
    quiet()
    bench_started = time.perf_counter()
    feedback_csv = wait_for_feedback_csv()

    from knowledge.embeddings import SentenceTransformerEmbeddings

    warm_s = warm_up(SentenceTransformerEmbeddings())
    print(f"model loaded and warmed in {warm_s:.1f}s (not counted)", flush=True)

    with tempfile.TemporaryDirectory(prefix="advocate-bench-docs-") as docs_tmp:
        documents = synthesise_documents(Path(docs_tmp) / "research", target_bytes=args.doc_kb * 1000)
        doc_bytes = sum(p.stat().st_size for p in documents)
        doc_label = f"long documents ({doc_bytes / 1000:.0f} KB, {len(documents)} files)"
        results = [
            measure("feedback CSV", [feedback_csv], args.repeats),
            measure(doc_label, documents, args.repeats),
        ]
    reingest = measure_reingest(args.repeats + 1)

    print_table(
        f"Ingest throughput (warm model; best of {args.repeats} fresh stores)",
        ["input", "chunks", "chars/chunk", "ingest s", "ingest chunks/s", "raw chunks/s", "ingest/raw",
         "target", "busy cores (others)"],
        [[r["label"], r["chunks"], r["mean_chunk_chars"], r["ingest_s"], r["ingest_chunks_per_s"],
          r["raw_chunks_per_s"], f"{r['ratio']:.0%}",
          f">= {RATIO_TARGET:.0%} " + ("PASS" if r["ratio"] >= RATIO_TARGET else "FAIL"),
          r["background_cores_mean"]] for r in results],
    )
    print_table(
        "Where ingest time goes (seconds, best run)",
        ["input", "embed", "chroma upsert", "lexical", "record manager", "other"],
        [[r["label"], *(r["ingest_parts_s"].get(k, 0.0) for k in ("embed", "chroma", "lexical",
                                                                  "record_manager", "other"))]
         for r in results],
    )
    print_table(
        "Re-ingest of the unchanged sample pack (all five folders)",
        ["first ingest s", "chunks", "re-ingest s (median)", "re-ingest / first", "target",
         "busy cores (others)"],
        [[reingest["first_ingest_s"], reingest["first_chunks"], reingest["reingest_s"],
          f"{reingest['ratio']:.1%}",
          f"<= {REINGEST_TARGET:.0%} " + ("PASS" if reingest["ratio"] <= REINGEST_TARGET else "FAIL"),
          reingest["background_cores"]["first"]]],
    )
    payload = {
        "targets": {"ingest_over_raw_min": RATIO_TARGET, "reingest_over_first_max": REINGEST_TARGET},
        "warm_up_s": round(warm_s, 2),
        "throughput": results,
        "reingest": reingest,
    }
    write_json("ingest_throughput", payload, started=bench_started)
    return payload


if __name__ == "__main__":
    main()
