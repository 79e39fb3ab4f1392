"""Upgrading the records database to the newest migration, safely when several processes start at once.

Every process that opens the records (the CLI, the Slack app, the scheduler) calls `upgrade_to_head`.
When the schema is already current it only reads the version (without loading Alembic: a command
that opens the records starts faster); otherwise it takes a lock — a PostgreSQL advisory lock, or a
lock file beside the SQLite database — re-reads the version under the lock and migrates. The second
process to arrive waits, then finds nothing to do.
"""

from __future__ import annotations

import fcntl
import re
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Engine, inspect, text

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
# A version table of our own: other tools sharing the database may use Alembic's default name.
VERSION_TABLE = "records_alembic_version"
# Key of the PostgreSQL advisory lock held while migrating.
_PG_LOCK_KEY = zlib.crc32(b"advocate-records-migrations")
_REVISION_LINE = re.compile(r"^(down_revision|revision) = (?:'([^']+)'|None)$", re.MULTILINE)


class MigrationError(Exception):
    """The records database could not be brought up to date; the message says what to check."""


def include_object(obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any) -> bool:
    """What autogenerate compares: the models' tables. A table in the database without a model is left
    alone — the lexical index's (created in SQL by migration 0005), LangChain's record manager's and
    APScheduler's job store's."""
    return not (type_ == "table" and reflected and compare_to is None)


def alembic_config() -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


@cache
def head_revision() -> str:
    """The newest migration: the one no other migration revises (read from the scripts, not imported)."""
    revised: set[str] = set()
    revisions: set[str] = set()
    for script in (MIGRATIONS / "versions").glob("*.py"):
        for kind, value in _REVISION_LINE.findall(script.read_text(encoding="utf-8")):
            if value:
                (revisions if kind == "revision" else revised).add(value)
    heads = revisions - revised
    if len(heads) != 1:
        raise MigrationError(f"the records migrations have {len(heads)} heads ({', '.join(sorted(heads))}); "
                             "there must be exactly one")
    return heads.pop()


def current_revision(connection: Connection) -> str | None:
    """The database's migration, or None before the first."""
    if not inspect(connection).has_table(VERSION_TABLE):
        return None
    return connection.scalar(text(f"SELECT version_num FROM {VERSION_TABLE}"))


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
            from alembic import command

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
