"""compose.yaml, checked without a Docker engine: the four services, their volumes and health checks, one
image for the bot and the scheduler; and the health-check commands themselves run against real servers
(a Chroma server from the chromadb package, the PostgreSQL on this machine)."""

from __future__ import annotations

import shutil
import subprocess
from importlib.metadata import version
from pathlib import Path

import pytest
import yaml

from tests.chroma_server import ChromaServer
from tests.databases import available_postgres

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((REPO / "compose.yaml").read_text(encoding="utf-8"))


def test_the_four_services_each_with_a_health_check(compose: dict) -> None:
    services = compose["services"]
    assert set(services) == {"bot", "scheduler", "chroma", "postgres"}
    for name, service in services.items():
        check = service.get("healthcheck", {})
        assert check.get("test") and check["test"][0] in ("CMD", "CMD-SHELL"), f"{name} has no health check"
        assert check.get("interval") and check.get("retries"), f"{name}'s health check has no interval/retries"
        assert service.get("restart") == "unless-stopped", f"{name} is not restarted when it stops"


def test_bot_and_scheduler_are_one_image_build_with_different_commands(compose: dict) -> None:
    bot, scheduler = compose["services"]["bot"], compose["services"]["scheduler"]
    assert bot["build"] == scheduler["build"] == {"context": "."}
    assert bot["image"] == scheduler["image"]
    assert bot["command"] == ["serve"]  # Socket Mode
    assert scheduler["command"] == ["jobs"]
    for service in (bot, scheduler):
        assert service["env_file"] == ".env"
        assert service["environment"]["CHROMA_URL"] == "http://chroma:8000"
        assert "@postgres:5432/" in service["environment"]["DATABASE_URL"]
        assert service["environment"]["DATABASE_URL"].startswith("postgresql+psycopg://")
        assert service["healthcheck"]["test"] == ["CMD", "python", "/opt/advocate/healthcheck.py"]
        assert service["depends_on"] == {"postgres": {"condition": "service_healthy"},
                                         "chroma": {"condition": "service_healthy"}}


def test_every_store_keeps_its_data_in_a_named_volume(compose: dict) -> None:
    volumes = set(compose["volumes"])
    mounts = {name: [m.split(":") for m in service.get("volumes", [])] for name, service in compose["services"].items()}
    expected = {"bot": "/data", "scheduler": "/data", "chroma": "/data", "postgres": "/var/lib/postgresql/data"}
    for name, target in expected.items():
        assert [target] == [t for source, t in mounts[name] if source in volumes], f"{name} has no named volume"
    assert {"advocate-data", "chroma-data", "postgres-data"} == volumes


def test_the_chroma_server_image_matches_the_installed_client(compose: dict) -> None:
    image = compose["services"]["chroma"]["image"]
    assert image == f"chromadb/chroma:{version('chromadb')}", "pin the Chroma server to the chromadb package's version"


def test_postgres_is_a_pinned_major_version(compose: dict) -> None:
    name, _, tag = compose["services"]["postgres"]["image"].partition(":")
    assert name == "postgres" and tag.split(".")[0].isdigit() and int(tag.split(".")[0]) >= 16


def _chroma_check(compose: dict, port: int, path: str = "/api/v2/heartbeat") -> list[str]:
    test = compose["services"]["chroma"]["healthcheck"]["test"]
    assert test[0] == "CMD"
    return [part.replace("127.0.0.1/8000", f"127.0.0.1/{port}").replace("/api/v2/heartbeat", path) for part in test[1:]]


def test_the_chroma_health_check_command_against_a_real_chroma_server(compose: dict, tmp_path: Path) -> None:
    server = ChromaServer(path=tmp_path / "chroma")
    server.start()
    try:
        healthy = subprocess.run(_chroma_check(compose, server.port), capture_output=True, timeout=10)
        wrong_path = subprocess.run(_chroma_check(compose, server.port, "/api/v2/no-such-thing"),
                                    capture_output=True, timeout=10)
    finally:
        server.stop()
    stopped = subprocess.run(_chroma_check(compose, server.port), capture_output=True, timeout=10)
    assert healthy.returncode == 0, healthy.stderr
    assert wrong_path.returncode != 0  # it reads the status, not only whether the port is open
    assert stopped.returncode != 0


@pytest.mark.skipif(shutil.which("pg_isready") is None, reason="pg_isready (PostgreSQL client) is not installed")
@pytest.mark.skipif(available_postgres() is None, reason="no PostgreSQL at 127.0.0.1:5432")
def test_the_postgres_health_check_command_against_the_local_postgresql(compose: dict) -> None:
    test = compose["services"]["postgres"]["healthcheck"]["test"]
    assert test[0] == "CMD" and test[1] == "pg_isready"
    # In the container it asks the local server; here the same command is pointed at this machine's.
    up = subprocess.run([*test[1:], "--host", "127.0.0.1", "--port", "5432"], capture_output=True, timeout=15)
    down = subprocess.run([*test[1:], "--host", "127.0.0.1", "--port", "1"], capture_output=True, timeout=15)
    assert up.returncode == 0, up.stdout
    assert down.returncode != 0
