"""Migrations: they build what the models describe, run once, and survive two processes starting at once."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, inspect, text

from records import Records
from records.migrate import VERSION_TABLE, current_revision, head_revision, include_object
from records.models import Base
from tests.conftest import REPO
from tests.records.conftest import LONDON


def test_the_schema_matches_the_models(engine: Engine) -> None:
    Records(engine=engine, timezone=LONDON)
    with engine.connect() as connection:
        assert current_revision(connection) == head_revision()
        context = MigrationContext.configure(
            connection, opts={"version_table": VERSION_TABLE, "include_object": include_object, "compare_type": False}
        )
        differences = compare_metadata(context, Base.metadata)
    assert differences == []
    tables = set(inspect(engine).get_table_names())
    assert {"customers", "staff", "promises", "promise_events", "thanks", "advocates", "decisions", "concerns",
            "brief_feedback", "slack_events", "digest_deliveries", VERSION_TABLE} <= tables
    indexes = {i["name"] for i in inspect(engine).get_indexes("customers")}
    assert {"ix_customers_anniversary", "ix_customers_owner_anniversary"} <= indexes


def test_opening_again_is_a_no_op(engine: Engine) -> None:
    Records(engine=engine, timezone=LONDON)
    with engine.begin() as connection:
        connection.execute(text("INSERT INTO staff (handle, name, function, updated_at) "
                                "VALUES ('a.b', 'A B', 'service', CURRENT_TIMESTAMP)"))
    Records(engine=engine, timezone=LONDON)
    with engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM staff")).scalar() == 1
        assert connection.execute(text(f"SELECT count(*) FROM {VERSION_TABLE}")).scalar() == 1


def test_two_processes_migrating_at_once_both_succeed(database_url: str, tmp_path: Path) -> None:
    script = (
        "import sys; from zoneinfo import ZoneInfo; from advocate.services import make_engine; "
        "from records import Records; "
        "Records(engine=make_engine(sys.argv[1]), timezone=ZoneInfo('UTC')); print('ok')"
    )
    processes = [
        subprocess.Popen([sys.executable, "-c", script, database_url], cwd=REPO, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True)
        for _ in range(2)
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
