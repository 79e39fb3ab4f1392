"""The doctor (`advocate doctor`): is every part of this installation ready? One line per check.

Each check is a plain function returning a `CheckResult` (name, status, one-line detail):

- `ok` — the part works;
- `not configured` — the part is not set up here (no Slack tokens on a laptop, no knowledge yet): not a failure;
- `warning` — it works, but something is missing or stale (no customer definition, sources more than a
  year old): worth fixing, not a failure;
- `FAILED` — the part is configured and broken; the detail says what to do (the command exits 1).

It also says what the knowledge base holds: chunks and the newest date per kind, and the sources whose
newest date is more than a year old.

The doctor looks, it never repairs: it does not migrate the records database (`advocate migrate` does,
as does every process that opens the records), create the SQLite file or the Chroma collection, or
start the scheduler. Secret values never appear in its output: every line is scrubbed of the
configured tokens, the signing secret and the database password, and of anything shaped like a Slack
token.
"""

from __future__ import annotations

import json
import logging
import math
import os
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import urlparse

from sqlalchemy import Engine, inspect, text
from sqlalchemy.engine import make_url

from advocate.logging_setup import Redactor, secrets_of
from advocate.settings import Settings, SettingsError
from operations.reindex import get_collection
from records.clock import now_utc
from records.collection_pointer import CollectionPointer

if TYPE_CHECKING:
    from langchain_core.embeddings import Embeddings
    from slack_sdk import WebClient

OK = "ok"
NOT_CONFIGURED = "not configured"
WARNING = "warning"
FAILED = "FAILED"

MANIFEST = Path(__file__).resolve().parent.parent / "manifest.json"
PROBE = "Can customers still reach a person when they need one?"
OVERDUE_AFTER = timedelta(minutes=5)  # a stored next run this far in the past: no scheduler is running
STALE_AFTER = timedelta(days=365)  # a source whose newest date is older than this is worth a look
PAGE = 5000  # chunks' metadata read from the collection at a time
SHOWN_SOURCES = 3  # old sources named on the line; the rest are counted
SLACK_CHECK_SECONDS = 10.0  # how long the Slack check retries an unreachable or failing Web API


class Parts(Protocol):
    """What the checks look at, built from the settings on first use (the composition root's services).
    Building them opens nothing: the records engine connects, and the Slack client calls, only when asked."""

    @property
    def engine(self) -> Engine: ...

    @property
    def embedder(self) -> Embeddings | None: ...

    @property
    def slack(self) -> WebClient: ...


@dataclass(frozen=True)
class CheckResult:
    name: str  # what was checked, e.g. "records database"
    status: str  # OK, NOT_CONFIGURED or FAILED
    detail: str  # one line: what was found, or what to do

    @property
    def failed(self) -> bool:
        return self.status == FAILED

    def line(self) -> str:
        return f"{self.name:<22} {self.status:<15} {self.detail}"

    def as_dict(self) -> dict[str, str]:
        return {"name": self.name, "status": self.status, "detail": self.detail}


def _reason(exc: BaseException) -> str:
    """An exception as one short line: its type and the first line of what it says."""
    original = getattr(exc, "orig", None) or exc
    first = (str(original).strip().splitlines() or [""])[0][:200]
    return f"{type(original).__name__}: {first}" if first else type(original).__name__


# -- the checks ------------------------------------------------------------------------------------------------
def check_settings(load: Callable[[], Settings]) -> tuple[CheckResult, Settings | None]:
    """The settings load (environment and .env); a bad one is the settings error line."""
    try:
        settings = load()
    except SettingsError as exc:
        return CheckResult("settings", FAILED, str(exc)), None
    where = [
        f"data dir {settings.data_dir.resolve()}",
        "records " + ("SQLite in the data dir" if not settings.database_url else make_url(settings.database_url)
                      .get_backend_name()),
        "Chroma " + ("embedded" if not settings.chroma_url else f"server {_without_userinfo(settings.chroma_url)}"),
        f"language model {settings.llm_model or 'none (grounded briefs)'}",
        f"logs {settings.log_format}",
    ]
    return CheckResult("settings", OK, "; ".join(where)), settings


def _without_userinfo(url: str) -> str:
    parsed = urlparse(url)
    return parsed._replace(netloc=parsed.hostname + (f":{parsed.port}" if parsed.port else "")).geturl() \
        if parsed.hostname else url


def sqlite_path(settings: Settings) -> Path | None:
    """The SQLite file of the records database, or None when it is not SQLite."""
    url = make_url(settings.records_url)
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        return None
    return Path(url.database)


def check_records(settings: Settings, engine: Callable[[], Engine]) -> tuple[CheckResult, bool]:
    """The records database answers and its schema is at the newest migration (it is not migrated here).

    Also says whether the database could be opened, for the checks that read from it."""
    from alembic.script import ScriptDirectory
    from alembic.util import CommandError

    from records.migrate import alembic_config, current_revision, head_revision

    path = sqlite_path(settings)
    if path is not None and not path.exists():
        return CheckResult("records database", NOT_CONFIGURED,
                           f"no database yet at {path}; it is created and migrated on first use (or `advocate migrate`)"
                           ), False
    db = engine()
    shown = db.url.render_as_string(hide_password=True)
    try:
        with db.connect() as connection:
            current = current_revision(connection)
    except Exception as exc:  # noqa: BLE001 - any driver error means the same to the operator
        setting = "DATABASE_URL" if settings.database_url else "the SQLite database"
        return CheckResult("records database", FAILED, f"cannot open {setting} ({shown}): {_reason(exc)}"), False
    head = head_revision()
    kind = db.dialect.name
    if current == head:
        return CheckResult("records database", OK, f"{kind} at migration {head} (the newest)"), True
    if current is None:
        return CheckResult("records database", NOT_CONFIGURED,
                           f"{kind} reachable, no records tables yet: created on first use (or `advocate migrate`)"
                           ), True
    try:
        ScriptDirectory.from_config(alembic_config()).get_revision(current)
    except CommandError:
        return CheckResult("records database", FAILED,
                           f"{kind} at migration {current}, which this version of Advocate does not know: "
                           "is a newer version using this database?"), True
    return CheckResult("records database", FAILED, f"{kind} behind: at migration {current}, the newest is {head}; "
                       "run `advocate migrate`"), True


def check_embeddings(embedder: Embeddings, *, label: str) -> tuple[CheckResult, int | None]:
    """The embedding model loads offline and gives a usable vector of the dimension it declares."""
    from knowledge.embeddings import EmbeddingModelError

    os.environ.setdefault("HF_HUB_OFFLINE", "1")  # a model that is not on disk must fail here, not download
    started = time.perf_counter()
    try:
        with warnings.catch_warnings():  # a library's renamed-method notice is not the operator's business
            warnings.simplefilter("ignore", FutureWarning)
            vector = embedder.embed_query(PROBE)
            declared = getattr(embedder, "dimension", None)
    except EmbeddingModelError as exc:
        return CheckResult("embedding model", FAILED, str(exc)), None
    except Exception as exc:  # noqa: BLE001
        return CheckResult("embedding model", FAILED, f"EMBEDDING_MODEL {label!r} failed: {_reason(exc)}"), None
    seconds = time.perf_counter() - started
    dimension = len(vector)
    if not dimension or not all(math.isfinite(x) for x in vector) or not any(vector):
        return CheckResult("embedding model", FAILED, f"EMBEDDING_MODEL {label!r} gave an unusable vector"), None
    if isinstance(declared, int) and declared != dimension:
        return CheckResult("embedding model", FAILED,
                           f"EMBEDDING_MODEL {label!r} declares {declared} dimensions but gave {dimension}"), None
    return CheckResult("embedding model", OK, f"{label} loaded offline in {seconds:.1f}s; {dimension} dimensions"), \
        dimension


def check_vector_store(
    settings: Settings, *, collection: str, dimension: int | None, open_client: Callable[[], Any]
) -> CheckResult:
    """The vector store answers, and the live collection (if any yet) was built with the configured model."""
    if not settings.chroma_url and not settings.chroma_dir.exists():
        return CheckResult("vector store", NOT_CONFIGURED,
                           f"no knowledge yet in {settings.chroma_dir.resolve()}; `advocate ingest` creates it")
    where = f"the Chroma server at CHROMA_URL {_without_userinfo(settings.chroma_url)}" if settings.chroma_url else \
        f"the embedded Chroma in {settings.chroma_dir.resolve()}"
    try:
        client = open_client()
        found = get_collection(client, collection)
    except Exception as exc:  # noqa: BLE001
        return CheckResult("vector store", FAILED, f"cannot open {where}: {_reason(exc)}")
    if found is None:
        return CheckResult("vector store", NOT_CONFIGURED,
                           f"reachable, no collection '{collection}' yet; `advocate ingest` creates it")
    stored_model = (found.metadata or {}).get("embedding_model")
    if stored_model and stored_model != settings.embedding_model:
        return CheckResult("vector store", FAILED,
                           f"collection '{collection}' was built with EMBEDDING_MODEL {stored_model!r}, but "
                           f"{settings.embedding_model!r} is configured: run `advocate reindex`")
    try:
        count = int(found.count())
        sample = found.get(limit=1, include=["embeddings"])["embeddings"] if count else []
    except Exception as exc:  # noqa: BLE001
        return CheckResult("vector store", FAILED, f"cannot read collection '{collection}' in {where}: {_reason(exc)}")
    stored_dimension = len(sample[0]) if sample is not None and len(sample) else None
    if stored_dimension and dimension and stored_dimension != dimension:
        return CheckResult("vector store", FAILED,
                           f"collection '{collection}' holds {stored_dimension}-dimensional vectors, but "
                           f"EMBEDDING_MODEL {settings.embedding_model!r} gives {dimension}: run `advocate reindex`")
    if not count:
        return CheckResult("vector store", OK, f"collection '{collection}' is empty; `advocate ingest` fills it")
    return CheckResult("vector store", OK, f"collection '{collection}': {count} chunks, {stored_dimension} dimensions, "
                       f"model {stored_model or settings.embedding_model}")


@dataclass
class KnowledgeContents:
    """What the live collection holds, from its chunks' metadata."""

    chunks: dict[str, int]  # by kind
    newest: dict[str, str]  # by kind: the newest date (YYYY-MM-DD) among its chunks, if any has one
    source_newest: dict[str, tuple[str, str]]  # by source: (its name as shown, its newest date or "")


def knowledge_contents(collection: Any) -> KnowledgeContents:
    """Counts and dates per kind and per source, reading only the metadata, a page at a time."""
    contents = KnowledgeContents(chunks={}, newest={}, source_newest={})
    offset = 0
    while True:
        page = collection.get(include=["metadatas"], limit=PAGE, offset=offset)["metadatas"] or []
        for metadata in page:
            kind = str(metadata.get("kind") or "unknown")
            date = _iso_date(metadata.get("date"))
            contents.chunks[kind] = contents.chunks.get(kind, 0) + 1
            if date and date > contents.newest.get(kind, ""):
                contents.newest[kind] = date
            source = str(metadata.get("source") or "")
            shown, seen = contents.source_newest.get(source, (str(metadata.get("source_name") or source), ""))
            contents.source_newest[source] = (shown, max(seen, date))
        if len(page) < PAGE:
            return contents
        offset += PAGE


def _iso_date(value: object) -> str:
    """The YYYY-MM-DD a chunk's date starts with, or "" when it has none (or not in that form)."""
    text = str(value or "")[:10]
    try:
        return datetime.strptime(text, "%Y-%m-%d").date().isoformat()
    except ValueError:
        return ""


def check_knowledge(contents: KnowledgeContents | None, *, today: datetime) -> list[CheckResult]:
    """What the knowledge base holds; a missing customer definition and year-old sources are warnings."""
    from knowledge.kinds import KINDS

    if contents is None or not contents.chunks:
        return [
            CheckResult("knowledge", NOT_CONFIGURED, "nothing ingested yet: `advocate init` sets up the knowledge "
                        "base, or `advocate ingest PATH`"),
            CheckResult("definition", WARNING, "no customer definition: briefs cannot say who the customer is; "
                        "ingest it with `advocate ingest FILE --kind definition`"),
        ]
    held = [f"{kind} {contents.chunks[kind]:,}" + (f" (newest {contents.newest[kind]})" if kind in contents.newest
                                                   else " (undated)")
            for kind in [*KINDS, *sorted(set(contents.chunks) - set(KINDS))] if kind in contents.chunks]
    results = [CheckResult("knowledge", OK, f"{sum(contents.chunks.values()):,} chunks: " + "; ".join(held))]
    if contents.chunks.get("definition"):
        results.append(CheckResult("definition", OK, f"{contents.chunks['definition']:,} chunks of the customer "
                                   "definition"))
    else:
        results.append(CheckResult("definition", WARNING, "no customer definition: briefs cannot say who the customer "
                                   "is; ingest it with `advocate ingest FILE --kind definition`"))
    cutoff = (today - STALE_AFTER).date().isoformat()
    old = sorted((date, shown) for shown, date in contents.source_newest.values() if date and date < cutoff)
    if not old:
        results.append(CheckResult("old sources", OK, f"none older than a year (before {cutoff})"))
        return results
    named = ", ".join(f"{shown} ({date})" for date, shown in old[:SHOWN_SOURCES])
    more = f" and {len(old) - SHOWN_SOURCES} more" if len(old) > SHOWN_SOURCES else ""
    results.append(CheckResult("old sources", WARNING, f"{len(old)} of {len(contents.source_newest)} sources are "
                               f"older than a year (newest date before {cutoff}): {named}{more}; ingest newer "
                               "material or check they still hold"))
    return results


def manifest_scopes(path: Path = MANIFEST) -> list[str] | None:
    """The bot scopes manifest.json asks for, or None when the manifest is not beside the code."""
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return list(manifest.get("oauth_config", {}).get("scopes", {}).get("bot", []))


def granted_scopes(headers: dict[str, Any]) -> list[str] | None:
    """Slack's x-oauth-scopes header (any case), split; None when the answer had none."""
    for name, value in (headers or {}).items():
        if name.lower() == "x-oauth-scopes":
            value = value[0] if isinstance(value, list) else value
            return [s.strip() for s in str(value).split(",") if s.strip()]
    return None


def check_slack(
    settings: Settings, *, client: Callable[[], WebClient], wanted: list[str] | None
) -> CheckResult:
    """Slack tokens: none is "not configured"; otherwise auth.test answers and the token has every scope
    manifest.json asks for."""
    from slack_sdk.errors import SlackApiError

    from bot.server import TokenError, check_tokens
    from outbound.client import with_patience

    bot_token = settings.slack_bot_token.get_secret_value()
    app_token = settings.slack_app_token.get_secret_value()
    signing = settings.slack_signing_secret.get_secret_value()
    if not (bot_token or app_token or signing):
        return CheckResult("slack", NOT_CONFIGURED, "no Slack tokens: the Slack app, digests and reminders are off "
                           "(docs/slack-setup.md)")
    if not bot_token:
        return CheckResult("slack", FAILED, "SLACK_APP_TOKEN or SLACK_SIGNING_SECRET is set but SLACK_BOT_TOKEN is "
                           "not: set the Bot User OAuth Token (xoxb-…)")
    mode = "Socket Mode (SLACK_APP_TOKEN)" if app_token else "HTTP mode (SLACK_SIGNING_SECRET)" if signing else \
        "Web API only (digests and reminders; no SLACK_APP_TOKEN or SLACK_SIGNING_SECRET for the app)"
    try:
        check_tokens(settings, http=not app_token and bool(signing))
    except TokenError as exc:
        if app_token or signing or "SLACK_BOT_TOKEN" in str(exc):
            return CheckResult("slack", FAILED, str(exc))
    quiet = logging.getLogger("slack_sdk")
    level = quiet.level
    quiet.setLevel(logging.CRITICAL)  # the line below says what failed; the client's own errors would repeat it
    try:
        answer = with_patience(client(), SLACK_CHECK_SECONDS).auth_test()
    except SlackApiError as exc:
        error = exc.response.get("error", "unknown error")
        return CheckResult("slack", FAILED, f"Slack refused SLACK_BOT_TOKEN ({error}); copy the Bot User OAuth Token "
                           "from the app's OAuth & Permissions page")
    except Exception as exc:  # noqa: BLE001 - unreachable, after the client's retries
        return CheckResult("slack", FAILED,
                           f"cannot reach Slack's Web API at SLACK_API_URL {settings.slack_api_url} ({_reason(exc)})")
    finally:
        quiet.setLevel(level)
    who = f"bot {answer.get('user_id', '?')} in workspace {answer.get('team_id', '?')}; {mode}"
    granted = granted_scopes(dict(answer.headers or {}))
    if wanted is None:
        return CheckResult("slack", OK, f"{who}; manifest.json not found beside the code, scopes not compared")
    if granted is None:
        return CheckResult("slack", OK, f"{who}; Slack did not report the token's scopes")
    missing = [scope for scope in wanted if scope not in granted]
    if missing:
        return CheckResult("slack", FAILED, f"{who}; the token lacks {', '.join(missing)} (manifest.json asks for "
                           "them): add them under OAuth & Permissions and reinstall the app")
    return CheckResult("slack", OK, f"{who}; all {len(wanted)} scopes manifest.json asks for are granted")


def stored_next_runs(engine: Engine) -> dict[str, float | None]:
    """Next run times (UTC timestamps) the scheduler's job store holds, by job id; read, never written."""
    from jobs.scheduler import JOBSTORE_TABLE

    if not inspect(engine).has_table(JOBSTORE_TABLE):
        return {}
    with engine.connect() as connection:
        rows = connection.execute(text(f"SELECT id, next_run_time FROM {JOBSTORE_TABLE}")).all()
    return {str(row[0]): (float(row[1]) if row[1] is not None else None) for row in rows}


def check_jobs(
    settings: Settings, *, stored: dict[str, float | None], slack: str, now: datetime | None = None
) -> list[CheckResult]:
    """Each scheduled job with its next run: the stored one, or computed from the settings (nothing is started)."""
    from jobs.scheduler import JOBS

    now = (now or now_utc()).astimezone(settings.zone)
    results: list[CheckResult] = []
    for spec in JOBS:
        name = f"job {spec.id}"
        try:
            trigger = spec.trigger(settings)
        except Exception as exc:  # noqa: BLE001
            results.append(CheckResult(name, FAILED, f"{spec.name}: its schedule is invalid ({_reason(exc)})"))
            continue
        if spec.id in stored:
            timestamp = stored[spec.id]
            when = datetime.fromtimestamp(timestamp, UTC).astimezone(settings.zone) if timestamp else None
            source = "stored by the scheduler"
        else:
            when = trigger.get_next_fire_time(None, now)
            source = "once the scheduler starts"
        # One label for every time: the organisation's zone by name (not GMT/BST or UTC by trigger).
        shown = f"{when.astimezone(settings.zone):%Y-%m-%d %H:%M} {settings.timezone}" if when else "never (paused)"
        detail = f"{spec.name}: next run {shown} ({source})"
        if when and when < now - OVERDUE_AFTER:  # a running scheduler moves it on when the job starts
            detail += "; overdue: is `advocate jobs` running?"
        if slack == NOT_CONFIGURED:
            results.append(CheckResult(name, NOT_CONFIGURED, f"{detail}; sends nothing without SLACK_BOT_TOKEN"))
        elif slack == FAILED:  # one failure, counted once: on the slack line
            results.append(CheckResult(name, OK, f"{detail}; its messages wait until the slack line is fixed"))
        else:
            results.append(CheckResult(name, OK, detail))
    return results


def read_contents(settings: Settings, collection: str, open_client: Callable[[], Any]) -> KnowledgeContents | None:
    """The live collection's contents, or None when there is no collection yet (nothing is created)."""
    if not settings.chroma_url and not settings.chroma_dir.exists():
        return None
    found = get_collection(open_client(), collection)
    return knowledge_contents(found) if found is not None else None


# -- all of them ---------------------------------------------------------------------------------------------
def run_checks(*, load: Callable[[], Settings], services: Callable[[], Parts]) -> list[CheckResult]:
    """Every check, in order. A settings failure stops there: nothing else can be built."""
    from knowledge.chroma import open_chroma

    settings_result, settings = check_settings(load)
    if settings is None:
        return [settings_result]
    svc = services()
    results = [settings_result]
    records, records_open = check_records(settings, lambda: svc.engine)
    results.append(records)
    assert svc.embedder is not None
    embedding, dimension = check_embeddings(svc.embedder, label=settings.embedding_model)
    results.append(embedding)
    collection = settings.collection
    if records_open:
        try:
            collection = CollectionPointer(engine=svc.engine).live(settings.collection)
        except Exception:  # noqa: BLE001 - the records line already says what is wrong
            pass
    def open_client() -> Any:
        return open_chroma(chroma_url=settings.chroma_url, path=str(settings.chroma_dir))

    store = check_vector_store(settings, collection=collection, dimension=dimension, open_client=open_client)
    results.append(store)
    if store.status != FAILED:
        try:
            results.extend(check_knowledge(read_contents(settings, collection, open_client), today=now_utc()))
        except Exception as exc:  # noqa: BLE001 - the store answered a moment ago; say what went wrong
            results.append(CheckResult("knowledge", FAILED, f"cannot read the chunks' metadata: {_reason(exc)}"))
    slack = check_slack(settings, client=lambda: svc.slack, wanted=manifest_scopes())
    results.append(slack)
    stored: dict[str, float | None] = {}
    if records_open:
        try:
            stored = stored_next_runs(svc.engine)
        except Exception:  # noqa: BLE001
            pass
    results.extend(check_jobs(settings, stored=stored, slack=slack.status))
    redact = Redactor(secrets_of(settings))
    return [CheckResult(r.name, r.status, redact(r.detail)) for r in results]
