"""Fixtures for the digest and scheduler tests: the sample organisation with Slack ids, at a fixed now."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import time_machine
from apscheduler.schedulers.background import BackgroundScheduler
from slack_sdk.models.blocks import Block

from advocate.services import Services
from tests.conftest import SAMPLE_PACK
from tests.slack_api_server import SlackApiServer

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)  # Monday, ISO week 48, in the sample's "today"


def slack_id(handle: str) -> str:
    return "U" + "".join(ch for ch in handle.upper() if ch.isalnum())[:20]


def dm(handle: str) -> str:
    """The DM channel the local Slack server opens with a person."""
    return "D" + slack_id(handle)[1:]


def write_staff_with_slack_ids(path: Path) -> Path:
    with (SAMPLE_PACK / "staff.csv").open(encoding="utf-8") as source:
        rows = list(csv.DictReader(source))
    with path.open("w", newline="", encoding="utf-8") as target:
        writer = csv.DictWriter(target, fieldnames=[*rows[0].keys(), "slack_user_id"])
        writer.writeheader()
        for row in rows:
            writer.writerow({**row, "slack_user_id": slack_id(row["handle"])})
    return path


@pytest.fixture(autouse=True)
def _clock_at_now() -> Iterator[None]:
    """The wall clock (ours and the local Slack's ts) starts at NOW and runs on."""
    with time_machine.travel(NOW, tick=True):
        yield


@pytest.fixture
def schedulers() -> Iterator[list[BackgroundScheduler]]:
    """Schedulers a test starts (appends here), shut down after it."""
    started: list[BackgroundScheduler] = []
    yield started
    for scheduler in started:
        if scheduler.running:
            scheduler.shutdown(wait=True)


@pytest.fixture
def org(records_services: Services, tmp_path: Path) -> Services:
    """The sample staff (with Slack ids), customers and promises, recorded as of NOW."""
    records = records_services.records
    assert records.staff.import_csv(write_staff_with_slack_ids(tmp_path / "staff.csv")).rejected == 0
    assert records.customers.import_csv(SAMPLE_PACK / "customers.csv").rejected == 0
    assert records.promises.import_csv(SAMPLE_PACK / "promises.csv", now=NOW).rejected == 0
    return records_services


def assert_valid_message(message: dict, *, channel: str | None = None) -> list[Block]:
    """What Slack received is a message Slack would take: blocks parse and validate, within limits."""
    if channel is not None:
        assert message["channel"] == channel
    assert message["text"].strip(), "a text fallback is always there"
    blocks = [Block.parse(b) for b in message["blocks"]]
    assert 0 < len(blocks) <= 50
    for block in blocks:
        assert block is not None
        block.validate_json()
        data = block.to_dict()
        if data["type"] == "section":
            assert len(data["text"]["text"]) <= 3000
    return blocks  # type: ignore[return-value]


def server_calls(server: SlackApiServer, method: str) -> int:
    return len(server.calls_to(method))
