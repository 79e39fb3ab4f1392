"""Migrations: they build what the models describe, run once, survive two processes starting at once, and
take a database of an earlier version as it is."""

from __future__ import annotations

import importlib
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, inspect, text

from knowledge.lexical_index import LexicalIndex
from records import Records
from records.collection_pointer import CollectionPointer
from records.forgotten import ForgottenCustomers, forgotten_hash
from records.migrate import VERSION_TABLE, alembic_config, current_revision, head_revision, include_object
from records.models import Base
from tests.conftest import REPO
from tests.records.conftest import LONDON

# The lexical index's table on each database (what knowledge/lexical_index.py reads and writes).
LEXICAL_TABLE = {"sqlite": "knowledge_fts", "postgresql": "knowledge_lexical"}


def schema_differences(engine: Engine) -> list[object]:
    with engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"version_table": VERSION_TABLE, "include_object": include_object, "compare_type": False}
        )
        return list(compare_metadata(context, Base.metadata))


def migrate(engine: Engine, revision: str, *, down: bool = False) -> None:
    with engine.begin() as connection:
        config = alembic_config()
        config.attributes["connection"] = connection
        (command.downgrade if down else command.upgrade)(config, revision)


def test_the_schema_matches_the_models(engine: Engine) -> None:
    Records(engine=engine, timezone=LONDON)
    with engine.connect() as connection:
        assert current_revision(connection) == head_revision()
    assert schema_differences(engine) == []
    tables = set(inspect(engine).get_table_names())
    assert {"customers", "staff", "promises", "promise_events", "thanks", "advocates", "decisions", "concerns",
            "brief_feedback", "slack_events", "digest_deliveries", "forgotten_customers", "knowledge_collections",
            LEXICAL_TABLE[engine.dialect.name], VERSION_TABLE} <= tables
    indexes = {i["name"] for i in inspect(engine).get_indexes("customers")}
    assert {"ix_customers_anniversary", "ix_customers_owner_anniversary"} <= indexes


def test_the_newest_migration_is_read_from_the_scripts_as_alembic_reads_it() -> None:
    assert head_revision() == ScriptDirectory.from_config(alembic_config()).get_current_head()


# What the version before migration 0005 created on first use, beside its migrated tables.
FIRST_USE_TABLES = (
    "CREATE TABLE forgotten_customers (id_hash VARCHAR(64) NOT NULL, forgotten_at TIMESTAMP NOT NULL, "
    "PRIMARY KEY (id_hash))",
    "CREATE TABLE knowledge_collections (name VARCHAR(255) NOT NULL, live VARCHAR(255) NOT NULL, "
    "building VARCHAR(255), retired TEXT NOT NULL, embedding_model TEXT, switched_at VARCHAR(40), PRIMARY KEY (name))",
)


def lexical_statements(dialect: str) -> tuple[str, ...]:
    """The lexical index's SQL: the same the version before 0005 ran on first use."""
    migration = importlib.import_module("records.migrations.versions.20261204_0005_one_schema_owner")
    return migration.LEXICAL_POSTGRESQL if dialect == "postgresql" else migration.LEXICAL_SQLITE


@pytest.mark.parametrize("made_on_first_use", [True, False], ids=["tables-there", "tables-missing"])
def test_a_database_of_the_previous_version_is_upgraded_and_keeps_its_rows(
    engine: Engine, made_on_first_use: bool
) -> None:
    migrate(engine, "0004_staff_digest")
    if made_on_first_use:  # the app had ingested, forgotten a customer and reindexed
        with engine.begin() as connection:
            for statement in (*FIRST_USE_TABLES, *lexical_statements(engine.dialect.name)):
                connection.execute(text(statement))
            connection.execute(text("INSERT INTO forgotten_customers VALUES (:h, :t)"),
                               {"h": forgotten_hash("C00999"), "t": datetime(2026, 11, 20, 9, 0)})
            connection.execute(text("INSERT INTO knowledge_collections (name, live, retired) VALUES "
                                    "('advocate_knowledge', 'advocate_knowledge-r1', '[]')"))
        LexicalIndex(engine=engine, collection="advocate_knowledge-r1").upsert(
            [("c1", "feedback", "internal", "The engineer never came on Saturday.")])

    Records(engine=engine, timezone=LONDON)

    with engine.connect() as connection:
        assert current_revision(connection) == head_revision()
    assert schema_differences(engine) == []
    lexical = LexicalIndex(engine=engine, collection="advocate_knowledge-r1")
    if made_on_first_use:
        assert ForgottenCustomers(engine=engine).contains("c00999")
        assert CollectionPointer(engine=engine).live("advocate_knowledge") == "advocate_knowledge-r1"
        assert [cid for cid, _ in lexical.search("engineer Saturday")] == ["c1"]
    else:
        assert ForgottenCustomers(engine=engine).count() == 0
        assert CollectionPointer(engine=engine).live("advocate_knowledge") == "advocate_knowledge"
        lexical.upsert([("c2", "research", "internal", "Weekend engineers halve repeat visits.")])
        assert [cid for cid, _ in lexical.search("weekend engineers")] == ["c2"]

    # Back to the previous version: it finds its tables where it made them, with their rows.
    migrate(engine, "0004_staff_digest", down=True)
    tables = set(inspect(engine).get_table_names())
    assert {"forgotten_customers", "knowledge_collections", LEXICAL_TABLE[engine.dialect.name]} <= tables
    assert ForgottenCustomers(engine=engine).contains("C00999") is made_on_first_use


def test_opening_again_is_a_no_op(engine: Engine) -> None:
    Records(engine=engine, timezone=LONDON)
    with engine.begin() as connection:
        connection.execute(text("INSERT INTO staff (handle, name, function, updated_at) "
                                "VALUES ('a.b', 'A B', 'service', CURRENT_TIMESTAMP)"))
    Records(engine=engine, timezone=LONDON)
    with engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM staff")).scalar() == 1
        assert connection.execute(text(f"SELECT count(*) FROM {VERSION_TABLE}")).scalar() == 1


def test_processes_migrating_a_new_database_at_once_all_succeed(database_url: str, tmp_path: Path) -> None:
    script = (
        "import sys; from zoneinfo import ZoneInfo; from advocate.services import make_engine; "
        "from records import Records; "
        "Records(engine=make_engine(sys.argv[1]), timezone=ZoneInfo('UTC')); print('ok')"
    )
    processes = [
        subprocess.Popen([sys.executable, "-c", script, database_url], cwd=REPO, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True)
        for _ in range(4)
    ]
    results = [p.communicate(timeout=120) for p in processes]
    for process, (stdout, stderr) in zip(processes, results, strict=True):
        assert process.returncode == 0, stderr
        assert stdout.strip() == "ok"
    from advocate.services import make_engine

    engine = make_engine(database_url)
    try:
        with engine.connect() as connection:
            assert current_revision(connection) == head_revision()
    finally:
        engine.dispose()


def test_migrations_ship_as_package_data() -> None:
    """An installed wheel must be able to migrate: the migration folders are packages, the template data."""
    import tomllib

    config = tomllib.loads((REPO / "pyproject.toml").read_text())
    package_data = config["tool"]["setuptools"]["package-data"]
    assert "script.py.mako" in package_data["records.migrations"]
    assert "alembic.ini" in package_data["records"]
    for folder in ("records/migrations", "records/migrations/versions"):
        assert (REPO / folder / "__init__.py").exists()
