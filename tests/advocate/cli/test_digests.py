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


def test_preview_shows_the_digest_as_slack_does_not_its_markup() -> None:
    load_sample()
    result = invoke("digest", "preview", "--kind", "manager", "--for", "ruth.okafor")
    assert result.exit_code == 0, result.stderr
    assert "Long-standing customers to thank" in result.stdout
    assert "*Long-standing" not in result.stdout and "_Suggested:_" not in result.stdout
    assert "Suggested: Hello" in result.stdout
