"""Fixtures for the records tests: `records` on SQLite and PostgreSQL, sample data loaded or not."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine

from advocate.services import make_engine
from records import Records
from tests.conftest import SAMPLE_PACK

LONDON = ZoneInfo("Europe/London")


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def records(engine: Engine) -> Records:
    return Records(engine=engine, timezone=LONDON)


@pytest.fixture
def staffed(records: Records) -> Records:
    """Records with the sample staff and customers (not the promises)."""
    assert records.staff.import_csv(SAMPLE_PACK / "staff.csv").rejected == 0
    assert records.customers.import_csv(SAMPLE_PACK / "customers.csv").rejected == 0
    return records


def write_csv(path: Path, header: list[str], rows: list[list[object]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path
