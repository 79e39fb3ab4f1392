"""Logging for the CLI, the Slack app and the scheduler: stderr, plain text or one JSON object per line.

`ADVOCATE_LOG_FORMAT=text` (the default) suits a terminal; `json` suits servers and log shippers:

    {"ts": "2026-11-23T10:15:02.113Z", "level": "INFO", "logger": "bot.answering",
     "message": "brief 3f… delivered in C0…", "request_id": "9c1e…", "event_id": "Ev0…"}

Every line carries the ids of the work it belongs to, whichever thread wrote it: the Slack app binds a
`request_id` (and Slack's `event_id`) when a request enters (a Bolt middleware, bot/app.py), the
scheduler binds a `job_id` (and a `request_id` for that run) when a job starts (jobs/scheduler.py). The
ids live in context variables; the bot's thread pools copy the context into the work they run.

A redaction filter on the handler scrubs Slack tokens (xoxb-, xoxp-, xapp-, …) and the configured
secrets (the signing secret, the tokens, the database password) from every message and traceback,
whatever logger wrote it. Customer words are kept out at the source: log calls at INFO and above name
ids and counts, never questions, verbatims or brief text.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import IO, TYPE_CHECKING

if TYPE_CHECKING:
    from advocate.settings import Settings

REQUEST_ID: ContextVar[str | None] = ContextVar("advocate_request_id", default=None)
JOB_ID: ContextVar[str | None] = ContextVar("advocate_job_id", default=None)
EVENT_ID: ContextVar[str | None] = ContextVar("advocate_event_id", default=None)
CONTEXT_IDS: dict[str, ContextVar[str | None]] = {"request_id": REQUEST_ID, "job_id": JOB_ID, "event_id": EVENT_ID}

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
# Slack tokens by shape: bot, user, app-level, legacy and rotating ("xoxe.xoxb-…") ones.
SLACK_TOKEN = re.compile(r"\b(xox[abeoprs](?:\.xox[abeoprs])?|xapp)-[A-Za-z0-9-]+")
REDACTED = "[redacted]"
# Configured secrets shorter than this are not scrubbed by value: a four-letter database password
# would blank out every word it happens to spell.
MIN_SECRET_CHARS = 8


def new_request_id() -> str:
    """A short random id for one unit of work (a Slack request, a job run)."""
    return uuid.uuid4().hex[:16]


@contextmanager
def bound(**ids: str | None) -> Iterator[None]:
    """Log lines written inside carry these ids (request_id, job_id, event_id); None leaves one as it is."""
    unknown = set(ids) - set(CONTEXT_IDS)
    if unknown:
        raise ValueError(f"unknown log context id(s): {', '.join(sorted(unknown))}")
    tokens = [(CONTEXT_IDS[name], CONTEXT_IDS[name].set(value)) for name, value in ids.items() if value]
    try:
        yield
    finally:
        for variable, token in reversed(tokens):
            variable.reset(token)


class Redactor:
    """Scrubs Slack tokens by shape and the given secret values from text."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        # Secret values to scrub wherever they appear; longest first so none is scrubbed by half.
        self.secrets = sorted({s for s in secrets if s and len(s) >= MIN_SECRET_CHARS}, key=len, reverse=True)

    def __call__(self, text: str) -> str:
        for secret in self.secrets:
            if secret in text:
                text = text.replace(secret, REDACTED)
        return SLACK_TOKEN.sub(lambda m: f"{m.group(1)}-{REDACTED}", text)


class RedactionFilter(logging.Filter):
    """Rewrites each record's message and traceback without tokens or secrets (on the handler, so it
    sees records from every logger)."""

    def __init__(self, redactor: Redactor) -> None:
        super().__init__()
        # What scrubs the text.
        self.redact = redactor

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        clean = self.redact(message)
        if clean != message:
            record.msg, record.args = clean, ()
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self.redact(record.exc_text)
        if record.stack_info:
            record.stack_info = self.redact(record.stack_info)
        return True


class ContextFilter(logging.Filter):
    """Copies the bound ids onto each record (record.request_id, …; None when unset)."""

    def filter(self, record: logging.LogRecord) -> bool:
        for name, variable in CONTEXT_IDS.items():
            if getattr(record, name, None) is None:
                setattr(record, name, variable.get())
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: ts, level, logger, message, the bound ids, and exc for a traceback."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for name in CONTEXT_IDS:
            value = getattr(record, name, None)
            if value:
                entry[name] = value
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            entry["exc"] = record.exc_text
        if record.stack_info:
            entry["stack"] = record.stack_info
        return json.dumps(entry, ensure_ascii=False, default=str)


class TextFormatter(logging.Formatter):
    """The familiar one-line format, with the bound ids appended in brackets when there are any."""

    def __init__(self) -> None:
        super().__init__(TEXT_FORMAT)

    def formatMessage(self, record: logging.LogRecord) -> str:  # noqa: N802 - logging's name
        line = super().formatMessage(record)
        ids = " ".join(f"{name}={value}" for name in CONTEXT_IDS if (value := getattr(record, name, None)))
        return f"{line} [{ids}]" if ids else line


class _StderrHandler(logging.StreamHandler):
    """Writes to whatever sys.stderr is at the time of writing (the CLI's test runner swaps it)."""

    def __init__(self) -> None:
        super().__init__(sys.stderr)

    @property  # type: ignore[override]
    def stream(self) -> IO[str]:
        return sys.stderr

    @stream.setter
    def stream(self, _value: IO[str]) -> None:
        pass


def secrets_of(settings: Settings) -> list[str]:
    """The configured secret values: Slack tokens, the signing secret, the database password."""
    values = [
        settings.slack_bot_token.get_secret_value(),
        settings.slack_app_token.get_secret_value(),
        settings.slack_signing_secret.get_secret_value(),
    ]
    if settings.database_url:
        from sqlalchemy.engine import make_url
        from sqlalchemy.exc import ArgumentError

        try:
            values.append(make_url(settings.database_url).password or "")
        except ArgumentError:
            pass
    return [v for v in values if v]


def configure_logging(
    *,
    level: int = logging.WARNING,
    log_format: str = "text",
    secrets: Iterable[str] = (),
    stream: IO[str] | None = None,
) -> logging.Handler:
    """Send log records to stderr (or `stream`) in `log_format`, ids added and secrets scrubbed.

    Replaces the handler an earlier call installed and leaves any other handler alone.
    """
    root = logging.getLogger()
    for handler in list(root.handlers):
        if getattr(handler, "advocate", False):
            root.removeHandler(handler)
    handler: logging.Handler = logging.StreamHandler(stream) if stream is not None else _StderrHandler()
    handler.advocate = True  # type: ignore[attr-defined]
    handler.addFilter(RedactionFilter(Redactor(secrets)))
    handler.addFilter(ContextFilter())
    handler.setFormatter(JsonFormatter() if log_format == "json" else TextFormatter())
    root.addHandler(handler)
    root.setLevel(level)
    return handler


def configure_cli_logging(*, verbose: bool) -> None:
    """The CLI's logging, from ADVOCATE_LOG_FORMAT and the secrets in the settings.

    A bad setting is reported by the command itself (one line, exit code 2); until then logs are text.
    """
    from advocate.settings import SettingsError, load_settings

    try:
        settings = load_settings()
    except SettingsError:
        settings = None
    configure_logging(
        level=logging.DEBUG if verbose else logging.WARNING,
        log_format=settings.log_format if settings else "text",
        secrets=secrets_of(settings) if settings else (),
    )
