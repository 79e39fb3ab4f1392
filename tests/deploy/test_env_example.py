""".env.example names every setting of advocate/settings.py, shows each default truly, and leaves secrets
empty; compose.yaml uses only names that exist. Adding a setting without documenting it here fails."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from dotenv import dotenv_values
from pydantic import SecretStr

from advocate.settings import Settings

REPO = Path(__file__).resolve().parents[2]
ENV_EXAMPLE = REPO / ".env.example"
COMPOSE = REPO / "compose.yaml"
# Read by the compose stack, not by Advocate (compose.yaml interpolates it).
COMPOSE_ONLY = frozenset({"POSTGRES_PASSWORD"})
# What the postgres image itself reads.
POSTGRES_IMAGE_ENV = frozenset({"POSTGRES_USER", "POSTGRES_PASSWORD", "POSTGRES_DB"})
_COMMENTED = re.compile(r"^#\s?([A-Z][A-Z0-9_]*)=(.*)$")


def setting_env_names() -> dict[str, str]:
    """Env name → field name, from the Settings model itself."""
    names: dict[str, str] = {}
    for field_name, info in Settings.model_fields.items():
        alias = info.validation_alias
        assert isinstance(alias, str), f"Settings.{field_name} has no single env name (validation_alias)"
        names[alias] = field_name
    return names


def assigned() -> dict[str, str | None]:
    return dict(dotenv_values(ENV_EXAMPLE))


def commented() -> dict[str, str]:
    found: dict[str, str] = {}
    for line in ENV_EXAMPLE.read_text(encoding="utf-8").splitlines():
        match = _COMMENTED.match(line.strip())
        if match:
            found[match.group(1)] = match.group(2)
    return found


def isolated_settings(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, values: dict[str, str]) -> Settings:
    # No stray environment or .env decides the outcome: only the values given.
    for name in setting_env_names():
        monkeypatch.delenv(name, raising=False)
    for name, value in values.items():
        monkeypatch.setenv(name, value)  # through the environment, parsed as a deployment's would be
    monkeypatch.chdir(tmp_path)
    return Settings()


def test_settings_are_read_from_many_env_names() -> None:
    # Guards the tests below against passing on an empty list.
    assert len(setting_env_names()) >= 30 and "SLACK_BOT_TOKEN" in setting_env_names()


def test_every_setting_is_named_in_env_example() -> None:
    named = set(assigned()) | set(commented())
    missing = sorted(set(setting_env_names()) - named)
    assert not missing, f".env.example does not name {', '.join(missing)}: add each with a comment"


def test_env_example_names_nothing_unknown() -> None:
    unknown = sorted((set(assigned()) | set(commented())) - set(setting_env_names()) - COMPOSE_ONLY)
    assert not unknown, f".env.example names settings Advocate does not read: {', '.join(unknown)}"


def test_secrets_are_left_empty() -> None:
    secrets = [name for name, field in setting_env_names().items()
               if Settings.model_fields[field].annotation is SecretStr]
    assert {"SLACK_BOT_TOKEN", "SLACK_APP_TOKEN", "SLACK_SIGNING_SECRET"} <= set(secrets)
    values = assigned()
    for name in [*secrets, *COMPOSE_ONLY]:
        assert name in values and values[name] == "", f"{name} must be present and empty in .env.example"


def test_every_default_shown_is_the_real_default(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    defaults = isolated_settings(monkeypatch, tmp_path, {})
    shown = {name: value for name, value in commented().items() if name in setting_env_names()}
    loaded = isolated_settings(monkeypatch, tmp_path, shown)
    for name, field in setting_env_names().items():
        if name in shown:
            assert getattr(loaded, field) == getattr(defaults, field), f".env.example shows a wrong default for {name}"


def test_copied_as_is_it_is_a_working_configuration(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    # `cp .env.example .env` gives exactly the defaults: the empty assignments mean "not set".
    (tmp_path / ".env").write_text(ENV_EXAMPLE.read_text(encoding="utf-8"), encoding="utf-8")
    loaded = isolated_settings(monkeypatch, tmp_path, {})
    defaults = Settings(_env_file=None)
    assert loaded.model_dump() == defaults.model_dump()


def compose() -> dict:
    return yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))


def test_compose_sets_only_settings_advocate_reads() -> None:
    services = compose()["services"]
    for name in ("bot", "scheduler"):
        unknown = set(services[name]["environment"]) - set(setting_env_names())
        assert not unknown, f"compose.yaml sets {sorted(unknown)} for {name}: not Advocate settings"
    assert set(services["postgres"]["environment"]) <= POSTGRES_IMAGE_ENV


def test_compose_interpolates_only_names_env_example_defines() -> None:
    text = COMPOSE.read_text(encoding="utf-8")
    interpolated = set(re.findall(r"\$\{([A-Z][A-Z0-9_]*)", text))
    assert interpolated == {"POSTGRES_PASSWORD"}
    assert interpolated <= set(assigned())
