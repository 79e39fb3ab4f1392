"""What `forget-customer`'s PostgreSQL vacuum costs the Slack app that keeps running beside it.

    python -m bench.vacuum_stall [--finished 0,10000,100000] [--rounds 3]

`clear_freed_space` rewrites the tables a forget touched with VACUUM (FULL), which holds an exclusive lock
on each. `slack_inbox` is written before every Events API acknowledgement, so for as long as the lock is
held, or waited for, the acknowledgements queue behind it. Two figures, on the project's own schema and
function, in a fresh schema (BENCH_POSTGRES_URL, else the test database):

- how long VACUUM (FULL) of `slack_inbox` takes with 20 events waiting and N finished events whose dead
  rows autovacuum has not yet reclaimed (a burst of mentions just before);
- how long an inbox write waits when the vacuum itself has to wait for its lock because a long read
  (a backup, a report) holds the table: the vacuum's lock timeout bounds it.

Figures go to stdout and bench/out/vacuum_stall.json.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import threading
import time
from typing import Any

from sqlalchemy import create_engine, text

from bench._common import ROOT
from bench.records_bench import drop_schema, postgres_schema_url

OUT = ROOT / "bench" / "out"
BODY = json.dumps({"type": "event_callback", "event": {"type": "app_mention", "text": "We plan to " * 150}})
WAITING = 20


def fill(engine: Any, finished: int) -> None:
    """WAITING events still waiting, and `finished` more accepted and finished (deleted, not yet vacuumed)."""
    with engine.begin() as connection:
        connection.execute(text("TRUNCATE slack_inbox"))
        connection.execute(text(
            "INSERT INTO slack_inbox (event_id, body, owner, accepted_at, resumed) "
            "SELECT 'Ev' || g, :body, 'host/boot', now(), 0 FROM generate_series(1, :n) g"
        ), {"body": BODY, "n": finished + WAITING})
        connection.execute(text("DELETE FROM slack_inbox WHERE event_id NOT IN "
                                "(SELECT 'Ev' || g FROM generate_series(1, :w) g)"), {"w": WAITING})


def vacuum_ms(engine: Any) -> float:
    from records.forgotten import clear_freed_space

    started = time.perf_counter()
    left = clear_freed_space(engine, tables=("slack_inbox",))
    assert not left, left
    return (time.perf_counter() - started) * 1000


def stalled_write_s(engine: Any) -> tuple[float, bool]:
    """How long one inbox write waits while the vacuum waits behind a long read; whether it gave up."""
    from records.forgotten import clear_freed_space

    reader = engine.connect()
    reader.execute(text("SELECT count(*) FROM slack_inbox"))  # the transaction stays open: the lock is held
    outcome: list[list[str]] = []
    vacuum = threading.Thread(target=lambda: outcome.append(clear_freed_space(engine, tables=("slack_inbox",))))
    vacuum.start()
    time.sleep(0.3)  # the vacuum is now queued for its lock
    started = time.perf_counter()
    with engine.begin() as writer:
        writer.execute(text("INSERT INTO slack_inbox (event_id, body, owner, accepted_at, resumed) "
                            "VALUES ('EvStalled', '{}', 'host/boot', now(), 0)"))
    waited = time.perf_counter() - started
    vacuum.join()
    reader.rollback()
    reader.close()
    with engine.begin() as connection:
        connection.execute(text("DELETE FROM slack_inbox WHERE event_id = 'EvStalled'"))
    return waited, bool(outcome and outcome[0])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--finished", default="0,10000,100000", help="finished events not yet vacuumed")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    target = postgres_schema_url()
    if target is None:
        return 1
    server, schema, url = target
    from records.forgotten import VACUUM_LOCK_TIMEOUT
    from records.migrate import upgrade_to_head

    results: dict[str, Any] = {"lock_timeout": VACUUM_LOCK_TIMEOUT, "vacuum_full_ms": {}, "table_mb": {}}
    try:
        engine = create_engine(url)
        upgrade_to_head(engine)  # the project's own tables and indexes
        for finished in (int(n) for n in args.finished.split(",")):
            times = []
            for _ in range(args.rounds):
                fill(engine, finished)
                with engine.connect() as connection:
                    size = connection.execute(text("SELECT pg_total_relation_size('slack_inbox')")).scalar_one()
                times.append(vacuum_ms(engine))
            results["vacuum_full_ms"][finished] = round(statistics.median(times), 1)
            results["table_mb"][finished] = round(size / 1e6, 1)
            print(f"slack_inbox, {WAITING} waiting and {finished:>7,} finished events: {size / 1e6:6.1f} MB, "
                  f"VACUUM (FULL) median {statistics.median(times):6.1f} ms over {args.rounds}")
        waits = [stalled_write_s(engine) for _ in range(args.rounds)]
        results["stalled_write_s"] = round(statistics.median(w for w, _ in waits), 2)
        results["vacuum_gave_up"] = all(gave_up for _, gave_up in waits)
        print(f"an inbox write while the vacuum waits behind a long read (lock_timeout {VACUUM_LOCK_TIMEOUT}): "
              f"median {results['stalled_write_s']:.2f} s; the vacuum gave up and left the table for the operator: "
              f"{results['vacuum_gave_up']}")
        engine.dispose()
    finally:
        drop_schema(server, schema)
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "vacuum_stall.json").write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
