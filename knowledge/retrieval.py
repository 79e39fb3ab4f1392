"""Retrieval: the passages most useful for a decision question, best first.

Hybrid: dense search (our embeddings, Chroma) on the question and on a rewrite of it, plus keyword
search (BM25 / full text), fused by reciprocal rank, then spread across sources so one long
document cannot fill the answer. What each step adds is measured by `advocate eval retrieval`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
from langchain_core.embeddings import Embeddings

from knowledge.embeddings import as_vectors
from knowledge.vector_store import Hit, KnowledgeStore

RRF_K = 60
CANDIDATES = 40
# A request answered from a shared dense net needs this many matches per passage it returns (min
# ENOUGH_MIN); fewer, and it gets a filtered query of its own.
ENOUGH_PER_RESULT = 3
ENOUGH_MIN = 12

# Framing that makes a question about a decision rather than about customers; stripping it leaves
# the substance ("we plan to outsource night calls" → "outsource night calls").
_FRAMING = re.compile(
    r"^\s*(?:so\s+)?(?:we(?:'re| are)?\s+(?:plan(?:ning)?|think(?:ing)?(?: of| about)?|consider(?:ing)?|"
    r"want(?:ing)?|going|propos(?:e|ing)|intend(?:ing)?|about)\s+(?:to\s+)?|"
    r"should\s+we\s+|what\s+if\s+we\s+|how\s+would\s+|what\s+happens\s+if\s+we\s+|"
    # Typed in a hurry: "thinking we tie the bonus to NPS", "thinking of dropping the survey".
    r"thinking\s+(?:of\s+|about\s+|that\s+)?(?:we\s+(?:should\s+|could\s+|might\s+)?)?|"
    r"is\s+it\s+(?:ok|okay|wise|a good idea)\s+to\s+|can\s+we\s+|could\s+we\s+|"
    r"(?:decision|proposal)\s*:\s*)",
    re.IGNORECASE,
)
_TAIL = re.compile(
    r"[\s,;:–—-]*(?:—|-|–|,)?\s*(?:so\s+)?(?:how\s+(?:does|would|will)\s+(?:this|that|it)\s+"
    r"(?:affect|impact|land with|change things for)\s+(?:our\s+)?customers|what\s+does\s+(?:this|that|it)\s+mean\s+"
    r"for\s+(?:our\s+)?customers|any\s+risks?|what\s+are\s+the\s+risks?|is\s+that\s+(?:ok|wise|a good idea))\s*\??\s*$",
    re.IGNORECASE,
)


@dataclass
class Source:
    id: str
    kind: str
    source: str
    title: str
    text: str
    score: float
    customer_id: str = ""
    date: str = ""
    channel: str = ""
    heading: str = ""
    source_name: str = ""
    visibility: str = "internal"
    extra: dict[str, Any] = field(default_factory=dict)
    vector: np.ndarray | None = field(default=None, repr=False, compare=False)

    @classmethod
    def from_hit(cls, hit: Hit, score: float) -> Source:
        meta = hit.metadata
        return cls(
            id=hit.id,
            kind=str(meta.get("kind", "")),
            source=str(meta.get("source", "")),
            title=str(meta.get("title", "")),
            text=hit.text,
            score=round(score, 6),
            customer_id=str(meta.get("customer_id", "")),
            date=str(meta.get("date", "")),
            channel=str(meta.get("channel", "")),
            heading=str(meta.get("heading", "")),
            source_name=str(meta.get("source_name", "")),
            visibility=str(meta.get("visibility", "internal")),
            extra={k: v for k, v in meta.items() if k in ("score", "record_id", "line", "position", "permalink")},
            vector=hit.vector,
        )

    @property
    def record_id(self) -> str:
        """The feedback row's own id (empty for documents)."""
        return str(self.extra.get("record_id", ""))

    @property
    def feedback_score(self) -> int | None:
        value = self.extra.get("score")
        return int(value) if isinstance(value, (int, float)) else None

    def as_json(self) -> dict[str, Any]:
        data = asdict(self)
        data.pop("extra")
        data.pop("vector")
        data["feedback_score"] = self.feedback_score
        return data


def decision_core(question: str) -> str:
    """The substance of a decision question, without "we plan to …" framing or "how does it affect …"."""
    core = _TAIL.sub("", _FRAMING.sub("", question.strip(), count=1)).strip(" ?.")
    return core or question


@dataclass(frozen=True)
class SearchRequest:
    k: int  # passages wanted
    kinds: tuple[str, ...] | None = None  # None: every kind
    score_range: tuple[int, int] | None = None  # feedback scored within this band only
    nearest: bool = False  # the plain nearest neighbours of the question: dense only, no spreading


class Retriever:
    def __init__(self, *, store: KnowledgeStore, embedder: Embeddings) -> None:
        # The knowledge store (dense + lexical halves).
        self.store = store
        # The embedding model used for queries (the same one that embedded the chunks).
        self.embedder = embedder

    def search(
        self,
        question: str,
        *,
        k: int = 8,
        kinds: Sequence[str] | None = None,
        visibilities: Sequence[str] | None = ("internal",),
        hybrid: bool = True,
        per_source: int = 3,
        score_range: tuple[int, int] | None = None,
        query_vectors: np.ndarray | None = None,
    ) -> list[Source]:
        """Best passages for the question. `per_source` caps passages from one document among the
        first results (feedback rows are each their own source of words, so they are not capped).
        `score_range` keeps feedback scored within it; `query_vectors` (from `embed_question`)
        saves embedding the same question again."""
        request = SearchRequest(k=k, kinds=tuple(kinds) if kinds else None, score_range=score_range)
        return self.search_each(
            question, [request], visibilities=visibilities, hybrid=hybrid, per_source=per_source,
            query_vectors=query_vectors, exact=True,
        )[0]

    def search_each(
        self,
        question: str,
        requests: Sequence[SearchRequest],
        *,
        visibilities: Sequence[str] | None = ("internal",),
        hybrid: bool = True,
        per_source: int = 3,
        query_vectors: np.ndarray | None = None,
        exact: bool = False,
    ) -> list[list[Source]]:
        """`search` for several kinds and score bands of one question (a brief asks for eight), sharing
        the work: one dense net per query vector, one keyword search per set of kinds, one fetch of
        the passages only keyword search found. Unless `exact`, a request's dense list may hold fewer
        than CANDIDATES passages when the shared net already has several times what it asks for."""
        question = " ".join(question.split())
        if not question:
            return [[] for _ in requests]
        vectors = query_vectors if query_vectors is not None else self.embed_question(question)
        wheres = [_where(r.kinds, visibilities, r.score_range) for r in requests]
        enough = None if exact else [max(ENOUGH_PER_RESULT * r.k, ENOUGH_MIN) for r in requests]
        ranked_lists: list[list[list[str]]] = [[] for _ in requests]
        hits: dict[str, Hit] = {}
        for vector in vectors:
            found = self.store.dense_search_each(vector, wheres=wheres, k=CANDIDATES, enough=enough)
            for n, dense in enumerate(found):
                ranked_lists[n].append([h.id for h in dense])
                for h in dense:
                    hits.setdefault(h.id, h)
        # Keyword search: score bands are applied after fusion, so one list serves every band of a kind,
        # and requests for one kind each share a single pass over the index.
        lexical: dict[tuple[str, ...] | None, list[str]] = {}
        single = sorted({r.kinds[0] for r in requests if hybrid and not r.nearest and r.kinds and len(r.kinds) == 1})
        if len(single) > 1:
            by_kind = self.store.lexical.search_by_kind(
                question, k=CANDIDATES, kinds=single, visibilities=visibilities
            )
            lexical.update({(kind,): [cid for cid, _ in found] for kind, found in by_kind.items()})
        for n, request in enumerate(requests):
            if not hybrid or request.nearest:
                ranked_lists[n] = ranked_lists[n][:1]
                continue
            if request.kinds not in lexical:
                found_ids = self.store.lexical.search(
                    question, k=CANDIDATES, kinds=request.kinds, visibilities=visibilities
                )
                lexical[request.kinds] = [cid for cid, _ in found_ids]
            ranked_lists[n].append(lexical[request.kinds])
        fused_lists = [_fuse(ranked) for ranked in ranked_lists]
        missing = list(dict.fromkeys(cid for fused in fused_lists for cid in fused if cid not in hits))
        hits.update(self.store.get(missing))
        results: list[list[Source]] = []
        for request, fused in zip(requests, fused_lists, strict=True):
            order = sorted(
                (cid for cid in fused if cid in hits and _in_range(hits[cid], request.score_range)),
                key=lambda c, fused=fused: -fused[c],
            )
            chosen = order[: request.k] if request.nearest else _spread(order, hits, k=request.k, per_source=per_source)
            results.append([Source.from_hit(hits[cid], fused[cid]) for cid in chosen])
        return results

    def embed_question(self, question: str) -> np.ndarray:
        """Vectors for the question and, when it differs, its decision core."""
        question = " ".join(question.split())
        core = decision_core(question)
        return as_vectors(self.embedder, [question] if core == question else [question, core])


def _fuse(ranked_lists: list[list[str]]) -> dict[str, float]:
    """Reciprocal-rank fusion of ranked id lists."""
    fused: dict[str, float] = {}
    for ranked in ranked_lists:
        for rank, cid in enumerate(ranked):
            fused[cid] = fused.get(cid, 0.0) + 1.0 / (RRF_K + rank + 1)
    return fused


def _in_range(hit: Hit, score_range: tuple[int, int] | None) -> bool:
    if score_range is None:
        return True
    score = hit.metadata.get("score")
    return isinstance(score, (int, float)) and score_range[0] <= score <= score_range[1]


def _spread(order: list[str], hits: dict[str, Hit], *, k: int, per_source: int) -> list[str]:
    """Keep rank order but let no single document take more than `per_source` of the first places."""
    chosen: list[str] = []
    deferred: list[str] = []
    counts: dict[str, int] = {}
    for cid in order:
        meta = hits[cid].metadata
        key = str(meta.get("source", "")) if meta.get("kind") != "feedback" else cid
        if counts.get(key, 0) >= per_source:
            deferred.append(cid)
            continue
        counts[key] = counts.get(key, 0) + 1
        chosen.append(cid)
        if len(chosen) >= k:
            return chosen
    return (chosen + deferred)[:k]


def _where(
    kinds: Sequence[str] | None, visibilities: Sequence[str] | None, score_range: tuple[int, int] | None = None
) -> dict | None:
    clauses: list[dict] = []
    if score_range:
        clauses += [{"score": {"$gte": score_range[0]}}, {"score": {"$lte": score_range[1]}}]
    if kinds:
        clauses.append({"kind": {"$in": list(kinds)}})
    if visibilities:
        clauses.append({"visibility": {"$in": list(visibilities)}})
    if not clauses:
        return None
    return clauses[0] if len(clauses) == 1 else {"$and": clauses}
