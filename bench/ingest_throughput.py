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
CLEAN_CORES = 0.25  # a timed section counts only if other processes used less than this many cores


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
    """Time the parts of an ingest: model encoding, Chroma add, lexical index, record manager."""
    bucket: dict[str, float] = {}
    svc.embedder.encode = accumulate(bucket, "embed", svc.embedder.encode)
    svc.store.lexical.upsert = accumulate(bucket, "lexical", svc.store.lexical.upsert)
    collection = svc.store.collection
    try:
        object.__setattr__(collection, "add", accumulate(bucket, "chroma", collection.add))
    except Exception:  # noqa: BLE001 - some Chroma versions refuse attribute writes; the rest is "other"
        pass
    manager = svc.ingestor.record_manager
    for name in ("update", "exists", "list_keys", "delete_keys", "get_time"):
        setattr(manager, name, accumulate(bucket, "record_manager", getattr(manager, name)))
    return bucket


def padded_tokens(groups: list[list[str]], batch_size: int) -> int:
    """Tokens the model processes when each group is one `encode` call: sorted by length, then
    batches padded to their longest text (sentence-transformers' behaviour)."""
    from knowledge.embeddings import SentenceTransformerEmbeddings

    model = SentenceTransformerEmbeddings().model
    limit = model.max_seq_length or 512
    total = 0
    for group in groups:
        lengths = sorted((min(limit, len(ids)) for ids in model.tokenizer(group)["input_ids"]), reverse=True)
        for start in range(0, len(lengths), batch_size):
            batch = lengths[start : start + batch_size]
            total += batch[0] * len(batch)
    return total


def per_call_groups(ids: list[str], texts: list[str], metadatas: list[dict]) -> list[list[str]]:
    """The chunk texts as `Ingestor.ingest` hands them to the model: per file, in file order, in
    groups of at most 256 (the indexing API's batch)."""
    by_source: dict[str, list[tuple[tuple[int, str, int], str]]] = {}
    for text, meta in zip(texts, metadatas, strict=True):
        order = (int(meta.get("position", 0) or 0), str(meta.get("record_id", "")),
                 int(meta.get("line", 0) or 0))
        by_source.setdefault(str(meta.get("source", "")), []).append((order, text))
    groups = []
    for source in sorted(by_source):
        ordered = [t for _, t in sorted(by_source[source], key=lambda pt: pt[0])]
        groups += [ordered[i : i + 256] for i in range(0, len(ordered), 256)]
    return groups


def quiet_timing(fn, tries: int = 3) -> tuple[float, float]:  # noqa: ANN001
    """(seconds, other processes' busy cores) of fn(), retried while the machine was busy."""
    monitor = CpuMonitor()
    best: tuple[float, float] | None = None
    for _ in range(tries):
        wait_for_quiet()
        with monitor.section():
            started = time.perf_counter()
            fn()
            seconds = time.perf_counter() - started
        result = (seconds, monitor.samples[-1])
        if best is None or result[1] < best[1]:
            best = result
        if result[1] < CLEAN_CORES:
            return result
    assert best is not None
    return best


def measure(label: str, paths: list[Path], repeats: int) -> dict:
    from knowledge.embeddings import SentenceTransformerEmbeddings

    raw = SentenceTransformerEmbeddings()
    runs: list[dict] = []
    attempts = 0
    while sum(r["clean"] for r in runs) < repeats and attempts < 3 * repeats:
        attempts += 1
        with tempfile.TemporaryDirectory(prefix="advocate-bench-", ignore_cleanup_errors=True) as tmp:
            svc = fresh_services(Path(tmp) / "data")
            parts = instrument(svc)
            monitor = CpuMonitor()
            wait_for_quiet()
            with monitor.section():
                started = time.perf_counter()
                summary = svc.ingestor.ingest(paths)
                ingest_s = time.perf_counter() - started
            stored = svc.store.collection.get(include=["documents", "metadatas"])
            svc.close()
        texts = stored["documents"]
        if summary.rejected or summary.added != len(texts):
            raise SystemExit(f"{label}: unexpected ingest {summary.as_dict()} vs {len(texts)} stored")
        groups = per_call_groups(stored["ids"], texts, stored["metadatas"])
        raw_s, raw_busy = quiet_timing(lambda: raw.encode(texts))  # noqa: B023
        raw_calls_s, calls_busy = quiet_timing(lambda: [raw.encode(g) for g in groups])  # noqa: B023
        run = {
            "ingest_s": ingest_s, "raw_s": raw_s, "raw_per_file_s": raw_calls_s, "chunks": len(texts),
            "parts_s": {**{k: round(v, 3) for k, v in parts.items()},
                        "other": round(ingest_s - sum(parts.values()), 3)},
            "background_cores": {"ingest": round(monitor.samples[-1], 2), "raw": round(raw_busy, 2),
                                 "raw_per_file": round(calls_busy, 2)},
        }
        run["clean"] = max(run["background_cores"].values()) < CLEAN_CORES
        runs.append(run)
        print(f"  {label} attempt {attempts}: {len(texts)} chunks, ingest {ingest_s:.1f}s, raw encode "
              f"{raw_s:.1f}s, raw per-file {raw_calls_s:.1f}s; other processes busy "
              f"{max(run['background_cores'].values()):.2f} cores" + ("" if run["clean"] else " (discarded)"),
              flush=True)
    # Best of the clean runs: the machine is shared, and interference only ever adds time.
    usable = [r for r in runs if r["clean"]] or runs
    best = min(usable, key=lambda r: r["ingest_s"])
    ingest_s = best["ingest_s"]
    raw_s = min(r["raw_s"] for r in usable)
    raw_calls_s = min(r["raw_per_file_s"] for r in usable)
    chunks = best["chunks"]
    return {
        "label": label,
        "files": len(discover_files(paths)),
        "chunks": chunks,
        "mean_chunk_chars": round(sum(map(len, texts)) / len(texts), 1),
        "ingest_s": round(ingest_s, 3),
        "raw_encode_s": round(raw_s, 3),
        "raw_encode_per_file_s": round(raw_calls_s, 3),
        "ingest_chunks_per_s": round(chunks / ingest_s, 2),
        "raw_chunks_per_s": round(chunks / raw_s, 2),
        "raw_per_file_chunks_per_s": round(chunks / raw_calls_s, 2),
        "ratio": round(raw_s / ingest_s, 4),
        "padded_tokens": {"one_call": padded_tokens([texts], raw.batch_size),
                          "per_file_calls": padded_tokens(groups, raw.batch_size)},
        "clean_runs": sum(r["clean"] for r in runs),
        "contaminated": not any(r["clean"] for r in runs),
        "ingest_parts_s": best["parts_s"],
        "runs": [{k: (round(v, 3) if isinstance(v, float) else v) for k, v in r.items()} for r in runs],
    }


def discover_files(paths: list[Path]) -> list[Path]:
    from knowledge.ingest import discover

    return discover(paths)


def measure_reingest(repeats: int) -> dict:
    paths = [SAMPLE / name for name in SAMPLE_FOLDERS]
    for attempt in range(3):
        with tempfile.TemporaryDirectory(prefix="advocate-bench-", ignore_cleanup_errors=True) as tmp:
            svc = fresh_services(Path(tmp) / "data")
            monitor = CpuMonitor()
            wait_for_quiet()
            with monitor.section():
                started = time.perf_counter()
                first = svc.ingestor.ingest(paths)
                first_s = time.perf_counter() - started
            first_busy = monitor.samples[-1]
            again: list[tuple[float, float]] = []
            for _ in range(repeats):
                summaries = []
                again.append(quiet_timing(lambda: summaries.append(svc.ingestor.ingest(paths))))  # noqa: B023
                summary = summaries[-1]
                if summary.added or summary.updated or summary.deleted:
                    raise SystemExit(f"re-ingest of the unchanged pack changed: {summary.as_dict()}")
            svc.close()
        print(f"  sample pack attempt {attempt + 1}: first ingest {first_s:.1f}s, re-ingest "
              f"{median([t for t, _ in again]):.2f}s; other processes busy {first_busy:.2f} cores",
              flush=True)
        if first_busy < CLEAN_CORES:
            break
    reingest_s = median([t for t, _ in again])
    return {
        "first_ingest_s": round(first_s, 3),
        "first_chunks": first.added,
        "first_rejected": first.rejected,
        "reingest_s": round(reingest_s, 3),
        "reingest_runs_s": [round(t, 3) for t, _ in again],
        "reingest_skipped": summary.skipped,
        "ratio": round(reingest_s / first_s, 4),
        "background_cores": {"first": round(first_busy, 2),
                             "reingest_max": round(max(b for _, b in again), 2)},
        "contaminated": first_busy >= CLEAN_CORES,
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
        f"Ingest throughput (warm model; best of {args.repeats} fresh stores on a quiet machine)",
        ["input", "chunks", "chars/chunk", "ingest s", "ingest chunks/s", "raw chunks/s", "ingest/raw",
         "target", "raw per-file calls chunks/s"],
        [[r["label"], r["chunks"], r["mean_chunk_chars"], r["ingest_s"], r["ingest_chunks_per_s"],
          r["raw_chunks_per_s"], f"{r['ratio']:.0%}",
          f">= {RATIO_TARGET:.0%} " + ("PASS" if r["ratio"] >= RATIO_TARGET else "FAIL"),
          r["raw_per_file_chunks_per_s"]] for r in results],
    )
    print_table(
        "Where ingest time goes (seconds, best run) and tokens the model pads to",
        ["input", "embed", "chroma add", "lexical", "record manager", "other",
         "padded tokens, one call", "padded tokens, per-file calls"],
        [[r["label"], *(r["ingest_parts_s"].get(k, 0.0) for k in ("embed", "chroma", "lexical",
                                                                  "record_manager", "other")),
          r["padded_tokens"]["one_call"], r["padded_tokens"]["per_file_calls"]]
         for r in results],
    )
    print_table(
        "Re-ingest of the unchanged sample pack (all five folders)",
        ["first ingest s", "chunks", "re-ingest s (median)", "re-ingest / first", "target"],
        [[reingest["first_ingest_s"], reingest["first_chunks"], reingest["reingest_s"],
          f"{reingest['ratio']:.1%}",
          f"<= {REINGEST_TARGET:.0%} " + ("PASS" if reingest["ratio"] <= REINGEST_TARGET else "FAIL")]],
    )
    for r in [*results, reingest]:
        if r["contaminated"]:
            print(f"note: {r.get('label', 'sample pack')}: no quiet run (other processes were busy); "
                  "its figures are slower than the code")
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
