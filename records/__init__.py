"""The records store: customers, staff, promises, thank-yous, advocates, decisions and digest deliveries.

Every table's declaration (`models`), the Alembic migrations run on open (`migrate`), the `Records` hub
(`database`) and one module per area of work, each given what it uses by the hub (customers, staff,
promises, keep rate, milestones, thanks, loyalty, advocates, Slack records, deliveries, the forgotten
list); time in `clock`. SQLite in the data directory by default, PostgreSQL through DATABASE_URL; the
same code runs on both. The records import nothing from the project's other rooms: the knowledge base
reaches loyalty through the `loyalty.CustomerFeedback` protocol.
"""

from records.database import Records
from records.errors import InputError, NotFound

__all__ = ["InputError", "NotFound", "Records"]
