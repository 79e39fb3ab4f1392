"""Retrieval evaluation: did the passage that answers the question come back within the budget?

A case is `{"q": ..., "expect": ["substring", ...]}`. The returned passages are read in rank order
up to BUDGET characters; the case is a hit when any expected substring is inside that text.
MRR is the mean of 1/rank of the first passage (within the budget) holding an expected substring.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

BUDGET = 3000


@dataclass
class Case:
    q: str
    expect: list[str]
    lenses: list[str]
    line: int


@dataclass
class CaseResult:
    case: Case
    hit: bool
    rank: int | None  # 1-based rank of the first passage holding an expected substring


def _norm(text: str) -> str:
    return " ".join(text.split())


def load_cases(path: Path) -> list[Case]:
    """Read cases; a malformed line raises ValueError naming the line."""
    cases: list[Case] = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            raise ValueError(f"{path}:{number}: not valid JSON ({exc.msg})") from None
        if not isinstance(obj, dict) or not isinstance(obj.get("q"), str) or not isinstance(obj.get("expect"), list):
            raise ValueError(f'{path}:{number}: expected {{"q": "...", "expect": ["..."]}}')
        cases.append(
            Case(q=obj["q"], expect=[str(e) for e in obj["expect"]], lenses=list(obj.get("lenses", [])), line=number)
        )
    if not cases:
        raise ValueError(f"{path}: no cases")
    return cases


def judge(case: Case, texts: Sequence[str], *, budget: int = BUDGET) -> CaseResult:
    used = 0
    expected = [_norm(e) for e in case.expect]
    for rank, passage in enumerate(texts, start=1):
        if used >= budget:
            break
        visible = _norm(passage[: budget - used])
        used += len(passage)
        if any(e in visible for e in expected):
            return CaseResult(case, True, rank)
    return CaseResult(case, False, None)


def evaluate(cases: list[Case], search: Callable[[str], Sequence[str]], *, budget: int = BUDGET) -> dict:
    results = [judge(c, search(c.q), budget=budget) for c in cases]
    hits = sum(r.hit for r in results)
    return {
        "cases": len(results),
        "hits": hits,
        "hit_rate": hits / len(results),
        "mrr": sum(1 / r.rank for r in results if r.rank) / len(results),
        "misses": [r.case.q for r in results if not r.hit],
    }
