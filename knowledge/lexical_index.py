"""A lexical (keyword) index beside the vector store, in the records database.

Dense embeddings miss exact terms (product names, "IVR", "exit fee"); a keyword index finds them.
SQLite uses FTS5 with BM25 ranking; PostgreSQL uses a tsvector column with a GIN index. Both live in
the records database so that every process sharing that database sees the same index; its migrations
create them (records/migrations, revision 0005).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from sqlalchemy import Engine, text

_WORD = re.compile(r"[a-z0-9][a-z0-9'’-]*[a-z0-9]|[a-z0-9]")

# Words that carry no topic in a decision question; left in, they match half the corpus.
STOPWORDS = frozenset(
    """a about above after again against all also am an and any are as at be because been before being
    below between both but by can could did do does doing down during each few for from further had has
    have having he her here hers herself him himself his how i if in into is it its itself just let me
    more most my myself no nor not now of off on once only or other our ours ourselves out over own same
    she should so some such than that the their theirs them themselves then there these they this those
    through to too under until up very was we were what when where which while who whom why will with
    would you your yours yourself yourselves thinking plan planning want wants going consider considering
    considered affect affects impact impacts mean means customer customers decision decisions idea
    think does doesn't don't we're we've it's that's what's""".split()
)


def query_terms(question: str, *, limit: int = 24) -> list[str]:
    """Distinct topic words of a question, in order, without stop words."""
    seen: list[str] = []
    for word in _WORD.findall(question.lower()):
        word = word.replace("’", "'").strip("'-")
        if len(word) < 2 or word in STOPWORDS or word in seen:
            continue
        seen.append(word)
        if len(seen) >= limit:
            break
    return seen


class LexicalIndex:
    """Keyword search over chunk texts of one collection."""

    def __init__(self, *, engine: Engine, collection: str) -> None:
        # The records database engine (SQLite or PostgreSQL), migrated: its tables are there.
        self.engine = engine
        # The vector-store collection this index mirrors; several may share a database.
        self.collection = collection
        self.dialect = engine.dialect.name

    @property
    def table(self) -> str:
        """The table the chunk texts are in: FTS5 on SQLite, tsvector on PostgreSQL."""
        return "knowledge_fts" if self.dialect == "sqlite" else "knowledge_lexical"

    def upsert(self, rows: Sequence[tuple[str, str, str, str]]) -> None:
        """rows: (chunk_id, kind, visibility, body)."""
        if not rows:
            return
        ids = [r[0] for r in rows]
        with self.engine.begin() as conn:
            self._delete(conn, ids)
            table = self.table
            conn.execute(
                text(
                    f"INSERT INTO {table} (chunk_id, collection, kind, visibility, body) "
                    "VALUES (:id, :collection, :kind, :visibility, :body)"
                ),
                [
                    {"id": cid, "collection": self.collection, "kind": kind, "visibility": vis, "body": body}
                    for cid, kind, vis, body in rows
                ],
            )

    def delete(self, ids: Sequence[str]) -> None:
        if ids:
            with self.engine.begin() as conn:
                self._delete(conn, list(ids))

    def _delete(self, conn, ids: list[str]) -> None:  # type: ignore[no-untyped-def]
        table = self.table
        for start in range(0, len(ids), 500):
            part = ids[start : start + 500]
            marks = ", ".join(f":i{n}" for n in range(len(part)))
            params = {f"i{n}": value for n, value in enumerate(part)}
            params["collection"] = self.collection
            conn.execute(text(f"DELETE FROM {table} WHERE collection = :collection AND chunk_id IN ({marks})"), params)

    def compact(self) -> None:
        """Merge the SQLite index's segments: a delete only adds a tombstone, and the deleted texts' words
        stay in the older segments until they merge. (PostgreSQL's dead rows are the database's to clear.)"""
        if self.dialect == "sqlite":
            with self.engine.begin() as conn:
                conn.execute(text("INSERT INTO knowledge_fts(knowledge_fts) VALUES ('optimize')"))

    def drop_collection(self) -> None:
        table = self.table
        with self.engine.begin() as conn:
            conn.execute(text(f"DELETE FROM {table} WHERE collection = :c"), {"c": self.collection})

    def search(
        self,
        question: str,
        *,
        k: int = 40,
        kinds: Sequence[str] | None = None,
        visibilities: Sequence[str] | None = None,
    ) -> list[tuple[str, float]]:
        """(chunk_id, score) best first; higher score is better."""
        return [(cid, score) for cid, _, score in self._ranked(question, k=k, kinds=kinds, visibilities=visibilities)]

    def search_by_kind(
        self,
        question: str,
        *,
        k: int = 40,
        kinds: Sequence[str],
        visibilities: Sequence[str] | None = None,
    ) -> dict[str, list[tuple[str, float]]]:
        """`search` for each kind separately — the best k of every kind — in one pass over the index
        (a brief asks every kind; one full-text match instead of one per kind)."""
        found: dict[str, list[tuple[str, float]]] = {kind: [] for kind in kinds}
        for cid, kind, score in self._ranked(question, k=k, kinds=kinds, visibilities=visibilities, per_kind=True):
            found[kind].append((cid, score))
        return found

    def _ranked(
        self,
        question: str,
        *,
        k: int,
        kinds: Sequence[str] | None,
        visibilities: Sequence[str] | None,
        per_kind: bool = False,
    ) -> list[tuple[str, str, float]]:
        """(chunk_id, kind, score) best first: the best k overall, or with `per_kind` the best k of each kind."""
        terms = query_terms(question)
        if not terms:
            return []
        params: dict[str, object] = {"collection": self.collection, "k": k}
        filters = ""
        for name, values in (("kind", kinds), ("visibility", visibilities)):
            if values:
                marks = ", ".join(f":{name}{n}" for n in range(len(values)))
                filters += f" AND {name} IN ({marks})"
                params.update({f"{name}{n}": v for n, v in enumerate(values)})
        if self.dialect == "sqlite":
            params["q"] = " OR ".join('"' + t.replace('"', "") + '"' for t in terms)
            # bm25() is lower for better matches: negated, so that higher is better on both databases.
            matched = (
                "SELECT chunk_id, kind, -bm25(knowledge_fts) AS score FROM knowledge_fts "
                f"WHERE knowledge_fts MATCH :q AND collection = :collection{filters}"
            )
        else:
            # Each term goes through the same parser as the bodies (phraseto_tsquery), OR-ed together:
            # "follow-up" and "won't" match as they were indexed, and no character is query syntax.
            # Rank normalisation 1 divides by 1 + log(length), as BM25 on SQLite normalises for length:
            # the sample pack's hybrid hits on PostgreSQL went 19 → 21 of 36 with both (SQLite: 21).
            params.update({f"t{n}": term for n, term in enumerate(terms)})
            query = " || ".join(f"phraseto_tsquery('english', :t{n})" for n in range(len(terms)))
            matched = (
                "SELECT chunk_id, kind, ts_rank_cd(tsv, q.query, 1) AS score "
                f"FROM knowledge_lexical, (SELECT {query} AS query) AS q "
                f"WHERE tsv @@ q.query AND collection = :collection{filters}"
            )
        if per_kind:
            sql = (
                "SELECT chunk_id, kind, score FROM (SELECT chunk_id, kind, score, "
                "row_number() OVER (PARTITION BY kind ORDER BY score DESC) AS place "
                f"FROM ({matched}) AS matched) AS ranked WHERE place <= :k ORDER BY score DESC"
            )
        else:
            sql = f"{matched} ORDER BY score DESC LIMIT :k"
        with self.engine.connect() as conn:
            rows = conn.execute(text(sql), params).all()
        return [(row[0], row[1], float(row[2])) for row in rows]
