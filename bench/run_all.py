"""Run every benchmark in sequence, each in its own process (`python -m bench.run_all`, `make bench`).

Each writes its table to stdout and its figures to bench/out/NAME.json. The latency benchmarks share one
corpus kept in bench/out/corpus (built to 100k chunks by the first, reused by the others), so that the
embedded store and the Chroma server are measured on the same vectors. Extra arguments are not passed
on; run a benchmark alone (`python -m bench.NAME --help`) to change its parameters.
"""

from __future__ import annotations

import subprocess
import sys
import time

from bench._common import ROOT

CORPUS = str(ROOT / "bench" / "out" / "corpus")
# (name shown, module, arguments), in order: the corpus is built by the first latency run.
BENCHMARKS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("ingest_throughput", "ingest_throughput", ()),
    ("ask_latency", "ask_latency", ("--data-dir", CORPUS)),
    ("brief_latency", "brief_latency", ("--data-dir", CORPUS)),
    ("ask_latency (Chroma server)", "ask_latency", ("--data-dir", CORPUS, "--chroma-server")),
    ("brief_latency (Chroma server)", "brief_latency", ("--data-dir", CORPUS, "--chroma-server")),
    ("cold_start", "cold_start", ()),
    ("cli_startup", "cli_startup", ()),
    ("records_bench", "records_bench", ()),
    ("vacuum_stall", "vacuum_stall", ()),
    ("slack_bench", "slack_bench", ()),
)


def main() -> int:
    failed: list[str] = []
    timings: list[tuple[str, float, int]] = []
    for name, module, args in BENCHMARKS:
        print(f"\n=== bench.{name} ===", flush=True)
        started = time.perf_counter()
        code = subprocess.run([sys.executable, "-m", f"bench.{module}", *args], cwd=ROOT).returncode
        timings.append((name, time.perf_counter() - started, code))
        if code != 0:
            failed.append(name)
    print("\n=== summary ===")
    for name, seconds, code in timings:
        print(f"{name:<30} {seconds:7.0f}s  {'ok' if code == 0 else f'FAILED (exit {code})'}")
    print(f"figures in {ROOT / 'bench' / 'out'}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
