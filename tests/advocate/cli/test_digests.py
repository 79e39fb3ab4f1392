"""`advocate digest` as a user runs it (the digests themselves: tests/jobs)."""

from __future__ import annotations

import pytest

from tests.advocate.cli.conftest import load_sample
from tests.conftest import run_cli as invoke

pytestmark = pytest.mark.usefixtures("on_a_monday")


def test_sending_without_a_token_says_what_to_do() -> None:
    load_sample()
    result = invoke("digest", "send", "--kind", "reminders")
    assert result.exit_code == 1 and "SLACK_BOT_TOKEN is not set" in result.stderr
