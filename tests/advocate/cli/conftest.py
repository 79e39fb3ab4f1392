"""The CLI tests run as a user runs `advocate`: its settings from the environment (a data dir of the
test's own), on a Monday morning in November 2026."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import time_machine

from tests.conftest import SAMPLE_PACK, run_cli


@pytest.fixture
def on_a_monday(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("ADVOCATE_DATA_DIR", str(tmp_path / "data"))
    with time_machine.travel("2026-11-23T09:00:00+00:00", tick=True):
        yield


def load_sample() -> None:
    """The sample staff, customers and promises, imported through the CLI."""
    for command, name in (("staff", "staff.csv"), ("customers", "customers.csv"), ("promises", "promises.csv")):
        result = run_cli(command, "import", str(SAMPLE_PACK / name))
        assert result.exit_code == 0, result.stderr
