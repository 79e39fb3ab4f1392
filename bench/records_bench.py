"""Records and digests at scale: 1,000,000 customers, 200,000 promises, 1,000 managers.

    python -m bench.records_bench [--customers N] [--promises N] [--backends sqlite,postgresql]

For each backend the organisation is synthesised and bulk-loaded (executemany on SQLite, COPY on
PostgreSQL), then a fresh process measures — so its peak memory is the measurement's alone:
one manager's digest computation (the largest teams), all 1,000 managers' digests (computed and
rendered to Block Kit; then again with the keep-rate PNG charts drawn as a run draws them, on one
reused figure; then with a fresh figure per chart, the way they were drawn before, for a before/after
under the same load), the organisation's keep rate and the keep rate of every team, and peak memory
(ru_maxrss of the measuring process, and tracemalloc's peak over the 1,000 digests). The load average
is recorded at the start and end of the measurement: on a shared machine the figures depend on it.
Targets: one manager ≤ 200 ms, 1,000 managers ≤ 60 s, peak ≤ 500 MB.

PostgreSQL: BENCH_POSTGRES_URL, else postgresql+psycopg://postgres@127.0.0.1:5432/test; a fresh schema
is used and dropped. Figures go to stdout and bench/out/records_bench.json.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
NOW = datetime(2026, 11, 23, 7, 0, tzinfo=UTC)
PG_DEFAULT = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
HEADS, SENIORS_PER_HEAD, LEADS_PER_SENIOR, FRONTLINE_PER_LEAD = 10, 9, 10, 7
SEGMENTS = (("household", 0.78), ("small-business", 0.18), ("priority", 0.04))


# -- the organisation ---------------------------------------------------------------------------------------
def staff_rows() -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    now = NOW

    def add(handle: str, manager: str | None, function: str) -> None:
        rows.append({"handle": handle, "name": handle.replace(".", " ").title(), "function": function,
                     "manager": manager, "slack_user_id": "U" + handle.upper().replace(".", "")[:30], "tz": None,
                     "updated_at": now})

    for h in range(HEADS):
        head = f"head.{h}"
        add(head, None, f"f{h}")
        for s in range(SENIORS_PER_HEAD):
            senior = f"senior.{h}.{s}"
            add(senior, head, f"f{h}")
            for lead_number in range(LEADS_PER_SENIOR):
                lead = f"lead.{h}.{s}.{lead_number}"
                add(lead, senior, f"f{h}")
                for f in range(FRONTLINE_PER_LEAD):
                    add(f"agent.{h}.{s}.{lead_number}.{f}", lead, f"f{h}")
    return rows


def customer_batches(  # type: ignore[no-untyped-def]
    count: int, owners: list[str], rng: random.Random, batch: int = 50_000
):
    from records.models import anniversary_key

    start, span = date(1995, 1, 1).toordinal(), (date(2026, 11, 22) - date(1995, 1, 1)).days
    segments = [s for s, _ in SEGMENTS]
    weights = [w for _, w in SEGMENTS]
    for first in range(0, count, batch):
        rows = []
        for n in range(first, min(count, first + batch)):
            since = date.fromordinal(start + rng.randrange(span))
            name = f"Customer {n:07d}"
            rows.append({"id": f"C{n:07d}", "name": name, "name_key": name.lower(), "customer_since": since,
                         "anniversary": anniversary_key(since), "owner": rng.choice(owners),
                         "segment": rng.choices(segments, weights)[0], "value": float(rng.randrange(200, 9000)),
                         "updated_at": NOW})
        yield rows


def promise_batches(  # type: ignore[no-untyped-def]
    count: int, owners: list[str], customers: int, rng: random.Random, batch: int = 50_000
):
    for first in range(0, count, batch):
        rows = []
        for n in range(first, min(count, first + batch)):
            due = NOW - timedelta(minutes=rng.randrange(-30 * 24 * 60, 400 * 24 * 60))
            closed = None
            if due > NOW:
                status = "open"
            else:
                roll = rng.random()
                status = "kept" if roll < 0.80 else "broken" if roll < 0.90 else "open" if roll < 0.95 else "cancelled"
                if status != "open":
                    late = rng.random() < 0.12 and status == "kept"
                    closed = due + timedelta(hours=rng.randrange(1, 72)) if late else due - timedelta(hours=1)
            rows.append({"id": f"P{n:07d}", "customer_id": f"C{rng.randrange(customers):07d}", "text": "Call back",
                         "owner": rng.choice(owners), "due_at": due, "due_tz": "Europe/London", "permalink": None,
                         "status": status, "created_at": due - timedelta(days=3), "created_by": "bench",
                         "closed_at": closed, "closed_by": "bench" if closed else None})
        yield rows


def load(url: str, *, customers: int, promises: int) -> dict[str, float]:
    from zoneinfo import ZoneInfo

    from sqlalchemy import insert, text

    from advocate.services import make_engine
    from records import Records
    from records.models import Customer, Promise, Staff

    rng = random.Random(5)
    engine = make_engine(url)
    Records(engine=engine, timezone=ZoneInfo("Europe/London"))
    people = staff_rows()
    owners = [p["handle"] for p in people if p["handle"].startswith("agent.")]
    timings: dict[str, float] = {}
    with engine.begin() as connection:
        connection.execute(insert(Staff), people)
    started = time.perf_counter()
    _bulk(engine, Customer, customer_batches(customers, owners, rng))
    timings["load_customers_s"] = round(time.perf_counter() - started, 1)
    started = time.perf_counter()
    _bulk(engine, Promise, promise_batches(promises, owners, customers, rng))
    timings["load_promises_s"] = round(time.perf_counter() - started, 1)
    with engine.begin() as connection:
        connection.execute(text("ANALYZE"))
    engine.dispose()
    return timings


def _bulk(engine, model, batches) -> None:  # type: ignore[no-untyped-def]
    from sqlalchemy import insert

    columns = [c.name for c in model.__table__.columns]
    if engine.dialect.name == "postgresql":
        raw = engine.raw_connection()
        try:
            with raw.cursor() as cursor:
                for rows in batches:
                    with cursor.copy(f"COPY {model.__tablename__} ({', '.join(columns)}) FROM STDIN") as copy:
                        for row in rows:
                            copy.write_row([_pg(row[c]) for c in columns])
            raw.commit()
        finally:
            raw.close()
        return
    for rows in batches:
        with engine.begin() as connection:
            connection.execute(insert(model), rows)


def _pg(value: Any) -> Any:
    # COPY takes naive UTC for the naive timestamp columns, as the UTCDateTime type stores them.
    if isinstance(value, datetime):
        return value.astimezone(UTC).replace(tzinfo=None)
    return value


# -- the measurement (a fresh process) ------------------------------------------------------------------------
def measure(url: str, data_dir: str) -> dict[str, Any]:
    import time_machine
    from langchain_core.embeddings import DeterministicFakeEmbedding

    from advocate.services import build_services
    from advocate.settings import Settings
    from jobs import manager_digest
    from jobs.charts import KeepRateCharts, keep_rate_chart

    results: dict[str, Any] = {"load_average_at_start": [round(x, 2) for x in os.getloadavg()]}
    traveller = time_machine.travel(NOW, tick=True)
    traveller.start()
    svc = build_services(Settings(data_dir=Path(data_dir), database_url=url),
                         embedder=DeterministicFakeEmbedding(size=8))
    _ = svc.records, svc.store.collection  # open the database and Chroma outside the timings
    parts = svc.job_parts()
    chart = svc.records.staff.chart()
    managers = manager_digest.recipients(svc.settings, chart)
    results["managers"] = len(managers)
    heads = [m for m in managers if m.startswith("head.")]
    seniors = [m for m in managers if m.startswith("senior.")]

    def one(handle: str) -> tuple[float, Any]:
        started = time.perf_counter()
        digest = manager_digest.compute(parts, handle, now=NOW, chart=chart)
        manager_digest.render(digest, with_chart=False)
        return (time.perf_counter() - started) * 1000, digest

    one(seniors[0])  # warm caches and statements
    senior_ms = [one(h)[0] for h in seniors[:10]]
    head_ms = [one(h)[0] for h in heads[:5]]
    _, sample = one(seniors[1])
    results["one_manager_ms"] = {
        "senior (~11k customers, thank-yous)": {"median": round(statistics.median(senior_ms)),
                                                "max": round(max(senior_ms))},
        "head (730 people, largest team)": {"median": round(statistics.median(head_ms)), "max": round(max(head_ms))},
        "thank_yous_in_a_senior_digest": sample.thanks_total,
    }
    chart_ms, alone_ms = [], []
    sample_charts = KeepRateCharts(cache_size=0)  # every chart drawn: the per-chart cost in a run
    for handle in (heads + seniors)[:20]:
        digest = manager_digest.compute(parts, handle, now=NOW, chart=chart)
        started = time.perf_counter()
        keep_rate_chart(digest.keep_rate, title="Keep rate")  # a figure of its own, as a preview draws it
        alone_ms.append((time.perf_counter() - started) * 1000)
        started = time.perf_counter()
        sample_charts.chart(digest.keep_rate, title="Keep rate")
        chart_ms.append((time.perf_counter() - started) * 1000)
    results["chart_png_ms_median"] = round(statistics.median(chart_ms[1:]), 1)
    results["chart_png_alone_ms_median"] = round(statistics.median(alone_ms), 1)

    def all_digests(*, with_chart: bool = False, fresh_figures: bool = False) -> int:
        """What `manager_digest.send` does for every manager, without Slack: compute, render, chart.
        `fresh_figures`: a new matplotlib figure for every chart (how charts were drawn before one
        figure served a run), for a before/after under the same load."""
        with_content = 0
        charts = KeepRateCharts()  # one per run, as send() makes it
        for handle in managers:
            digest = manager_digest.compute(parts, handle, now=NOW, chart=chart)
            if not digest.empty:
                manager_digest.render(digest, with_chart=with_chart,
                                      charts=None if fresh_figures else charts)
                with_content += 1
        if with_chart and not fresh_figures:
            results["charts_drawn_in_the_run"] = charts.drawn  # the rest came from the cache
        return with_content

    started = time.perf_counter()
    sent = all_digests()
    all_seconds = time.perf_counter() - started
    started = time.perf_counter()
    all_digests(with_chart=True)
    results["all_managers_with_charts_s"] = round(time.perf_counter() - started, 1)
    started = time.perf_counter()
    all_digests(with_chart=True, fresh_figures=True)
    results["all_managers_with_charts_fresh_figure_each_s"] = round(time.perf_counter() - started, 1)
    # Memory in a second pass: tracemalloc slows Python down, so it stays out of the timing above.
    tracemalloc.start()
    all_digests()
    _, traced_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    results["all_managers_s"] = round(all_seconds, 1)
    results["digests_with_content"] = sent
    results["tracemalloc_peak_mb_during_all_digests"] = round(traced_peak / 2**20, 1)

    started = time.perf_counter()
    org = svc.records.keep_rates.report(period="week", now=NOW)
    results["keep_rate_org_week_ms"] = round((time.perf_counter() - started) * 1000)
    results["keep_rate_org_latest"] = org.latest.as_json() if org.latest else None
    started = time.perf_counter()
    svc.records.keep_rates.report(period="month", now=NOW)
    results["keep_rate_org_month_ms"] = round((time.perf_counter() - started) * 1000)
    started = time.perf_counter()
    teams = svc.records.keep_rates.reports_by(by="team", chart=chart, period="week", now=NOW)
    results["keep_rate_all_teams_week_s"] = round(time.perf_counter() - started, 2)
    results["keep_rate_teams"] = len(teams)
    results["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    results["load_average_1_5_15"] = [round(x, 2) for x in os.getloadavg()]
    svc.close()
    traveller.stop()
    return results


# -- driving it -------------------------------------------------------------------------------------------------
def postgres_schema_url() -> tuple[str, str, str] | None:
    import psycopg

    server = os.environ.get("BENCH_POSTGRES_URL", PG_DEFAULT)
    schema = f"advocate_bench_{uuid.uuid4().hex[:8]}"
    try:
        with psycopg.connect(server.replace("+psycopg", ""), autocommit=True, connect_timeout=3) as connection:
            connection.execute(f'CREATE SCHEMA "{schema}"')
    except psycopg.Error as exc:
        print(f"PostgreSQL skipped: {str(exc).splitlines()[0]}", file=sys.stderr)
        return None
    separator = "&" if "?" in server else "?"
    return server, schema, f"{server}{separator}options={quote(f'-csearch_path={schema}')}"


def drop_schema(server: str, schema: str) -> None:
    import psycopg

    with psycopg.connect(server.replace("+psycopg", ""), autocommit=True) as connection:
        connection.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


def run_backend(name: str, *, customers: int, promises: int, workdir: Path) -> dict[str, Any] | None:
    cleanup = None
    if name == "sqlite":
        url = f"sqlite:///{workdir / 'records.sqlite'}"
    else:
        found = postgres_schema_url()
        if found is None:
            return None
        server, schema, url = found
        cleanup = (server, schema)
    try:
        print(f"[{name}] loading {customers:,} customers and {promises:,} promises …", file=sys.stderr, flush=True)
        figures: dict[str, Any] = {"backend": name, **load(url, customers=customers, promises=promises)}
        print(f"[{name}] measuring in a fresh process …", file=sys.stderr, flush=True)
        done = subprocess.run(
            [sys.executable, "-m", "bench.records_bench", "--measure", url, "--data-dir", str(workdir / name)],
            cwd=ROOT, capture_output=True, text=True, check=False,
        )
        if done.returncode != 0:
            raise RuntimeError(f"measurement failed:\n{done.stderr[-3000:]}")
        figures.update(json.loads(done.stdout.strip().splitlines()[-1]))
        return figures
    finally:
        if cleanup:
            drop_schema(*cleanup)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--promises", type=int, default=200_000)
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--measure", help=argparse.SUPPRESS)
    parser.add_argument("--data-dir", help=argparse.SUPPRESS)
    args = parser.parse_args()
    os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
    if args.measure:
        print(json.dumps(measure(args.measure, args.data_dir)))
        return 0
    results = []
    with tempfile.TemporaryDirectory(prefix="records-bench-") as tmp:
        for backend in args.backends.split(","):
            figures = run_backend(backend.strip(), customers=args.customers, promises=args.promises,
                                  workdir=Path(tmp))
            if figures:
                results.append(figures)
                print(json.dumps(figures, indent=2))
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "records_bench.json").write_text(json.dumps({"customers": args.customers, "promises": args.promises,
                                                        "now": NOW.isoformat(), "results": results}, indent=2))
    buffer = io.StringIO()
    for figures in results:
        one = figures["one_manager_ms"]
        print(f"{figures['backend']}: one manager {one} ms; all {figures['managers']} managers "
              f"{figures['all_managers_s']} s ({figures['all_managers_with_charts_s']} s with charts, "
              f"{figures['all_managers_with_charts_fresh_figure_each_s']} s with a fresh figure per chart); "
              f"keep rate org {figures['keep_rate_org_week_ms']} ms; "
              f"peak RSS {figures['peak_rss_mb']} MB; load {figures['load_average_1_5_15']}", file=buffer)
    print(buffer.getvalue())
    return 0


if __name__ == "__main__":
    sys.exit(main())
