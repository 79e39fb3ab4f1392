"""The parts the composition root hands to the Slack app and to the jobs alike (`bot/parts.py` and
`jobs/parts.py` add what each needs besides).

Parts that cost something to build (the Slack client, the embedding model, the knowledge store) come as
factories, called where they are needed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from advocate.settings import Settings
from briefs.functions import Function
from records.database import Records

if TYPE_CHECKING:  # only named here; importing it loads the knowledge store's libraries
    from records.loyalty import Loyalty


@dataclass(frozen=True)
class SharedParts:
    # Tokens, schedules, windows, zones, admins, pool sizes, the data dir.
    settings: Settings
    # The records database: staff, customers, promises, keep rates, advocates, the ledgers.
    records: Records
    # The organisation's functions (prompts/functions.yaml or ADVOCATE_FUNCTIONS).
    functions: list[Function]
    # Tenure milestones, suggested thank-yous and customer cards (reads the customers' feedback).
    loyalty: Callable[[], Loyalty]
