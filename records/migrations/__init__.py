"""Alembic migrations of the records database (a package, so installed wheels carry them)."""
