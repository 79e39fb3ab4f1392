"""Real `advocate` processes on shared stores: one Chroma server, one PostgreSQL schema, one local Slack.

Each bot is `advocate serve --http` in an OS process of its own, on a free loopback port, with its own
data dir; they share only what a deployment shares (DATABASE_URL, CHROMA_URL, ADVOCATE_COLLECTION and
Slack). Processes are always stopped (SIGTERM, then SIGKILL) by the fixtures' finalizers, and their
output is kept in a log file per process so a failure can show what a process said.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.bot.conftest import ADMIN, SECRET
from tests.chroma_server import ChromaServer, free_port
from tests.databases import fresh_postgres_schema
from tests.slack_api_server import SlackApiServer

BOT_PROCESSES = 2  # 2 cores: a third process only adds a model load and warm-up
START_TIMEOUT = 240.0  # model load and warm-up brief, with the other processes starting at the same time


def advocate_command() -> list[str]:
    """The installed `advocate` console script beside this interpreter (as a deployment runs it)."""
    script = shutil.which("advocate", path=str(Path(sys.executable).parent))
    return [script] if script else [sys.executable, "-c", "from advocate.cli import main; main()"]


@dataclass(frozen=True)
class SharedStores:
    database_url: str
    chroma_url: str
    collection: str


@pytest.fixture
def shared_stores(chroma_server: ChromaServer, postgres_server_url: str) -> Iterator[SharedStores]:
    """The Chroma server (a collection of this test's own) and a fresh PostgreSQL schema, dropped afterwards."""
    with fresh_postgres_schema(postgres_server_url) as database_url:
        yield SharedStores(database_url=database_url, chroma_url=chroma_server.url,
                           collection=f"mp-{uuid.uuid4().hex[:12]}")


@pytest.fixture
def advocate_env(shared_stores: SharedStores, slack_api: SlackApiServer) -> dict[str, str]:
    """What every process gets: the shared stores, the local Slack, test tokens. The test's own
    environment was already cleared of settings (tests/conftest.py `_isolated_env`)."""
    env = dict(os.environ)
    env.update({
        "DATABASE_URL": shared_stores.database_url,
        "CHROMA_URL": shared_stores.chroma_url,
        "ADVOCATE_COLLECTION": shared_stores.collection,
        "SLACK_BOT_TOKEN": "xoxb-test-token-multiprocess",
        "SLACK_SIGNING_SECRET": SECRET,
        "SLACK_API_URL": slack_api.url,
        "ADVOCATE_ADMINS": ADMIN,
        "ADVOCATE_BRIEF_WORKERS": "1",
        "PYTHONUNBUFFERED": "1",
    })
    return env


class AdvocateProcess:
    """One `advocate …` OS process with its output in a log file."""

    def __init__(self, *, args: list[str], env: dict[str, str], workdir: Path, name: str) -> None:
        # The advocate subcommand and its options.
        self.args = args
        # The environment (settings) of the process.
        self.env = env
        # Its working and data directory (no .env there: settings come from env only).
        self.workdir = workdir
        # Shown in failures and used for the log file's name.
        self.name = name
        self.log_path = workdir / f"{name}.log"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> AdvocateProcess:
        self.workdir.mkdir(parents=True, exist_ok=True)
        env = {**self.env, "ADVOCATE_DATA_DIR": str(self.workdir / "data")}
        with open(self.log_path, "wb") as log:
            self.process = subprocess.Popen([*advocate_command(), *self.args], env=env, cwd=self.workdir,
                                            stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        return self

    def log(self, last: int = 40) -> str:
        try:
            lines = self.log_path.read_text(encoding="utf-8", errors="replace").splitlines()
        except OSError:
            return "(no log)"
        return "\n".join(lines[-last:])

    def stop(self) -> None:
        process = self.process
        if process is None or process.poll() is not None:
            return
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


class BotProcess(AdvocateProcess):
    """`advocate serve --http` on a free loopback port."""

    def __init__(self, *, env: dict[str, str], workdir: Path, name: str) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        super().__init__(args=["serve", "--http", "--host", "127.0.0.1", "--port", str(self.port)], env=env,
                         workdir=workdir, name=name)

    def wait_ready(self, timeout: float = START_TIMEOUT) -> dict[str, object]:
        deadline = time.monotonic() + timeout
        assert self.process is not None
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"{self.name} exited with {self.process.returncode}:\n{self.log()}")
            try:
                with urllib.request.urlopen(f"{self.base}/readyz", timeout=5) as response:
                    health = json.loads(response.read())
                    if response.status == 200 and health.get("ok"):
                        return health
            except (OSError, ValueError):
                pass
            time.sleep(0.5)
        raise AssertionError(f"{self.name} did not become ready within {timeout:.0f}s:\n{self.log()}")

    def post(self, body: str, headers: dict[str, str]) -> int:
        request = urllib.request.Request(f"{self.base}/slack/events", data=body.encode(), method="POST",
                                         headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return int(response.status)
        except urllib.error.HTTPError as exc:
            return int(exc.code)


@pytest.fixture
def bots(advocate_env: dict[str, str], tmp_path: Path) -> Iterator[list[BotProcess]]:
    """BOT_PROCESSES bot processes started together (as replicas behind a load balancer would be), healthy."""
    started: list[BotProcess] = []
    try:
        for number in range(BOT_PROCESSES):
            started.append(BotProcess(env=advocate_env, workdir=tmp_path / f"bot-{number}",
                                      name=f"bot-{number}").start())
        with ThreadPoolExecutor(len(started)) as pool:
            list(pool.map(lambda bot: bot.wait_ready(), started))
        yield started
    finally:
        for bot in started:
            bot.stop()


def run_advocate(args: list[str], *, env: dict[str, str], workdir: Path, timeout: float = 300.0
                 ) -> subprocess.CompletedProcess[str]:
    """A one-off `advocate …` command in a process of its own (as an operator or cron would run it)."""
    workdir.mkdir(parents=True, exist_ok=True)
    try:
        return subprocess.run([*advocate_command(), *args], env={**env, "ADVOCATE_DATA_DIR": str(workdir / "data")},
                              cwd=workdir, capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired as exc:  # subprocess.run has killed it
        raise AssertionError(f"advocate {' '.join(args)} took over {timeout:.0f}s") from exc
