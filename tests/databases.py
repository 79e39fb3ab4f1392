"""Test databases: whether a PostgreSQL answers, and a fresh schema per test (dropped afterwards)."""

from __future__ import annotations

import functools
import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import quote

CANDIDATES = (
    "postgresql+psycopg://postgres@127.0.0.1:5432/test",
    "postgresql+psycopg://root@127.0.0.1:5432/test",
)
POSTGRES_HINT = "tried 127.0.0.1:5432 (database test, users postgres and root); set TEST_POSTGRES_URL to use another"


@functools.cache
def available_postgres() -> str | None:
    """The first PostgreSQL URL that accepts a connection, or None."""
    import psycopg

    urls = [os.environ["TEST_POSTGRES_URL"]] if os.environ.get("TEST_POSTGRES_URL") else list(CANDIDATES)
    for url in urls:
        try:
            with psycopg.connect(url.replace("+psycopg", ""), connect_timeout=3):
                return url
        except psycopg.Error:
            continue
    return None


@contextmanager
def fresh_postgres_schema(server_url: str) -> Iterator[str]:
    """A SQLAlchemy URL whose search_path is a new, empty schema; the schema is dropped on exit."""
    import psycopg

    schema = f"advocate_test_{uuid.uuid4().hex[:12]}"
    plain = server_url.replace("+psycopg", "")
    with psycopg.connect(plain, autocommit=True) as connection:
        connection.execute(f'CREATE SCHEMA "{schema}"')
    separator = "&" if "?" in server_url else "?"
    try:
        yield f"{server_url}{separator}options={quote(f'-csearch_path={schema}')}"
    finally:
        with psycopg.connect(plain, autocommit=True) as connection:
            connection.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
