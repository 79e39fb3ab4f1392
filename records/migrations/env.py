"""Alembic environment for the records database.

The application passes its own connection (already holding the migration lock) through
`config.attributes["connection"]`. The `alembic` command line, for writing a migration, names the
database itself: `alembic -c records/alembic.ini -x url=sqlite:///data/records.sqlite …`.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection, create_engine, pool

from records.migrate import VERSION_TABLE, MigrationError, include_object
from records.models import Base

config = context.config


def _url() -> str:
    url = context.get_x_argument(as_dictionary=True).get("url") or config.get_main_option("sqlalchemy.url")
    if not url:
        raise MigrationError("name the records database: alembic -c records/alembic.ini -x url=DATABASE_URL …; "
                             "`advocate migrate` upgrades the configured one")
    return url


def _configure(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        version_table=VERSION_TABLE,
        include_object=include_object,
        # SQLite cannot ALTER most things; batch mode rebuilds the table instead.
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )


def run_offline() -> None:
    context.configure(
        url=_url(), target_metadata=Base.metadata, version_table=VERSION_TABLE,
        include_object=include_object, literal_binds=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _configure(connection)
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = create_engine(_url(), poolclass=pool.NullPool)
    with engine.connect() as connection:
        _configure(connection)
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    run_offline()
else:
    run_online()
