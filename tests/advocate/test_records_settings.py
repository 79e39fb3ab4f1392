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
        ("THANKS_TIERS", "1=owner,10=ceo"),
        ("THANKS_TIERS", "ten=director"),
        ("THANKS_TIERS", "5=team_lead,5=director"),
        ("THANKS_WEEKLY_CAPS", "owner=3"),
        ("THANKS_WEEKLY_CAPS", "director=many"),
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


def test_thanks_tiers_and_caps(monkeypatch: pytest.MonkeyPatch) -> None:
    from records.thanks_rule import DEFAULT_CAPS, DEFAULT_TIERS

    settings = load_settings()
    assert settings.thanks_tiers == DEFAULT_TIERS and settings.thanks_weekly_caps == DEFAULT_CAPS
    monkeypatch.setenv("THANKS_TIERS", "20=Director, 1=owner, 10=senior-manager")
    monkeypatch.setenv("THANKS_WEEKLY_CAPS", "director=1, Team Lead=4")
    settings = load_settings()
    assert settings.thanks_tiers == ((1, "owner"), (10, "senior_manager"), (20, "director"))
    assert settings.thanks_weekly_caps == {"director": 1, "team_lead": 4}
    monkeypatch.setenv("THANKS_WEEKLY_CAPS", "")
    assert load_settings().thanks_weekly_caps == {}  # empty: no caps
    monkeypatch.setenv("THANKS_TIERS", "1=owner,10=ceo")
    with pytest.raises(SettingsError) as info:
        load_settings()
    assert str(info.value) == ("setting THANKS_TIERS is invalid: tier 2 names no role; use owner, team_lead, "
                               "senior_manager, director, e.g. 1=owner,5=team_lead,10=senior_manager,20=director")
