"""CLI start-up: wall time of `advocate --help` and of records-only commands, each a fresh process.

A temporary data dir gets the sample staff, customers and promises through the CLI, and the sample
feedback through `advocate ingest` (the customer card and the thank-you suggestions quote it, so those
commands open the vector store). Then each command is run N times as a fresh process and the median
and max wall times are printed; a run during which other processes used a quarter of a core or more
is done again (the machine may be shared). One more process per command reports its heaviest imports.

Targets: `advocate --help` ≤ 0.5 s; `advocate customer ID` and `advocate thanks due` ≤ 1.5 s.

    python -m bench.cli_startup [--runs 5]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench._common import (
    FEEDBACK_CSV,
    ISOLATED_ENV,
    SAMPLE,
    CpuMonitor,
    median,
    print_table,
    quiet,
    wait_for_quiet,
    write_json,
)
from bench.cold_start import advocate_script

CLEAN_CORES = 0.25  # a run counts only if other processes used less than this many cores
# (label, arguments, target in seconds)
COMMANDS: tuple[tuple[str, tuple[str, ...], float], ...] = (
    ("advocate --help", ("--help",), 0.5),
    ("advocate customer C00105", ("customer", "C00105"), 1.5),
    ("advocate thanks due", ("thanks", "due"), 1.5),
    ("advocate promises list", ("promises", "list"), 1.5),
)


def run(script: str, args: tuple[str, ...], env: dict[str, str], cwd: Path) -> float:
    started = time.perf_counter()
    proc = subprocess.run([script, *args], env=env, cwd=cwd, capture_output=True, text=True, timeout=300)
    wall = time.perf_counter() - started
    if proc.returncode != 0:
        raise SystemExit(f"advocate {' '.join(args)} failed ({proc.returncode}): {proc.stderr[-2000:]}")
    return wall


def timed_runs(script: str, args: tuple[str, ...], env: dict[str, str], cwd: Path, count: int) -> list[dict]:
    """`count` quiet runs (a run during which other processes were busy is done again, up to 2N+1 runs)."""
    runs: list[dict] = []
    monitor = CpuMonitor()
    while sum(r["clean"] for r in runs) < count and len(runs) < 2 * count + 1:
        wait_for_quiet()
        with monitor.section():
            wall = run(script, args, env, cwd)
        busy = round(monitor.samples[-1], 2)
        runs.append({"wall_s": round(wall, 3), "busy_cores": busy, "clean": busy < CLEAN_CORES})
        print(f"  advocate {' '.join(args)} run {len(runs)}: {wall:.2f}s; other processes busy {busy:.2f} cores"
              + ("" if busy < CLEAN_CORES else " (discarded)"), flush=True)
    return runs


def heaviest_imports(args: tuple[str, ...], env: dict[str, str], cwd: Path, top: int = 6) -> list[dict]:
    """Import time (-X importtime) of one run by top-level package: each module's own time, summed, so a
    package imported from inside another is counted as itself."""
    code = f"import sys; from advocate.cli import main; sys.argv = ['advocate', *{list(args)!r}]; main()"
    proc = subprocess.run([sys.executable, "-X", "importtime", "-c", code], env=env, cwd=cwd,
                          capture_output=True, text=True, timeout=300)
    totals: dict[str, int] = {}
    for line in proc.stderr.splitlines():
        found = re.match(r"import time:\s*(\d+)\s*\|\s*\d+\s*\|\s*(\S+)", line)
        if found:
            root = found.group(2).split(".")[0]
            totals[root] = totals.get(root, 0) + int(found.group(1))
    ranked = sorted(totals.items(), key=lambda kv: -kv[1])[:top]
    return [{"package": name, "self_s": round(us / 1e6, 2)} for name, us in ranked]


def prepare(script: str, env: dict[str, str], cwd: Path) -> None:
    """The sample staff, customers and promises, and the sample feedback, in a fresh data dir."""
    for args in (("staff", "import", str(SAMPLE / "staff.csv")),
                 ("customers", "import", str(SAMPLE / "customers.csv")),
                 ("promises", "import", str(SAMPLE / "promises.csv")),
                 ("ingest", str(FEEDBACK_CSV), "--kind", "feedback")):
        proc = subprocess.run([script, *args], env=env, cwd=cwd, capture_output=True, text=True, timeout=900)
        if proc.returncode != 0:
            raise SystemExit(f"advocate {' '.join(args)} failed ({proc.returncode}): {proc.stderr[-2000:]}")


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args(argv)
    quiet()
    bench_started = time.perf_counter()
    script = advocate_script()
    results: list[dict] = []
    with tempfile.TemporaryDirectory(prefix="advocate-bench-", ignore_cleanup_errors=True) as tmp:
        cwd = Path(tmp)  # no developer .env is picked up from here
        env = {k: v for k, v in os.environ.items() if k not in ISOLATED_ENV}
        env["ADVOCATE_DATA_DIR"] = str(cwd / "data")
        started = time.perf_counter()
        prepare(script, env, cwd)
        print(f"sample staff, customers, promises and feedback loaded in {time.perf_counter() - started:.1f}s",
              flush=True)
        for label, command, target in COMMANDS:
            run(script, command, env, cwd)  # warm the OS file cache; not counted
            runs = timed_runs(script, command, env, cwd, args.runs)
            walls = [r["wall_s"] for r in runs if r["clean"]] or [r["wall_s"] for r in runs]
            results.append({
                "command": label, "target_s": target, "median_s": round(median(walls), 3),
                "max_s": round(max(walls), 3), "runs": len(walls), "contaminated": not all(r["clean"] for r in runs),
                "heaviest_imports": heaviest_imports(command, env, cwd), "run_details": runs,
            })

    print_table(
        f"CLI start-up, fresh process each run (median of {args.runs} quiet runs)",
        ["command", "runs", "median s", "max s", "target s", "met"],
        [[r["command"], r["runs"], r["median_s"], r["max_s"], r["target_s"],
          "yes" if r["median_s"] <= r["target_s"] else "NO"] for r in results],
    )
    print_table("Heaviest imports per command (-X importtime, own time by top-level package)", ["command", "imports"],
                [[r["command"], ", ".join(f"{i['package']} {i['self_s']:.2f}s" for i in r["heaviest_imports"])]
                 for r in results])
    summary = {"runs": args.runs, "commands": results}
    write_json("cli_startup", summary, started=bench_started)
    print(json.dumps({r["command"]: r["median_s"] for r in results}))
    return summary


if __name__ == "__main__":
    main()
