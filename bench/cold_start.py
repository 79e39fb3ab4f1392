"""Cold start: wall time and peak RSS of `advocate ask "QUESTION" --json` as a fresh process.

A temporary data dir gets the sample pack through `advocate ingest`; then the console script is run
N times (model load included in every run; the OS file cache is warm after the first). Peak RSS
comes from `/usr/bin/time -v` when present, else from getrusage(RUSAGE_CHILDREN). To show where a
cold start goes, `advocate --help` (imports only) is timed too, and one instrumented process reports
its phases (imports, model load, store open, first and second search) and its heaviest imports.

    python -m bench.cold_start [--runs 5]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench._common import (
    ISOLATED_ENV,
    SAMPLE,
    SAMPLE_FOLDERS,
    CpuMonitor,
    median,
    print_table,
    quiet,
    wait_for_feedback_csv,
    wait_for_quiet,
    write_json,
)

QUESTION = ("We plan to replace callbacks with a chatbot to cut contact-centre costs. "
            "How does this affect customers?")
GNU_TIME = "/usr/bin/time"
CLEAN_CORES = 0.25  # a run counts only if other processes used less than this many cores

PHASES = r"""
import json, sys, time
t0 = time.perf_counter()
from advocate.services import build_services
from advocate.settings import load_settings
t1 = time.perf_counter()
svc = build_services(load_settings())
svc.embedder.model
t2 = time.perf_counter()
svc.store.collection
svc.retriever
t3 = time.perf_counter()
first = svc.retriever.search(sys.argv[1], k=8)
t4 = time.perf_counter()
svc.retriever.search(sys.argv[1], k=8)
t5 = time.perf_counter()
out = {"import_s": t1 - t0, "model_load_s": t2 - t1, "store_open_s": t3 - t2,
       "first_search_s": t4 - t3, "second_search_s": t5 - t4}
if getattr(type(svc), "advisor", None) is not None:  # `ask` writes a brief on top of the search
    a0 = time.perf_counter()
    svc.advisor
    a1 = time.perf_counter()
    svc.advisor.brief(sys.argv[1])
    a2 = time.perf_counter()
    svc.advisor.brief(sys.argv[1])
    a3 = time.perf_counter()
    out.update(advisor_setup_s=a1 - a0, first_brief_s=a2 - a1, second_brief_s=a3 - a2)
print(json.dumps(out))
"""


def advocate_script() -> str:
    beside = Path(sys.executable).parent / "advocate"
    if beside.exists():
        return str(beside)
    found = shutil.which("advocate")
    if not found:
        raise SystemExit("the advocate console script is not installed in this environment")
    return found


def parse_gnu_time(stderr: str) -> dict[str, float]:
    out: dict[str, float] = {}
    rss = re.search(r"Maximum resident set size \(kbytes\):\s*(\d+)", stderr)
    if rss:
        out["peak_rss_mb"] = int(rss.group(1)) / 1024
    elapsed = re.search(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\):\s*([\d:.]+)", stderr)
    if elapsed:
        seconds = 0.0
        for part in elapsed.group(1).split(":"):
            seconds = seconds * 60 + float(part)
        out["gnu_elapsed_s"] = seconds
    for key, pattern in (("user_s", r"User time \(seconds\):\s*([\d.]+)"),
                         ("system_s", r"System time \(seconds\):\s*([\d.]+)")):
        found = re.search(pattern, stderr)
        if found:
            out[key] = float(found.group(1))
    return out


def run_ask(script: str, env: dict[str, str], cwd: Path, use_gnu_time: bool,
            extra: tuple[str, ...] = ()) -> dict:
    command = [script, "ask", QUESTION, "--json", *extra]
    if use_gnu_time:
        command = [GNU_TIME, "-v", *command]
    started = time.perf_counter()
    proc = subprocess.run(command, env=env, cwd=cwd, capture_output=True, text=True, timeout=600)
    wall = time.perf_counter() - started
    if proc.returncode != 0:
        raise SystemExit(f"advocate ask failed ({proc.returncode}): {proc.stderr[-2000:]}")
    answer = json.loads(proc.stdout)
    run = {"wall_s": wall, "sources": len(answer.get("sources", []))}
    if use_gnu_time:
        run.update(parse_gnu_time(proc.stderr))
    else:
        run["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return run


def cold_runs(script: str, env: dict[str, str], cwd: Path, use_gnu_time: bool, count: int,
              extra: tuple[str, ...] = ()) -> list[dict]:
    """`count` quiet runs of the CLI (a run during which other processes were busy is done again)."""
    runs: list[dict] = []
    monitor = CpuMonitor()
    while sum(r["clean"] for r in runs) < count and len(runs) < 2 * count + 1:
        wait_for_quiet()
        with monitor.section():
            run = run_ask(script, env, cwd, use_gnu_time, extra)
        run["busy_cores"] = round(monitor.samples[-1], 2)
        run["clean"] = run["busy_cores"] < CLEAN_CORES
        runs.append(run)
        rss = run.get("peak_rss_mb", float("nan"))
        label = " ".join(("ask --json", *extra))
        print(f"  {label} run {len(runs)}: {run['wall_s']:.2f}s, peak RSS {rss:.0f} MB, "
              f"{run['sources']} sources; other processes busy {run['busy_cores']:.2f} cores"
              + ("" if run["clean"] else " (discarded)"), flush=True)
    return [r for r in runs if r["clean"]] or runs


def heaviest_imports(env: dict[str, str], cwd: Path, top: int = 8) -> list[dict]:
    """Cumulative import times (-X importtime) of one `ask`, top-level packages only."""
    code = ("import sys; from advocate.cli import main; "
            f"sys.argv = ['advocate', 'ask', {QUESTION!r}, '--json']; main()")
    proc = subprocess.run([sys.executable, "-X", "importtime", "-c", code], env=env, cwd=cwd,
                          capture_output=True, text=True, timeout=600)
    totals: dict[str, int] = {}
    for line in proc.stderr.splitlines():
        found = re.match(r"import time:\s*(\d+)\s*\|\s*(\d+)\s*\|(\s*)(\S+)", line)
        if not found:
            continue
        cumulative, indent, name = int(found.group(2)), len(found.group(3)), found.group(4)
        if indent <= 1:  # imported directly by the process, not nested
            root = name.split(".")[0]
            totals[root] = totals.get(root, 0) + cumulative
    ranked = sorted(totals.items(), key=lambda kv: -kv[1])[:top]
    return [{"package": name, "cumulative_s": round(us / 1e6, 2)} for name, us in ranked]


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args(argv)
    quiet()
    bench_started = time.perf_counter()
    wait_for_feedback_csv()
    script = advocate_script()
    use_gnu_time = os.access(GNU_TIME, os.X_OK)

    with tempfile.TemporaryDirectory(prefix="advocate-bench-", ignore_cleanup_errors=True) as tmp:
        cwd = Path(tmp)  # no developer .env is picked up from here
        env = {k: v for k, v in os.environ.items() if k not in ISOLATED_ENV}
        env["ADVOCATE_DATA_DIR"] = str(cwd / "data")

        started = time.perf_counter()
        proc = subprocess.run([script, "ingest", *(str(SAMPLE / f) for f in SAMPLE_FOLDERS), "--json"],
                              env=env, cwd=cwd, capture_output=True, text=True, timeout=900)
        ingest_s = time.perf_counter() - started
        if proc.returncode != 0:
            raise SystemExit(f"advocate ingest failed ({proc.returncode}): {proc.stderr[-2000:]}")
        ingested = json.loads(proc.stdout)
        print(f"sample pack ingested by the CLI in {ingest_s:.1f}s: {ingested['added']} chunks", flush=True)

        help_runs = []
        for _ in range(3):
            started = time.perf_counter()
            subprocess.run([script, "--help"], env=env, cwd=cwd, capture_output=True, timeout=300, check=True)
            help_runs.append(time.perf_counter() - started)

        runs = cold_runs(script, env, cwd, use_gnu_time, args.runs)
        ask_help = subprocess.run([script, "ask", "--help"], env=env, cwd=cwd, capture_output=True, text=True,
                                  timeout=300).stdout
        # `ask --json` writes a brief; `--passages` (when the CLI has it) is the retrieval alone.
        passage_runs = (cold_runs(script, env, cwd, use_gnu_time, 3, ("--passages",))
                        if "--passages" in ask_help else [])

        phase_runs = []
        monitor = CpuMonitor()
        attempts = 0
        while len(phase_runs) < 3 and attempts < 6:
            attempts += 1
            wait_for_quiet()
            with monitor.section():
                proc = subprocess.run([sys.executable, "-c", PHASES, QUESTION], env=env, cwd=cwd,
                                      capture_output=True, text=True, timeout=600, check=True)
            if monitor.samples[-1] < CLEAN_CORES or attempts >= 6:
                phase_runs.append(json.loads(proc.stdout.strip().splitlines()[-1]))
        phases = {k: round(median([p[k] for p in phase_runs]), 3) for k in phase_runs[0]}
        imports = heaviest_imports(env, cwd)

    walls = [r["wall_s"] for r in runs]
    rss = [r["peak_rss_mb"] for r in runs if "peak_rss_mb" in r]
    summary = {
        "question": QUESTION,
        "runs": args.runs,
        "rss_source": "/usr/bin/time -v" if use_gnu_time else "getrusage(RUSAGE_CHILDREN)",
        "median_s": round(median(walls), 3),
        "max_s": round(max(walls), 3),
        "first_run_s": round(walls[0], 3),
        "peak_rss_mb_median": round(median(rss), 1) if rss else None,
        "peak_rss_mb_max": round(max(rss), 1) if rss else None,
        "help_median_s": round(median(help_runs), 3),
        "passages_median_s": round(median([r["wall_s"] for r in passage_runs]), 3) if passage_runs else None,
        "passages_peak_rss_mb_median": (round(median([r["peak_rss_mb"] for r in passage_runs]), 1)
                                        if passage_runs and "peak_rss_mb" in passage_runs[0] else None),
        "contaminated": not all(r["clean"] for r in runs),
        "sample_pack_chunks": ingested["added"],
        "cli_ingest_s": round(ingest_s, 2),
        "phases_s": phases,
        "heaviest_imports": imports,
        "run_details": [{k: round(v, 3) if isinstance(v, float) else v for k, v in r.items()} for r in runs],
        "passages_run_details": [{k: round(v, 3) if isinstance(v, float) else v for k, v in r.items()}
                                 for r in passage_runs],
    }

    print_table(
        f"Cold `advocate ask --json` ({args.runs} runs, sample pack of {ingested['added']} chunks)",
        ["command", "runs", "median s", "max s", "peak RSS MB (median)", "peak RSS MB (max)"],
        [["advocate ask Q --json", len(runs), summary["median_s"], summary["max_s"],
          summary["peak_rss_mb_median"], summary["peak_rss_mb_max"]],
         *([["advocate ask Q --json --passages", len(passage_runs), summary["passages_median_s"],
             round(max(r["wall_s"] for r in passage_runs), 3), summary["passages_peak_rss_mb_median"],
             max((r.get("peak_rss_mb", 0) for r in passage_runs), default=None)]] if passage_runs else []),
         ["advocate --help (imports only)", len(help_runs), summary["help_median_s"],
          round(max(help_runs), 3), "", ""]],
    )
    print_table(
        "Where a cold start goes (instrumented process, median of 3; interpreter start not included)",
        ["phase", "s"],
        [["import advocate (services, chromadb, langchain, sqlalchemy)", phases["import_s"]],
         ["load the embedding model (torch, sentence-transformers, weights)", phases["model_load_s"]],
         ["open the store (Chroma client, collection, SQLite)", phases["store_open_s"]],
         ["first search", phases["first_search_s"]],
         ["second search (same process)", phases["second_search_s"]],
         *([["set up the advisor (lenses, functions, writer)", phases["advisor_setup_s"]],
            ["first brief (grounded writer, no LLM)", phases["first_brief_s"]],
            ["second brief", phases["second_brief_s"]]] if "advisor_setup_s" in phases else [])],
    )
    print_table("Heaviest top-level imports of one `ask` (-X importtime, cumulative)", ["package", "s"],
                [[i["package"], i["cumulative_s"]] for i in imports])
    write_json("cold_start", summary, started=bench_started)
    return summary


if __name__ == "__main__":
    main()
