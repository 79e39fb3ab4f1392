"""Retrieval evaluation: did the passage that answers the question come back within the budget?

A case names what answers it in one of three ways:

- `{"q": ..., "expect": ["substring", ...]}`: any of these substrings (the sample pack's own cases);
- `{"q": ..., "file": "name.txt", "span": [start, end], "more_spans": [[s, e]]}`: characters of a
  document that is not part of the project (the readings): the span is read from that file at run
  time, so no sentence of someone else's text is copied into the cases;
- `{"q": ..., "relevant": ["fcc2015-0042", ...]}`: feedback rows, by their row id; with
  `"judged_not_relevant": [...]` the list may be empty (a decision no customer spoke to). Such a
  case has nothing for retrieval to find and is left out of its hits; a brief's verbatims are still judged.

The returned passages are read in rank order up to BUDGET characters. A span counts as found when at
least half of it (by characters, whole sentences) is inside that text; a row counts when its passage
starts inside the budget with at least ROW_VISIBLE characters (or all of it) shown. MRR is the mean of
1/rank of the first passage holding the answer. Cases may carry `"split": "tune" | "check"`: tuning is
done on one part and the other is only run to report.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from knowledge.chunking import split_sentences

BUDGET = 3000
ROW_VISIBLE = 300
SPLITS = ("tune", "check")


class Passage(Protocol):
    """What the judge reads of a returned passage."""

    @property
    def text(self) -> str: ...

    @property
    def record_id(self) -> str: ...


@dataclass(frozen=True)
class TextPassage:
    """A passage known only by its text (or its text and row id)."""

    text: str
    record_id: str = ""


@dataclass
class Case:
    q: str
    expect: list[str]
    lenses: list[str]
    line: int
    split: str = ""
    # Sentences of the answering span(s), read from the documents folder.
    span_sentences: list[str] = field(default_factory=list)
    # Row ids of the feedback that answers the question.
    relevant: list[str] = field(default_factory=list)
    # Row ids judged and found not to bear on it: a decision may have no relevant feedback at all.
    judged_not_relevant: list[str] = field(default_factory=list)

    @property
    def kind(self) -> str:
        if self.relevant or self.judged_not_relevant:
            return "rows"
        return "span" if self.span_sentences else "substrings"

    @property
    def answerable(self) -> bool:
        """Whether the knowledge base holds an answer: retrieval is scored only on cases that have one."""
        return bool(self.expect or self.span_sentences or self.relevant)


@dataclass
class CaseResult:
    case: Case
    hit: bool
    rank: int | None  # 1-based rank of the first passage holding the answer


def _norm(text: str) -> str:
    return " ".join(text.split())


def load_cases(path: Path, *, documents: Path | None = None, split: str | None = None) -> list[Case]:
    """Read cases; a malformed line raises ValueError naming the line. `documents` is the folder the
    `file` of span cases is read from (default: the cases file's own folder). `split` keeps one part."""
    if split is not None and split not in SPLITS:
        raise ValueError(f"split {split!r}: use one of {', '.join(SPLITS)}")
    cases: list[Case] = []
    folder = documents or path.parent
    texts: dict[str, str] = {}
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        where = f"{path}:{number}"
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            raise ValueError(f"{where}: not valid JSON ({exc.msg})") from None
        if not isinstance(obj, dict) or not isinstance(obj.get("q"), str):
            raise ValueError(f'{where}: expected {{"q": "...", "expect"|"span"|"relevant": ...}}')
        case = Case(q=obj["q"], expect=[], lenses=list(obj.get("lenses", [])), line=number,
                    split=str(obj.get("split", "")))
        if isinstance(obj.get("expect"), list):
            case.expect = [str(e) for e in obj["expect"]]
        elif "span" in obj:
            case.span_sentences = _span_sentences(obj, folder, texts, where)
        elif isinstance(obj.get("relevant"), list) and (obj["relevant"] or obj.get("judged_not_relevant")):
            case.relevant = [str(r) for r in obj["relevant"]]
            case.judged_not_relevant = [str(r) for r in obj.get("judged_not_relevant") or []]
        else:
            raise ValueError(f"{where}: a case needs \"expect\" (substrings), \"span\" (with \"file\") or \"relevant\" "
                             "(row ids; an empty list only beside \"judged_not_relevant\")")
        if split is None or case.split == split:
            cases.append(case)
    if not cases:
        raise ValueError(f"{path}: no cases" + (f" in the {split!r} part" if split else ""))
    return cases


def _span_sentences(obj: dict, folder: Path, texts: dict[str, str], where: str) -> list[str]:
    name = str(obj.get("file", ""))
    if not name:
        raise ValueError(f'{where}: a span case needs "file"')
    if name not in texts:
        try:
            texts[name] = (folder / name).read_text(encoding="utf-8")
        except OSError as exc:
            raise ValueError(f"{where}: cannot read {folder / name} ({exc.strerror}); pass --documents DIR") from None
    text = texts[name]
    sentences: list[str] = []
    for start, end in [obj["span"], *obj.get("more_spans", [])]:
        if not (0 <= start < end <= len(text)):
            raise ValueError(f"{where}: span [{start}, {end}] is outside {name} ({len(text)} characters)")
        sentences += [s for s in split_sentences(_norm(text[start:end])) if s]
    return sentences


def judge(case: Case, passages: Sequence[Passage | str], *, budget: int = BUDGET) -> CaseResult:
    used = 0
    expected = [_norm(e) for e in case.expect]
    relevant = set(case.relevant)
    wanted = sum(len(s) for s in case.span_sentences)
    seen_sentences: set[str] = set()
    for rank, passage in enumerate(passages, start=1):
        if used >= budget:
            break
        text = passage if isinstance(passage, str) else passage.text
        visible = _norm(text[: budget - used])
        used += len(text)
        if expected and any(e in visible for e in expected):
            return CaseResult(case, True, rank)
        if relevant and not isinstance(passage, str) and passage.record_id in relevant:
            if len(visible) >= min(ROW_VISIBLE, len(_norm(text))):
                return CaseResult(case, True, rank)
        if wanted:
            seen_sentences.update(s for s in case.span_sentences if s in visible)
            if sum(len(s) for s in seen_sentences) * 2 >= wanted:
                return CaseResult(case, True, rank)
    return CaseResult(case, False, None)


def evaluate(
    cases: list[Case], search: Callable[[str], Sequence[Passage | str]], *, budget: int = BUDGET
) -> dict:
    results = [judge(c, search(c.q), budget=budget) for c in cases]
    return summarise(results)


def summarise(results: list[CaseResult]) -> dict:
    """Hits over the cases that have an answer to find; the others are counted apart."""
    unanswerable = sum(not r.case.answerable for r in results)
    results = [r for r in results if r.case.answerable]
    hits = sum(r.hit for r in results)
    count = len(results) or 1
    return {
        "cases": len(results),
        "unanswerable": unanswerable,
        "hits": hits,
        "hit_rate": hits / count,
        "mrr": sum(1 / r.rank for r in results if r.rank) / count,
        "misses": [r.case.q for r in results if not r.hit],
    }


def systems(retriever: Any, *, k: int = 20) -> dict[str, Callable[[str], Sequence[Passage]]]:
    """The retrieval systems compared by `advocate eval retrieval`: dense search alone, the textbook
    baseline (one dense query and BM25 fused by reciprocal rank, nothing else) and the shipped
    pipeline (both dense queries, keyword search, fusion and spreading across documents)."""
    from knowledge.retrieval import Source, _fuse

    def rrf_baseline(question: str) -> list[Source]:
        vector = retriever.embed_question(question)[:1]
        dense = [h.id for h in retriever.store.dense_search(vector[0], k=40)]
        lexical = [cid for cid, _ in retriever.store.lexical.search(question, k=40)]
        fused = _fuse([dense, lexical])
        order = sorted(fused, key=lambda c: -fused[c])[:k]
        hits = retriever.store.get(order)
        return [Source.from_hit(hits[cid], fused[cid]) for cid in order if cid in hits]

    return {
        "dense": lambda q: retriever.search(q, k=k, hybrid=False),
        "rrf_baseline": rrf_baseline,
        "shipped": lambda q: retriever.search(q, k=k),
    }
