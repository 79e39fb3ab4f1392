"""The Slack app against the local Slack API server (tests/slack_api_server.py), over real HTTP.

The app runs as `advocate serve --http` in its own process (real Bolt app, uvicorn, the packaged
model) on a knowledge base of the sample pack plus synthetic feedback grown to `--chunks` chunks; this
process hosts the local Slack API server the app's Web API calls go to, and sends the requests.
Three measurements:

1. acknowledgement latency with `--in-flight` signed app_mention events sent at once (each starts a
   real brief on the bounded pool, so later acks compete with brief work for the two cores);
2. mention-to-brief latency: from sending an app_mention to the local server receiving the
   `chat.update` that carries the brief (grounded writer), one question at a time;
3. `--events` events in a row (mentions, DMs, feedback-channel messages, replies, reactions, App Home)
   with the process's resident memory after warm-up and at the end.

    python -m bench.slack_bench [--chunks 10000] [--in-flight 50] [--ack-rounds 3] [--events 1000]
"""

from __future__ import annotations

import argparse
import gc
import multiprocessing
import os
import random
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from bench._common import (
    ISOLATED_ENV,
    SAMPLE,
    SAMPLE_FOLDERS,
    percentile,
    print_table,
    quiet,
    wait_for_quiet,
    warm_up,
    write_json,
)

ACK_P95_TARGET_MS = 50.0
BRIEF_P95_TARGET_S = 1.5
MEMORY_TARGET_MB = 50.0
SECRET = "benchsigningsecret0123456789abcd"
GENERAL, FEEDBACK, DECISIONS = "C0BENCHGEN", "C0BENCHFBK", "C0BENCHDEC"
ASKERS = [f"U0ASKER{n:03d}" for n in range(40)]


def send_all_at_once(url: str, bodies: list[tuple[str, dict[str, str]]]) -> list[float]:
    """Open one connection per body, then write every request at the same moment; seconds from the
    write until each answer's status line. The client does next to nothing per request (the bytes are
    ready), so what is measured is the app: 50 requests at it at once, as Slack would send them."""
    import asyncio
    from urllib.parse import urlparse

    target = urlparse(url)

    def raw(body: str, headers: dict[str, str]) -> bytes:
        data = body.encode()
        lines = [f"POST {target.path} HTTP/1.1", f"Host: {target.hostname}:{target.port}",
                 f"Content-Length: {len(data)}", *[f"{k}: {v}" for k, v in headers.items()], "", ""]
        return "\r\n".join(lines).encode() + data

    async def run() -> list[float]:
        connections = [await asyncio.open_connection(target.hostname, target.port) for _ in bodies]
        requests = [raw(body, headers) for body, headers in bodies]

        async def one(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, request: bytes) -> float:
            started = time.perf_counter()
            writer.write(request)
            await writer.drain()
            status = await reader.readline()
            took = time.perf_counter() - started
            if b" 200 " not in status:
                raise RuntimeError(f"the app answered {status!r}")
            writer.close()
            return took

        return list(await asyncio.gather(*(one(r, w, q) for (r, w), q in zip(connections, requests, strict=True))))

    return asyncio.run(run())


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Bench:
    """The app runs as `advocate serve --http` in a process of its own (as in production); this process
    hosts the local Slack API server and sends the requests."""

    def __init__(self, *, tmp: Path, chunks: int) -> None:
        from advocate.services import build_services
        from advocate.settings import Settings
        from bench.ask_latency import CorpusWriter, grow
        from tests.slack_api_server import SlackApiServer

        self.api = SlackApiServer().start()
        self.data_dir = tmp / "data"
        settings = Settings(data_dir=self.data_dir, database_url="", chroma_url="", llm_model="")
        services = build_services(settings)
        self.warm_s = warm_up(services.embedder)
        print(f"model warmed in {self.warm_s:.1f}s; ingesting the sample pack …", flush=True)
        services.ingestor.ingest([SAMPLE / name for name in SAMPLE_FOLDERS])
        print(f"growing the store to {chunks:,} chunks …", flush=True)
        self.build = grow(services, CorpusWriter(tmp / "feedback"), chunks, 5000)
        self.chunks = services.store.count()
        services.close()
        del services
        gc.collect()

        self.port = free_port()
        env = {k: v for k, v in os.environ.items() if k not in ISOLATED_ENV}
        env.update({
            "ADVOCATE_DATA_DIR": str(self.data_dir), "SLACK_BOT_TOKEN": "xoxb-bench-token-0000",
            "SLACK_SIGNING_SECRET": SECRET, "SLACK_API_URL": self.api.url,
            "ADVOCATE_FEEDBACK_CHANNELS": FEEDBACK, "ADVOCATE_DECISION_CHANNELS": DECISIONS,
        })
        self.log = (tmp / "serve.log").open("w")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "advocate.cli", "serve", "--http", "--host", "127.0.0.1", "--port", str(self.port)],
            env=env, cwd=tmp, stdout=self.log, stderr=subprocess.STDOUT,
        )
        base = f"http://127.0.0.1:{self.port}"
        deadline = time.monotonic() + 180
        while True:
            try:
                with urllib.request.urlopen(f"{base}/readyz", timeout=5) as response:
                    if response.status == 200:
                        break
            except (urllib.error.URLError, ConnectionError):
                pass
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"`advocate serve --http` did not start; see {tmp / 'serve.log'}")
            time.sleep(0.25)
        self.url = f"{base}/slack/events"
        print(f"`advocate serve --http` is up on port {self.port} (pid {self.process.pid})", flush=True)

    def close(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self.log.close()
        self.api.stop()

    def app_rss_mb(self) -> float:
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
        return float("nan")

    def briefs_delivered(self) -> int:
        return len([c for c in self.api.calls_to("chat.update") if c.params.get("blocks")])

    def idle(self, *, briefs: int | None = None, timeout: float = 600.0, quiet_s: float = 1.0) -> None:
        """Wait until `briefs` briefs arrived (if given) and the app has made no Web API call for `quiet_s`."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            calls = self.api.calls
            done = briefs is None or self.briefs_delivered() >= briefs
            if done and (not calls or time.time() - calls[-1].at >= quiet_s):
                return
            time.sleep(0.05)
        raise SystemExit("the app did not finish its work in time")

    # -- sending -------------------------------------------------------------------------------------------
    def send(self, event: dict) -> float:
        """POST one signed Events API delivery; seconds until Slack would have its 200."""
        from tests.bot import payloads

        body, content_type = payloads.json_body(payloads.event_callback(event))
        headers = payloads.signed_headers(body, SECRET, content_type=content_type)
        request = urllib.request.Request(self.url, data=body.encode(), headers=headers, method="POST")
        started = time.perf_counter()
        with urllib.request.urlopen(request, timeout=30) as response:
            response.read()
            if response.status != 200:
                raise SystemExit(f"the app answered {response.status}")
        return time.perf_counter() - started

    def mention(self, question: str, user: str, channel: str = GENERAL) -> dict:
        from tests.bot import payloads

        ts = payloads.new_ts()
        self.api.add_message(channel, f"<@UBOT0001> {question}", user=user, ts=ts)
        return payloads.app_mention(f"<@UBOT0001> {question}", user=user, channel=channel, ts=ts)

    # -- 1. acknowledgement latency -----------------------------------------------------------------------
    def ack_latency(self, questions: list[str], *, in_flight: int, rounds: int) -> dict:
        from tests.bot import payloads

        samples: list[float] = []
        expected = self.briefs_delivered()
        for round_no in range(rounds):
            wait_for_quiet()
            bodies = []
            for n in range(in_flight):
                event = self.mention(questions[(round_no * in_flight + n) % len(questions)], ASKERS[n % len(ASKERS)])
                body, content_type = payloads.json_body(payloads.event_callback(event))
                bodies.append((body, payloads.signed_headers(body, SECRET, content_type=content_type)))
            # The requests leave from a process of their own, so that this process (which also plays
            # Slack's Web API for the app) does not slow down the measuring.
            with ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn")) as pool:
                results = pool.submit(send_all_at_once, self.url, bodies).result()
            samples.extend(results)
            print(f"  round {round_no + 1}: {in_flight} acks, p95 {1000 * percentile(results, 95):.1f} ms; "
                  "waiting for the briefs …", flush=True)
            expected += in_flight
            self.idle(briefs=expected)
        briefs = self.briefs_delivered()
        return {"in_flight": in_flight, "rounds": rounds, "acks": len(samples),
                "p50_ms": round(1000 * percentile(samples, 50), 1), "p95_ms": round(1000 * percentile(samples, 95), 1),
                "max_ms": round(1000 * max(samples), 1), "briefs_delivered": briefs}

    # -- 2. mention to brief -------------------------------------------------------------------------------
    def mention_to_brief(self, questions: list[str], *, rounds: int) -> dict:
        samples: list[float] = []
        wait_for_quiet()
        for _ in range(rounds):
            for n, question in enumerate(questions):
                before = len(self.api.calls_to("chat.update"))
                event = self.mention(question, ASKERS[n % len(ASKERS)])
                sent = time.time()
                self.send(event)
                self.idle(briefs=self.briefs_delivered() + 1, quiet_s=0.2)
                update = self.api.calls_to("chat.update")[before]
                if not update.params.get("blocks"):
                    raise SystemExit(f"no brief for {question!r}: {update.params.get('text')}")
                samples.append(update.at - sent)
        return {"briefs": len(samples), "p50_s": round(percentile(samples, 50), 3),
                "p95_s": round(percentile(samples, 95), 3), "max_s": round(max(samples), 3)}

    # -- 3. many events, memory -------------------------------------------------------------------------------
    def many_events(self, questions: list[str], *, events: int, warm: int) -> dict:
        from tests.bot import payloads

        rng = random.Random(7)
        expected = self.briefs_delivered()
        answered: list[str] = []
        memory: list[tuple[int, float]] = []
        kinds: dict[str, int] = {}
        started = time.perf_counter()
        baseline = 0.0
        for n in range(1, events + 1):
            roll = rng.random()
            user = rng.choice(ASKERS)
            if roll < 0.10:
                kind, event = "mention", self.mention(rng.choice(questions), user)
                answered.append(event["ts"])
                expected += 1
            elif roll < 0.15:
                kind = "dm"
                event = payloads.message(rng.choice(questions), user=user, channel=f"D{user[1:]}", channel_type="im")
                self.api.add_message(event["channel"], event["text"], user=user, ts=event["ts"])
                expected += 1
            elif roll < 0.30:
                kind = "feedback"
                event = payloads.message(f"Customer said: {rng.choice(questions)} score {rng.randint(0, 10)}/10",
                                         user=user, channel=FEEDBACK)
            elif roll < 0.60:
                kind = "chatter"
                event = payloads.message(f"lunch at {rng.randint(11, 14)}?", user=user, channel=GENERAL)
            elif roll < 0.75 and answered:
                kind = "reply"
                event = payloads.message("thanks, makes sense", user=user, channel=GENERAL,
                                         thread_ts=rng.choice(answered))
            elif roll < 0.90:
                kind = "reaction"
                event = payloads.reaction_added("tada", user=user, channel=GENERAL, ts=payloads.new_ts(),
                                                item_user=user)
            else:
                kind, event = "home", payloads.app_home_opened(user=user)
            kinds[kind] = kinds.get(kind, 0) + 1
            self.send(event)
            if n % 50 == 0:
                self.idle(briefs=expected)
            if n == warm:
                self.idle(briefs=expected)
                baseline = self.app_rss_mb()
                memory.append((n, round(baseline, 1)))
            elif n % 100 == 0:
                memory.append((n, round(self.app_rss_mb(), 1)))
                print(f"  {n} events, RSS {memory[-1][1]:.0f} MB", flush=True)
        self.idle(briefs=expected)
        end = self.app_rss_mb()
        return {"events": events, "warm_up_events": warm, "kinds": kinds, "rss_after_warm_up_mb": round(baseline, 1),
                "rss_end_mb": round(end, 1), "growth_mb": round(end - baseline, 1), "rss_trace": memory,
                "seconds": round(time.perf_counter() - started, 1)}


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--chunks", type=int, default=10_000)
    parser.add_argument("--in-flight", type=int, default=50)
    parser.add_argument("--ack-rounds", type=int, default=3)
    parser.add_argument("--brief-rounds", type=int, default=1)
    parser.add_argument("--events", type=int, default=1000)
    parser.add_argument("--warm-events", type=int, default=200)
    parser.add_argument("--parts", default="brief,ack,events", help="which measurements, comma-separated")
    args = parser.parse_args(argv)
    quiet()
    from bench.ask_latency import QUESTIONS

    bench_started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="advocate-slack-bench-", ignore_cleanup_errors=True) as tmp:
        bench = Bench(tmp=Path(tmp), chunks=args.chunks)
        try:
            parts = set(args.parts.split(","))
            brief = ack = many = None
            if "brief" in parts:
                print(f"\nmention-to-brief at {bench.chunks:,} chunks, {len(QUESTIONS)} questions …", flush=True)
                brief = bench.mention_to_brief(QUESTIONS, rounds=args.brief_rounds)
                print(f"  p50 {brief['p50_s']:.2f} s, p95 {brief['p95_s']:.2f} s", flush=True)
            if "ack" in parts:
                print(f"\nacknowledgement latency, {args.in_flight} events in flight …", flush=True)
                ack = bench.ack_latency(QUESTIONS, in_flight=args.in_flight, rounds=args.ack_rounds)
            if "events" in parts:
                print(f"\n{args.events} events in a row …", flush=True)
                many = bench.many_events(QUESTIONS, events=args.events, warm=args.warm_events)
            errors = [c for c in bench.api.calls if c.status != 200]
        finally:
            bench.close()

    rows = []
    if ack:
        rows.append([f"ack, {ack['in_flight']} in flight ({ack['acks']} acks)", f"{ack['p50_ms']} ms",
                     f"{ack['p95_ms']} ms", f"{ack['max_ms']} ms", f"p95 <= {ACK_P95_TARGET_MS:.0f} ms",
                     "PASS" if ack["p95_ms"] <= ACK_P95_TARGET_MS else "FAIL"])
    if brief:
        rows.append([f"mention to brief ({brief['briefs']} briefs)", f"{brief['p50_s']} s", f"{brief['p95_s']} s",
                     f"{brief['max_s']} s", f"p95 <= {BRIEF_P95_TARGET_S} s",
                     "PASS" if brief["p95_s"] <= BRIEF_P95_TARGET_S else "FAIL"])
    if many:
        rows.append([f"{many['events']} events: RSS after warm-up / at end", f"{many['rss_after_warm_up_mb']} MB",
                     f"{many['rss_end_mb']} MB", "", f"growth <= {MEMORY_TARGET_MB:.0f} MB",
                     "PASS" if many["growth_mb"] <= MEMORY_TARGET_MB else "FAIL"])
    print_table(f"Slack app over HTTP, local Slack API server, {bench.chunks:,} chunks, grounded writer",
                ["measure", "p50", "p95", "max", "target", "result"], rows)
    if many:
        print(f"\nmemory growth {many['growth_mb']} MB over {many['events'] - many['warm_up_events']} events")
    print(f"Web API errors answered by the local server: {len(errors)}")
    payload = {"chunks": bench.chunks, "build": bench.build, "ack": ack, "mention_to_brief": brief,
               "events": many, "targets": {"ack_p95_ms": ACK_P95_TARGET_MS, "brief_p95_s": BRIEF_P95_TARGET_S,
                                           "memory_growth_mb": MEMORY_TARGET_MB}}
    write_json("slack_bench", payload, started=bench_started)
    return payload


if __name__ == "__main__":
    main()
