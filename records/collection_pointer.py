"""Which physical Chroma collection is live for the logical ADVOCATE_COLLECTION name.

The knowledge base lives in three places tied to one Chroma collection name: the collection itself,
the lexical index rows (keyed by that name) and LangChain's record manager (namespace
`chroma/<name>`). `advocate reindex` builds a new collection beside the live one and then moves this
pointer, one row in one transaction (operations/reindex.py). Without a row the live collection is the
logical name itself, as before any reindex. Processes read the pointer when they open the store.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine, inspect, select, update

from records.clock import now_utc
from records.models import KnowledgeCollection

_pointer = KnowledgeCollection.__table__


@dataclass
class PointerState:
    name: str
    live: str
    building: str | None = None
    retired: list[str] = field(default_factory=list)


class CollectionPointer:
    """Which physical Chroma collection is live for a logical ADVOCATE_COLLECTION name."""

    def __init__(self, *, engine: Engine) -> None:
        # The records database, shared by every process (the lexical index and record manager live there too).
        self.engine = engine

    def live(self, name: str) -> str:
        """The live collection for `name`: `name` itself until a reindex has switched it. Reads only."""
        return self.state(name).live

    def state(self, name: str) -> PointerState:
        # A database not migrated yet (`advocate doctor` only looks) has no pointer: nothing was switched.
        if not inspect(self.engine).has_table(KnowledgeCollection.__tablename__):
            return PointerState(name=name, live=name)
        with self.engine.connect() as conn:
            row = conn.execute(select(_pointer).where(_pointer.c.name == name)).first()
        if row is None:
            return PointerState(name=name, live=name)
        return PointerState(name=name, live=row.live, building=row.building, retired=json.loads(row.retired or "[]"))

    def set_building(self, name: str, building: str | None) -> None:
        self._upsert(name, building=building)

    def switch(self, name: str, *, live: str, retired: str, embedding_model: str) -> None:
        """Make `live` the live collection and `retired` a former one, in one transaction."""
        state = self.state(name)
        kept = [c for c in state.retired if c not in (live, retired)] + [retired]
        self._upsert(
            name, live=live, building=None, retired=json.dumps(kept), embedding_model=embedding_model,
            switched_at=now_utc().isoformat(timespec="seconds"),
        )

    def set_retired(self, name: str, retired: list[str]) -> None:
        self._upsert(name, retired=json.dumps(retired))

    def _upsert(self, name: str, **values: Any) -> None:
        from sqlalchemy.dialects import postgresql, sqlite

        with self.engine.begin() as conn:
            found = conn.execute(select(_pointer.c.name).where(_pointer.c.name == name)).first()
            if found is None:
                row = {"name": name, "live": name, "building": None, "retired": "[]"} | values
                dialect = postgresql if self.engine.dialect.name == "postgresql" else sqlite
                # Two reindexes starting at once: the second one's insert does nothing, then updates.
                conn.execute(dialect.insert(_pointer).values(**row).on_conflict_do_nothing())
            conn.execute(update(_pointer).where(_pointer.c.name == name).values(**values))
