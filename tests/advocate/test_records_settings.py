"""Records, loyalty and digest settings: defaults, parsing, one line naming a bad one (never echoing the value)."""

from __future__ import annotations

import pytest

from advocate.settings import SettingsError, load_settings


def test_defaults_and_parsing(monkeypatch: pytest.MonkeyPatch) -> None:
    settings = load_settings()
    assert settings.milestone_years == (1, 3, 5, 10, 15, 20, 25)
    assert settings.zone.key == "Europe/London" and settings.slack_api_url == "https://slack.com/api/"
    assert settings.manager_digest_cron == "0 8 * * mon" and settings.reminder_lead_hours == 24
    monkeypatch.setenv("MILESTONE_YEARS", "10, 1,5,5")
    monkeypatch.setenv("THANKS_SENDER_BY_SEGMENT", "Priority=dan.whitlock, small-business=chloe.barnes")
    monkeypatch.setenv("SLACK_API_URL", "http://127.0.0.1:9999/api")
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-secret-value")
    settings = load_settings()
    assert settings.milestone_years == (1, 5, 10)
    assert settings.thanks_sender_by_segment == {"priority": "dan.whitlock", "small-business": "chloe.barnes"}
    assert settings.slack_api_url == "http://127.0.0.1:9999/api/"
    assert "xoxb-secret-value" not in repr(settings) and "xoxb-secret-value" not in str(settings.model_dump())


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("ADVOCATE_TIMEZONE", "Mars/Olympus"),
        ("MILESTONE_YEARS", "one,three"),
        ("MILESTONE_YEARS", "0,5"),
        ("THANKS_SENDER_BY_SEGMENT", "vip"),
        ("MANAGER_DIGEST_CRON", "every monday"),
        ("ADVOCATE_BRIEFING_CRON", "99 * * * *"),
        ("SLACK_API_URL", "slack.example/api"),
        ("REMINDER_LEAD_HOURS", "-2"),
        ("THANKS_WINDOW_DAYS", "0"),
        ("DELIVERY_MAX_ATTEMPTS", "lots"),
    ],
)
def test_bad_setting_is_one_line_naming_it(monkeypatch: pytest.MonkeyPatch, name: str, value: str) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError) as info:
        load_settings()
    message = str(info.value)
    assert message.startswith(f"setting {name} is invalid")
    assert "\n" not in message and value not in message
