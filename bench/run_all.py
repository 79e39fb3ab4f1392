"""Run every benchmark in sequence, each in its own process (`python -m bench.run_all`, `make bench`).

Each writes its table to stdout and its figures to bench/out/NAME.json. Extra arguments are not
passed on; run a benchmark alone (`python -m bench.NAME --help`) to change its parameters.
"""

from __future__ import annotations

import subprocess
import sys
import time

from bench._common import ROOT

BENCHMARKS = ("ingest_throughput", "ask_latency", "cold_start", "slack_bench")


def main() -> int:
    failed: list[str] = []
    timings: list[tuple[str, float, int]] = []
    for name in BENCHMARKS:
        print(f"\n=== bench.{name} ===", flush=True)
        started = time.perf_counter()
        code = subprocess.run([sys.executable, "-m", f"bench.{name}"], cwd=ROOT).returncode
        timings.append((name, time.perf_counter() - started, code))
        if code != 0:
            failed.append(name)
    print("\n=== summary ===")
    for name, seconds, code in timings:
        print(f"{name:<20} {seconds:7.0f}s  {'ok' if code == 0 else f'FAILED (exit {code})'}")
    print(f"figures in {ROOT / 'bench' / 'out'}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
