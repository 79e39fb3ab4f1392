"""Brief evaluation: retrieval through the brief, lens hit@3, citations, quotes and evidence precision.

Cases are those of knowledge/evaluation.py (with `"lenses": [...]` for the lens figure). Evidence
precision needs a labelled set: for each decision (by its case's line), sentences of the documents
with whether each bears on the decision and its role (finding, risk or aside), pointed to by file
and character span (bench/cases/evidence_labels.jsonl, on the readings). A quoted sentence in
"What research says", "What our definition says" or the bottom line counts when it is labelled
relevant; one in "Risks" when it is labelled relevant and a risk. Quotes with no label are counted
apart, not guessed. Verbatims are judged by the case's `relevant` row ids (the real complaints).
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from briefs.advisor import Advisor
from briefs.brief import Brief, citation_validity, normalise, quote_fidelity
from knowledge.chunking import split_sentences
from knowledge.evaluation import Case, judge, summarise
from knowledge.retrieval import Retriever

QUOTED = re.compile(r"“([^”]+)”")
# Sections whose quotes are judged, and the role a relevant quote must have there (None: any).
JUDGED_SECTIONS: dict[str, str | None] = {"bottom_line": None, "definition": None, "research": None, "risks": "risk"}
# Sections whose cited verbatims are judged by a row case's labels, and the name of their tally.
VERBATIM_SECTIONS = {"customers_said": "customers_said", "bottom_line": "bottom_line_verbatims"}


@dataclass
class SentenceLabel:
    relevant: bool
    role: str


@dataclass
class EvidenceLabels:
    """Labelled sentences per case line, keyed by their whitespace-folded text."""

    by_line: dict[int, dict[str, SentenceLabel]] = field(default_factory=dict)

    @classmethod
    def load(cls, path: Path, *, documents: Path) -> EvidenceLabels:
        texts: dict[str, str] = {}
        labels = cls()
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if not line.strip():
                continue
            try:
                item = json.loads(line)
                sentences = labels.by_line.setdefault(int(item["case_line"]), {})
                for entry in item["sentences"]:
                    name = entry["file"]
                    if name not in texts:
                        texts[name] = (documents / name).read_text(encoding="utf-8")
                    start, end = entry["span"]
                    sentences[_bare(texts[name][start:end])] = SentenceLabel(bool(entry["relevant"]), entry["role"])
            except (KeyError, TypeError, ValueError, json.JSONDecodeError) as exc:
                raise ValueError(f"{path}:{number}: not an evidence label line ({exc})") from None
            except OSError as exc:
                raise ValueError(f"{path}:{number}: cannot read {exc.filename} ({exc.strerror}); "
                                 "pass the documents folder") from None
        return labels

    def find(self, line: int, quote: str) -> SentenceLabel | None:
        known = self.by_line.get(line, {})
        quote = _bare(normalise(quote).rstrip("…"))
        if quote in known:
            return known[quote]
        # A bottom-line quote is the head of a sentence (cut at a clause): the sentence it starts.
        found = next((label for text, label in known.items() if quote and text.startswith(quote)), None)
        if found is None and len(sentences := split_sentences(quote)) > 1:
            # A sentence quoted with the finding after it is judged by the sentence that was chosen.
            return self.find(line, sentences[0])
        return found


def _bare(text: str) -> str:
    """A sentence whitespace-folded and without closing quotation marks or brackets, so a label and a quote
    of the same sentence meet whichever of them kept the marks."""
    return normalise(text).rstrip("\"”’')]").rstrip()


@dataclass
class SectionTally:
    shown: int = 0
    judged: int = 0
    good: int = 0

    def as_json(self) -> dict[str, Any]:
        return {"shown": self.shown, "labelled": self.judged, "good": self.good,
                "precision": round(self.good / self.judged, 3) if self.judged else None}


def tally_evidence(brief: Brief, case: Case, labels: EvidenceLabels | None, tallies: dict[str, SectionTally]) -> bool:
    """Add this brief's quoted sentences (and verbatims, for row cases) to the per-section tallies; whether
    it shows the reader at least one research sentence labelled relevant."""
    shows_relevant_research = False
    if labels is not None and case.line in labels.by_line:
        for section, role in JUDGED_SECTIONS.items():
            tally = tallies.setdefault(section, SectionTally())
            for quote in QUOTED.findall(brief.sections.get(section, "")):
                tally.shown += 1
                label = labels.find(case.line, quote)
                if label is None:
                    continue
                tally.judged += 1
                tally.good += label.relevant and (role is None or label.role == role)
                shows_relevant_research |= label.relevant and section == "research"
    if case.kind == "rows":
        for section, tally_name in VERBATIM_SECTIONS.items():
            _tally_verbatims(brief, section, case.relevant, tallies.setdefault(tally_name, SectionTally()))
    return shows_relevant_research


def _tally_verbatims(brief: Brief, section: str, relevant: list[str], tally: SectionTally) -> None:
    """Count the verbatims a section cites, and how many of them are labelled as bearing on the decision."""
    numbers = {int(n) for n in re.findall(r"\[(\d+)\]", brief.sections.get(section, ""))}
    for number in sorted(numbers):
        source = brief.sources[number - 1] if 0 < number <= len(brief.sources) else None
        if source is None or source.kind != "feedback":
            continue
        tally.shown += 1
        tally.judged += 1
        tally.good += source.record_id in relevant


def evaluate_briefs(
    cases: list[Case],
    *,
    advisor: Advisor,
    retriever: Retriever,
    labels: EvidenceLabels | None = None,
    search: Callable[[str], list] | None = None,
) -> dict:
    """Retrieval alone and through the brief (both at the 3,000-character budget), lens hit@3,
    citation validity, quote fidelity, evidence precision per section, brief length and latency."""
    search = search or (lambda q: retriever.search(q, k=20))
    retrieval, through_brief = [], []
    lens_hits = lens_cases = 0
    validity: list[float] = []
    fidelity: list[float] = []
    latencies: list[float] = []
    lines: list[int] = []
    misses: list[str] = []
    tallies: dict[str, SectionTally] = {}
    relevant_research = 0
    for case in cases:
        retrieval.append(judge(case, search(case.q)))
        started = time.perf_counter()
        brief = advisor.brief(case.q)
        latencies.append(time.perf_counter() - started)
        through_brief.append(judge(case, brief.sources))
        lines.append(len(brief.sections.get("bottom_line", "").splitlines()))
        if case.lenses:
            lens_cases += 1
            top3 = {m.lens.id for m in brief.lenses[:3]}
            if top3 & set(case.lenses):
                lens_hits += 1
            else:
                misses.append(f"lenses {case.lenses} not in top 3 {sorted(top3)}: {case.q}")
        validity.append(citation_validity(brief))
        fidelity.append(quote_fidelity(brief))
        relevant_research += tally_evidence(brief, case, labels, tallies)
    latencies.sort()
    retrieved, briefed = summarise(retrieval), summarise(through_brief)
    return {
        "cases": len(cases),
        "answerable": retrieved["cases"],  # cases with an answer to find: the hits' denominator
        "retrieval_hit_rate": retrieved["hit_rate"],
        "retrieval_hits": retrieved["hits"],
        "brief_source_hit_rate": briefed["hit_rate"],
        "brief_source_hits": briefed["hits"],
        "lens_hit_at_3": lens_hits / lens_cases if lens_cases else None,
        "citation_validity": sum(validity) / len(validity),
        "quote_fidelity": sum(fidelity) / len(fidelity),
        "evidence_precision": {section: tally.as_json() for section, tally in tallies.items()},
        # Briefs that show the reader at least one research sentence labelled relevant (needs labels).
        "briefs_with_relevant_research": relevant_research if labels is not None else None,
        "bottom_line_max_lines": max(lines) if lines else 0,
        "brief_p50_ms": round(latencies[len(latencies) // 2] * 1000, 1),
        "misses": misses,
    }
