"""docker/healthcheck.py, the image's HEALTHCHECK: run as the container runs it (a python process, exit code
and one line), against the real app's /readyz (readiness; /healthz is liveness), a real Chroma server and
the real PostgreSQL."""

from __future__ import annotations

import importlib.util
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from functools import partial
from pathlib import Path
from types import ModuleType

import pytest
from langchain_core.embeddings import DeterministicFakeEmbedding
from slack_bolt import App

from advocate.services import Services, build_services
from advocate.settings import Settings
from bot.server import SlackHTTPApp, health
from tests.chroma_server import ChromaServer

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "docker" / "healthcheck.py"
ADVOCATE = "/opt/venv/bin/advocate"


def load_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("advocate_healthcheck", SCRIPT)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize(
    ("cmdline", "url"),
    [
        (["/opt/venv/bin/python", ADVOCATE, "serve", "--http", "--port", "3000"], "http://127.0.0.1:3000/readyz"),
        (["/opt/venv/bin/python", ADVOCATE, "serve", "--http"], "http://127.0.0.1:3000/readyz"),
        (["dumb-init", "--", "advocate", "serve", "--http", "--port", "8000"], "http://127.0.0.1:8000/readyz"),
        ([ADVOCATE, "serve", "--port=8080", "--http", "--host", "10.1.2.3"], "http://10.1.2.3:8080/readyz"),
        (["/opt/venv/bin/python", ADVOCATE, "serve"], None),  # Socket Mode: no port
        (["/opt/venv/bin/python", ADVOCATE, "jobs"], None),
        (["/opt/venv/bin/python", ADVOCATE, "ask", "serve", "--http"], None),  # a question, not the command
        ([], None),
    ],
)
def test_the_process_decides_what_is_checked(cmdline: list[str], url: str | None) -> None:
    assert load_script().health_url(cmdline) == url


def run_check(
    *args: str, env: dict[str, str] | None = None, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    """The check as Docker runs it: a fresh python process; only the given settings in its environment."""
    names = {info.validation_alias for info in Settings.model_fields.values()}
    base = {k: v for k, v in os.environ.items() if k not in names and k != "PYTHONPATH"}
    return subprocess.run(
        [sys.executable, str(SCRIPT), *args], env={**base, **(env or {})}, cwd=cwd,
        capture_output=True, text=True, timeout=60,
    )


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def http_app() -> Iterator[Callable[[Services], int]]:
    """Serves the real HTTP-mode app (SlackHTTPApp: /healthz, /readyz) over the given services on a real port."""
    import uvicorn

    servers: list[tuple[uvicorn.Server, threading.Thread]] = []

    def serve(services: Services) -> int:
        port = free_port()
        bolt = App(token="xoxb-0000000000-healthcheck", signing_secret="a" * 32, token_verification_enabled=False)
        checks = partial(health, engine=services.engine, store=lambda: services.store)
        server = uvicorn.Server(uvicorn.Config(SlackHTTPApp(app=bolt, settings=services.settings, health=checks),
                                               host="127.0.0.1", port=port, log_level="warning", lifespan="on"))
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        servers.append((server, thread))
        deadline = time.monotonic() + 10
        while not server.started and time.monotonic() < deadline:
            time.sleep(0.05)
        return port

    yield serve
    for server, thread in servers:
        server.should_exit = True
        thread.join(timeout=10)


def test_http_mode_healthy_when_the_apps_readyz_says_so(
    http_app: Callable[[Services], int], fake_services: Services
) -> None:
    port = http_app(fake_services)
    url = load_script().health_url([ADVOCATE, "serve", "--http", "--port", str(port)])
    result = run_check("--url", url)
    assert result.returncode == 0 and result.stdout == f"healthy: {url} answered 200\n"


def test_http_mode_unhealthy_when_the_records_database_is_down(
    http_app: Callable[[Services], int], tmp_path: Path, fake_embeddings: DeterministicFakeEmbedding
) -> None:
    settings = Settings(data_dir=tmp_path / "data", database_url="postgresql+psycopg://advocate:SECRETPW@127.0.0.1:1/x")
    services = build_services(settings, embedder=fake_embeddings)
    try:
        port = http_app(services)
        url = f"http://127.0.0.1:{port}/readyz"
        result = run_check("--url", url)
        live = run_check("--url", f"http://127.0.0.1:{port}/healthz")
    finally:
        services.close()
    assert result.returncode == 1 and result.stdout == f"unhealthy: {url} answered 503\n"
    assert live.returncode == 0  # the process is alive: a liveness probe must not restart it for the database
    nothing = run_check("--url", f"http://127.0.0.1:{free_port()}/readyz")
    assert nothing.returncode == 1 and "did not answer (URLError)" in nothing.stdout


def test_embedded_defaults_healthy_when_the_data_dir_is_writable(tmp_path: Path) -> None:
    (tmp_path / "data").mkdir()
    result = run_check("--stores", env={"ADVOCATE_DATA_DIR": str(tmp_path / "data")}, cwd=tmp_path)
    assert result.returncode == 0
    assert result.stdout == ("healthy: records ok (SQLite in the data dir), knowledge ok (embedded Chroma)\n")


def test_socket_mode_and_scheduler_check_the_chroma_server_and_postgresql(
    chroma_server: ChromaServer, postgres_server_url: str, tmp_path: Path
) -> None:
    env = {"ADVOCATE_DATA_DIR": str(tmp_path), "DATABASE_URL": postgres_server_url, "CHROMA_URL": chroma_server.url}
    result = run_check("--stores", env=env, cwd=tmp_path)
    assert result.returncode == 0, result.stdout
    assert result.stdout == "healthy: records ok (postgresql answers), knowledge ok (Chroma server heartbeat)\n"


def test_unreachable_stores_are_unhealthy_and_the_password_is_never_shown(tmp_path: Path) -> None:
    env = {
        "ADVOCATE_DATA_DIR": str(tmp_path),
        "DATABASE_URL": f"postgresql+psycopg://advocate:SECRETPW@127.0.0.1:{free_port()}/advocate",
        "CHROMA_URL": f"http://127.0.0.1:{free_port()}",
    }
    result = run_check("--stores", env=env, cwd=tmp_path)
    assert result.returncode == 1
    assert result.stdout.startswith("unhealthy: records failed (postgresql: OperationalError), knowledge failed")
    assert "SECRETPW" not in result.stdout + result.stderr


def test_a_bad_setting_is_unhealthy_with_its_one_line(tmp_path: Path) -> None:
    result = run_check("--stores", env={"ADVOCATE_DATA_DIR": str(tmp_path), "CHROMA_URL": "chroma:8000"}, cwd=tmp_path)
    assert result.returncode == 1
    assert result.stdout.startswith("unhealthy: setting CHROMA_URL is invalid")
