"""The knowledge store: a Chroma collection (embedded or server) kept in step with the lexical index.

It is a LangChain `VectorStore`, so LangChain's indexing API (`langchain_core.indexing.index`) drives
adds and deletes; every write goes to both halves. Vectors always come from our own embedding
model: Chroma is never asked to embed (its default would try to download a model).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import chromadb
import numpy as np
from langchain_core.documents import Document
from langchain_core.embeddings import Embeddings
from langchain_core.vectorstores import VectorStore

from knowledge.chroma import open_collection
from knowledge.embeddings import as_vectors
from knowledge.lexical_index import LexicalIndex

ADD_BATCH = 512  # as knowledge.ingest.BATCH_CHUNKS: one embedding call per index() batch
OVERFETCH = 120  # how many unfiltered neighbours are read before a filtered query is needed
# A collection of at most this many chunks is searched exactly, over vectors kept in memory: Chroma's
# approximate search returned a slightly different set from one process to the next, so a brief could
# differ between two runs, and listing a small collection's ids costs about 4 ms.
EXACT_COLLECTION_MAX = 2_000
# Kinds with at most this many chunks (the definition, culture, a modest research library) are searched
# exactly too, instead of by a filtered Chroma query: at 100k chunks Chroma scans every chunk's metadata
# for a filter (about 54 ms), while listing a small kind's ids costs about 12 ms.
EXACT_KINDS_MAX = 2_000
EXACT_RETRY_S = 600.0  # a listing found too large is not tried again for this long
DEFAULT_SYNC_THRESHOLD = 1000  # Chroma's hnsw sync_threshold when a collection does not say
LOG_FLUSH_ID = "advocate-log-flush-"  # ids of the no-op deletes that make Chroma purge its log (never stored)


def matches(metadata: dict[str, Any], where: dict[str, Any]) -> bool:
    """Chroma's where-clause semantics for what Advocate uses: $and, $or, $in, $gte, $lte, $eq, equality."""
    if "$and" in where:
        return all(matches(metadata, clause) for clause in where["$and"])
    if "$or" in where:
        return any(matches(metadata, clause) for clause in where["$or"])
    for field_name, condition in where.items():
        value = metadata.get(field_name)
        if not isinstance(condition, dict):
            condition = {"$eq": condition}
        for op, expected in condition.items():
            if value is None:
                return False
            if op == "$eq" and value != expected:
                return False
            if op == "$in" and value not in expected:
                return False
            if op == "$gte" and not (isinstance(value, (int, float)) and value >= expected):
                return False
            if op == "$lte" and not (isinstance(value, (int, float)) and value <= expected):
                return False
            if op not in ("$eq", "$in", "$gte", "$lte"):
                raise ValueError(f"unsupported filter operator {op}")
    return True


@dataclass
class _Held:
    """The chunks one listing of kinds held for exact search, with their unit vectors stacked once (a brief
    searches them once per question vector)."""

    by_id: dict[str, Hit] = field(default_factory=dict)
    hits: list[Hit] = field(default_factory=list)
    unit: np.ndarray = field(default_factory=lambda: np.zeros((0, 0), dtype=np.float32))

    @classmethod
    def of(cls, by_id: dict[str, Hit], ids: Sequence[str]) -> _Held:
        hits = [by_id[cid] for cid in ids if cid in by_id and by_id[cid].vector is not None]
        if not hits:
            return cls(by_id=by_id)
        matrix = np.vstack([h.vector for h in hits]).astype(np.float32)
        norms = np.linalg.norm(matrix, axis=1, keepdims=True)
        return cls(by_id=by_id, hits=hits, unit=matrix / np.where(norms > 0, norms, 1.0))

    def nearest_first(self, vector: np.ndarray) -> list[Hit]:
        """The held chunks by cosine similarity to `vector`, each scored with it (as Chroma's cosine space does)."""
        if not self.hits:
            return []
        query = np.asarray(vector, dtype=np.float32)
        scores = self.unit @ (query / (float(np.linalg.norm(query)) or 1.0))
        return [Hit(id=self.hits[i].id, text=self.hits[i].text, metadata=self.hits[i].metadata,
                    score=float(scores[i]), vector=self.hits[i].vector) for i in np.argsort(-scores, kind="stable")]


def _first_matching(pool: list[Hit], where: dict, k: int) -> list[Hit]:
    """The first k hits of `pool` that the filter keeps."""
    found: list[Hit] = []
    for hit in pool:
        if matches(hit.metadata, where):
            found.append(hit)
            if len(found) == k:
                break
    return found


def mean_direction(vectors: Iterable[np.ndarray | None]) -> np.ndarray | None:
    """The normalised mean of some vectors (None when there are none)."""
    present = [v for v in vectors if v is not None]
    if not present:
        return None
    mean = np.vstack(present).mean(axis=0)
    norm = float(np.linalg.norm(mean))
    return mean / norm if norm else None


def _kinds_of(where: dict | None) -> list[str] | None:
    """The kinds a filter is limited to (a `kind` clause at its top or in its `$and`), or None."""
    if not where:
        return None
    for clause in where.get("$and", [where]):
        condition = clause.get("kind")
        if isinstance(condition, dict) and "$in" in condition:
            return list(condition["$in"])
        if isinstance(condition, str):
            return [condition]
    return None


@dataclass
class Hit:
    id: str
    text: str
    metadata: dict[str, Any]
    score: float
    vector: np.ndarray | None = None  # the stored embedding, so readers need not embed the text again


class KnowledgeStore(VectorStore):
    def __init__(
        self,
        *,
        client: chromadb.ClientAPI,
        collection_name: str,
        embeddings: Embeddings,
        lexical: LexicalIndex,
        model_label: str,
    ) -> None:
        # The Chroma client (persistent or HTTP).
        self.client = client
        # The collection's name; the record manager's namespace is derived from it.
        self.collection_name = collection_name
        # Our embedding model; the only source of vectors.
        self.embedder = embeddings
        # The keyword index kept in step with the collection.
        self.lexical = lexical
        # The EMBEDDING_MODEL setting, stored on the collection to detect a model change.
        self.model_label = model_label
        self._collection: Any = None
        # Chunks held for exact search, by (collection id, kinds listed; () for all) then chunk id: a chunk
        # id is the hash of its text and metadata, so a held chunk is never stale; only the list of ids
        # is read afresh each time.
        self._held: dict[tuple[str, tuple[str, ...]], _Held] = {}
        self._too_many: dict[tuple[str, ...], float] = {}  # listing → until when it counts as too large
        self._held_lock = threading.Lock()

    @property
    def embeddings(self) -> Embeddings:
        return self.embedder

    @property
    def collection(self) -> Any:
        if self._collection is None:
            self._collection = open_collection(self.client, self.collection_name, model_label=self.model_label)
        return self._collection

    def count(self) -> int:
        return int(self.collection.count())

    def count_where(self, where: dict) -> int:
        """Chunks matching a metadata filter, counted by id alone (a tenth of the cost of reading their metadata)."""
        return len(self.collection.get(where=where, include=[])["ids"])

    # -- writes (driven by LangChain's indexing API) ---------------------------------------------
    def add_documents(self, documents: list[Document], **kwargs: Any) -> list[str]:
        ids: list[str] = list(kwargs.get("ids") or [d.id for d in documents])
        if len(ids) != len(documents) or any(i is None for i in ids):
            raise ValueError("every document needs an id")
        for start in range(0, len(documents), ADD_BATCH):
            part = documents[start : start + ADD_BATCH]
            part_ids = ids[start : start + ADD_BATCH]
            metadatas = [_clean_metadata(d.metadata) for d in part]
            # The passage alone is embedded: prefixing title and heading did not help on real text
            # (docs/BENCHMARKS.md); the lexical index gets them instead.
            vectors = as_vectors(self.embedder, [d.page_content for d in part])
            # `add`, not `upsert`: a chunk's id is the hash of its text and metadata (every write comes
            # through LangChain's index()), so an id already stored holds exactly this chunk, and Chroma
            # skips it. `add` writes about a third faster, which short feedback rows notice.
            self.collection.add(
                ids=part_ids, embeddings=vectors, documents=[d.page_content for d in part], metadatas=metadatas
            )
            self.lexical.upsert(
                [
                    (cid, m.get("kind", ""), m.get("visibility", "internal"), _lexical_body(d.page_content, m))
                    for cid, d, m in zip(part_ids, part, metadatas, strict=False)
                ]
            )
        return ids

    def add_texts(self, texts: Iterable[str], metadatas: list[dict] | None = None, **kwargs: Any) -> list[str]:
        texts = list(texts)
        docs = [Document(page_content=t, metadata=(metadatas or [{}] * len(texts))[n]) for n, t in enumerate(texts)]
        return self.add_documents(docs, **kwargs)

    def delete(self, ids: list[str] | None = None, **kwargs: Any) -> bool | None:
        if not ids:
            return True
        for start in range(0, len(ids), 1000):
            self.collection.delete(ids=ids[start : start + 1000])
        self.lexical.delete(ids)
        return True

    def purge_log(self) -> None:
        """Make Chroma drop its write-ahead log of this collection up to now.

        Chroma logs every write, texts and metadata included (`embeddings_queue`), and purges the log
        only up to the last time its vector index was saved to disk, which it does every
        `sync_threshold` writes: deleted chunks' original adds stay in the log until then. Deleting as
        many ids that do not exist (no-ops) makes it save the index and purge everything before; this
        goes through Chroma's API, so it works on a Chroma server too.
        """
        hnsw = (getattr(self.collection, "configuration", None) or {}).get("hnsw") or {}
        threshold = int(hnsw.get("sync_threshold") or DEFAULT_SYNC_THRESHOLD)
        batch = max(1, min(threshold, int(self.client.get_max_batch_size())))
        for start in range(0, threshold, batch):
            self.collection.delete(ids=[f"{LOG_FLUSH_ID}{n}" for n in range(start, min(start + batch, threshold))])

    @classmethod
    def from_texts(cls, texts: list[str], embedding: Embeddings, metadatas: list[dict] | None = None, **kwargs: Any):  # type: ignore[override]
        raise NotImplementedError("build a KnowledgeStore through advocate.services")

    # -- reads -------------------------------------------------------------------------------------
    def similarity_search(self, query: str, k: int = 4, **kwargs: Any) -> list[Document]:
        vector = as_vectors(self.embedder, [query])[0]
        return [
            Document(page_content=h.text, metadata=h.metadata, id=h.id)
            for h in self.dense_search(vector, k=k, where=kwargs.get("filter"))
        ]

    def dense_search(self, vector: np.ndarray, *, k: int, where: dict | None = None) -> list[Hit]:
        """The k nearest chunks matching `where`."""
        return self.dense_search_each(vector, wheres=[where], k=k)[0]

    def dense_search_each(
        self, vector: np.ndarray, *, wheres: Sequence[dict | None], k: int, enough: Sequence[int] | None = None
    ) -> list[list[Hit]]:
        """The k nearest chunks for each filter in `wheres`, in as few Chroma queries as possible.

        A metadata filter makes Chroma scan every matching vector, which is slow when the filter keeps
        most of the collection (internal chunks, feedback). So the unfiltered index is asked once for
        a wider net and each filter applied here. A filter whose matches in the net are fewer than its
        `enough` (default k) — a small kind, a rare score band — is answered by one query shared by all
        such filters (by their kinds alone where each names kinds, else their `$or`), the rest of each
        filter applied here; only a filter still short after that gets a query of its own.
        """
        wanted = list(enough) if enough is not None else [k] * len(wheres)
        held = self._every_chunk_of(None)
        if held is not None:  # a small collection: every filter answered exactly, in memory
            pool = held.nearest_first(vector)
            return [pool[:k] if not where else _first_matching(pool, where, k) for where in wheres]
        results: list[list[Hit] | None] = [None] * len(wheres)
        if all(not where for where in wheres):
            net = self._query(vector, k=k, where=None)
            return [list(net) for _ in wheres]
        size = max(4 * k, OVERFETCH)
        net = self._query(vector, k=size, where=None)
        exhausted = len(net) < size  # the net holds the whole collection
        for n, where in enumerate(wheres):
            kept = [hit for hit in net if not where or matches(hit.metadata, where)]
            if exhausted or len(kept) >= wanted[n]:
                results[n] = kept[:k]
        short = [n for n, found in enumerate(results) if found is None]
        clauses = list({repr(wheres[n]): wheres[n] for n in short}.values())
        kinds = [_kinds_of(clause) for clause in clauses]
        combined: dict | None = None
        if clauses and all(kinds):
            # Chroma materialises every match of a filter before it searches, so a broad clause (the
            # visibility every chunk has) costs a scan of the collection: ask by kind alone, check here.
            combined = {"kind": {"$in": sorted({kind for found in kinds for kind in found or ()})}}
        elif len(clauses) > 1:
            combined = {"$or": clauses}
        if combined is not None:
            pool_size = k * len(clauses)
            held = self._every_chunk_of(combined["kind"]["$in"]) if "kind" in combined else None
            if held is not None:
                pool, complete = held.nearest_first(vector), True
            else:
                pool = self._query(vector, k=pool_size, where=combined)
                complete = len(pool) < pool_size
            for n in short:
                kept = [hit for hit in pool if matches(hit.metadata, wheres[n] or {})]
                if complete or len(kept) >= wanted[n]:
                    results[n] = kept[:k]
        for n, found in enumerate(results):
            if found is None:
                results[n] = self._query(vector, k=k, where=wheres[n])
        return [found or [] for found in results]

    def _every_chunk_of(self, kinds: Sequence[str] | None) -> _Held | None:
        """Every chunk of these kinds (None: of the collection), from memory where already read; None when
        there are more than the exact search's cap (then Chroma's own search is cheaper than reading them)."""
        key = tuple(sorted(kinds)) if kinds is not None else ()
        cap = EXACT_KINDS_MAX if key else EXACT_COLLECTION_MAX
        if self._too_many.get(key, 0.0) > time.monotonic():
            return None
        where = {"kind": {"$in": list(key)}} if key else None
        ids = self.collection.get(where=where, limit=cap + 1, include=[])["ids"]
        if len(ids) > cap:
            self._too_many[key] = time.monotonic() + EXACT_RETRY_S
            return None
        space = (str(self.collection.id), key)
        with self._held_lock:
            held = self._held.get(space) or _Held()
            known = {cid: held.by_id[cid] for cid in ids if cid in held.by_id}
        fresh = self.get([cid for cid in ids if cid not in known])
        if fresh or len(known) != len(held.by_id):
            # Only what is listed now is kept: deleted chunks go, and memory stays bounded by the cap.
            listed = {**known, **fresh}
            held = _Held.of(listed, ids)
            with self._held_lock:
                self._held[space] = held
        return held

    def _query(self, vector: np.ndarray, *, k: int, where: dict | None) -> list[Hit]:
        # No count() first: it costs a round trip per query, and Chroma answers an empty query with [].
        result = self.collection.query(
            query_embeddings=[vector],
            n_results=k,
            where=where or None,
            include=["documents", "metadatas", "distances", "embeddings"],
        )
        return [
            Hit(id=cid, text=doc or "", metadata=dict(meta or {}), score=1.0 - float(dist), vector=np.asarray(vec))
            for cid, doc, meta, dist, vec in zip(
                result["ids"][0],
                result["documents"][0],
                result["metadatas"][0],
                result["distances"][0],
                result["embeddings"][0],
                strict=False,
            )
        ]

    def get(self, ids: Sequence[str]) -> dict[str, Hit]:
        if not ids:
            return {}
        result = self.collection.get(ids=list(ids), include=["documents", "metadatas", "embeddings"])
        return {
            cid: Hit(id=cid, text=doc or "", metadata=dict(meta or {}), score=0.0, vector=np.asarray(vec))
            for cid, doc, meta, vec in zip(
                result["ids"], result["documents"], result["metadatas"], result["embeddings"], strict=False
            )
        }

    def by_metadata(self, where: dict, *, limit: int | None = None) -> list[Hit]:
        result = self.collection.get(where=where, limit=limit, include=["documents", "metadatas"])
        return [
            Hit(id=cid, text=doc or "", metadata=dict(meta or {}), score=0.0)
            for cid, doc, meta in zip(result["ids"], result["documents"], result["metadatas"], strict=False)
        ]


def _clean_metadata(metadata: dict[str, Any]) -> dict[str, Any]:
    # Chroma accepts str/int/float/bool only, and no None.
    return {k: v for k, v in metadata.items() if isinstance(v, (str, int, float, bool)) and v != ""}


def _lexical_body(text: str, metadata: dict[str, Any]) -> str:
    extra = " ".join(str(metadata.get(k, "")) for k in ("title", "heading"))
    return f"{extra}\n{text}" if extra.strip() and metadata.get("kind") != "feedback" else text
