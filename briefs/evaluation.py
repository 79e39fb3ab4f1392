"""Brief evaluation: retrieval hit rate, lens hit@3, citation validity and quote fidelity.

Cases are `{"q": ..., "expect": [...], "lenses": ["id", ...]}` (see knowledge/evaluation.py for the
retrieval half).
"""

from __future__ import annotations

import time

from briefs.advisor import Advisor
from briefs.brief import citation_validity, quote_fidelity
from knowledge.evaluation import Case, judge
from knowledge.retrieval import Retriever


def evaluate_briefs(cases: list[Case], *, advisor: Advisor, retriever: Retriever) -> dict:
    retrieval_hits = lens_hits = lens_cases = 0
    validity: list[float] = []
    fidelity: list[float] = []
    latencies: list[float] = []
    misses: list[str] = []
    for case in cases:
        if judge(case, [s.text for s in retriever.search(case.q, k=20)]).hit:
            retrieval_hits += 1
        started = time.perf_counter()
        brief = advisor.brief(case.q)
        latencies.append(time.perf_counter() - started)
        if case.lenses:
            lens_cases += 1
            top3 = {m.lens.id for m in brief.lenses[:3]}
            if top3 & set(case.lenses):
                lens_hits += 1
            else:
                misses.append(f"lenses {case.lenses} not in top 3 {sorted(top3)}: {case.q}")
        validity.append(citation_validity(brief))
        fidelity.append(quote_fidelity(brief))
    latencies.sort()
    return {
        "cases": len(cases),
        "retrieval_hit_rate": retrieval_hits / len(cases),
        "lens_hit_at_3": lens_hits / lens_cases if lens_cases else None,
        "citation_validity": sum(validity) / len(validity),
        "quote_fidelity": sum(fidelity) / len(fidelity),
        "brief_p50_ms": round(latencies[len(latencies) // 2] * 1000, 1),
        "misses": misses,
    }
