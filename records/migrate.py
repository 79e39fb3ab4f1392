"""Upgrading the records database to the newest migration, safely when several processes start at once.

Every process that opens the records (the CLI, the Slack app, the scheduler) calls `upgrade_to_head`.
When the schema is already current it only reads the version; otherwise it takes a lock — a
PostgreSQL advisory lock, or a lock file beside the SQLite database — re-reads the version under the
lock and migrates. The second process to arrive waits, then finds nothing to do.
"""

from __future__ import annotations

import fcntl
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, text

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
# A version table of our own: other tools sharing the database may use Alembic's default name.
VERSION_TABLE = "records_alembic_version"
# Key of the PostgreSQL advisory lock held while migrating.
_PG_LOCK_KEY = zlib.crc32(b"advocate-records-migrations")

# Tables in the same database that belong to others (the lexical index, LangChain's record manager,
# APScheduler's job store, the forgotten-customers list created on first use by
# records/forgotten.py): autogenerate must neither drop nor recreate them.
_FOREIGN_TABLES = frozenset(
    {"knowledge_fts", "knowledge_lexical", "upsertion_record", "apscheduler_jobs", "forgotten_customers"}
)


class MigrationError(Exception):
    """The records database could not be brought up to date; the message says what to check."""


def include_object(obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any) -> bool:
    if type_ == "table" and (name in _FOREIGN_TABLES or (name or "").startswith("knowledge_fts")):
        return False
    return not (type_ == "table" and reflected and compare_to is None)


def alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def head_revision() -> str:
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None
    return head


def current_revision(connection: Connection) -> str | None:
    return MigrationContext.configure(connection, opts={"version_table": VERSION_TABLE}).get_current_revision()


def upgrade_to_head(engine: Engine) -> None:
    head = head_revision()
    with engine.connect() as connection:
        if current_revision(connection) == head:
            return
    try:
        with _migration_lock(engine), engine.begin() as connection:
            if engine.dialect.name == "postgresql":
                connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_LOCK_KEY})
            if current_revision(connection) == head:
                return
            config = alembic_config()
            config.attributes["connection"] = connection
            command.upgrade(config, "head")
    except OSError as exc:
        raise MigrationError(f"cannot lock the records database for migrating ({exc.strerror})") from None


@contextmanager
def _migration_lock(engine: Engine) -> Iterator[None]:
    """A lock file beside a SQLite database (PostgreSQL locks inside the transaction instead)."""
    database = engine.url.database if engine.dialect.name == "sqlite" else None
    if not database or database == ":memory:" or database.startswith("file:"):
        yield
        return
    lock_path = Path(database).with_name(Path(database).name + ".migrate.lock")
    with open(lock_path, "a+b") as handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
