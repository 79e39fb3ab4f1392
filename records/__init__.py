"""The records store: customers, staff, promises, thank-yous, advocates, decisions and digest deliveries.

SQLAlchemy 2 typed ORM models (`models`), Alembic migrations run on open (`migrate`), and one module
per area of work (customers, staff, promises, keep rate, milestones, thanks, deliveries). SQLite in
the data directory by default, PostgreSQL through DATABASE_URL; the same code runs on both.
"""

from records.database import Records
from records.errors import InputError, NotFound

__all__ = ["InputError", "NotFound", "Records"]
