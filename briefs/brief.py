"""The decision brief: sections with `[n]` citations that resolve to numbered sources."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from briefs.lenses import LensMatch
from knowledge.retrieval import Source

SECTION_TITLES: dict[str, str] = {
    "bottom_line": "Bottom line",
    "decision": "The decision",
    "definition": "What our definition says",
    "affected": "Who is affected and how",
    "customers_said": "What customers told us",
    "research": "What research says",
    "risks": "Risks today and over time",
    "promises": "Open promises touched",
    "questions": "Questions to answer before deciding",
    "advocate": "Who should weigh in",
}

CITATION = re.compile(r"\[(\d+(?:\s*,\s*\d+)*)\]")
# Quoted text in a brief: “curly” quotes are how both writers mark words taken from a source.
QUOTE = re.compile(r"“([^”]{12,})”")


@dataclass
class Brief:
    question: str
    sections: dict[str, str]
    sources: list[Source]
    lenses: list[LensMatch]
    writer: str  # "grounded" or "llm"
    notes: list[str] = field(default_factory=list)
    id: str = ""
    # Sources listed for the reader although no sentence of theirs is quoted (ids).
    not_quoted: set[str] = field(default_factory=set)

    @property
    def text(self) -> str:
        parts: list[str] = []
        for key, title in SECTION_TITLES.items():
            body = self.sections.get(key, "").strip()
            if body:
                parts.append(f"{title}\n{body}")
        if self.sources:
            parts.append("Sources\n" + "\n".join(self._source_lines()))
        return "\n\n".join(parts)

    def _source_lines(self) -> list[str]:
        lines: list[str] = []
        seen: set[str] = set()
        for n, source in enumerate(self.sources, 1):
            label = source_label(source)
            # Two passages of one section are two sources: named alike, the second had read as a repeat.
            again = " (another passage)" if label in seen else ""
            seen.add(label)
            lines.append(f"[{n}] {label}{again}" + (" (found, not quoted)" if source.id in self.not_quoted else ""))
        return lines

    def as_json(self) -> dict[str, Any]:
        return {
            "lenses": [m.as_json() for m in self.lenses],
            "sections": dict(self.sections),
            "text": self.text,
            "writer": self.writer,
            "notes": list(self.notes),
            # Numbers of the sources listed because retrieval ranked them high, though nothing is quoted.
            "not_quoted": [n for n, s in enumerate(self.sources, start=1) if s.id in self.not_quoted],
        }


def source_label(source: Source) -> str:
    """How a source is named under the brief: title, section, date and where it lives."""
    title = source.title or source.kind
    if source.kind == "feedback":
        bits = [
            title,
            f"score {source.feedback_score}" if source.feedback_score is not None else "",
            source.channel,
            source.date,
            f"customer {source.customer_id}" if source.customer_id else "",
        ]
    else:
        # A document whose first heading is its title (PDF, Word) names it once: "Title · Section".
        path = source.heading.split(" › ") if source.heading else []
        if path and path[0] == title:
            path = path[1:]
        bits = [title, " › ".join(path), source.date]
    # A link where the source has one; never a path on the server, which means nothing to a reader.
    where = str(source.extra.get("permalink") or "")
    if not where and source.source.startswith(("http://", "https://")):
        where = source.source
    return " · ".join(b for b in bits if b) + (f" — {where}" if where else "")


def citation_numbers(text: str) -> list[int]:
    return [int(n) for group in CITATION.findall(text) for n in group.split(",")]


def normalise(text: str) -> str:
    return " ".join(text.split())


def citation_validity(brief: Brief) -> float:
    """Share of `[n]` in the brief that resolve to a source (1.0 when there are none to check)."""
    numbers = citation_numbers("\n".join(brief.sections.values()))
    if not numbers:
        return 1.0
    return sum(1 for n in numbers if 1 <= n <= len(brief.sources)) / len(numbers)


def quote_fidelity(brief: Brief) -> float:
    """Share of quoted passages that appear character for character in a source."""
    quotes = QUOTE.findall("\n".join(brief.sections.values()))
    if not quotes:
        return 1.0
    texts = [normalise(s.text) for s in brief.sources]
    return sum(1 for q in quotes if any(normalise(q) in t for t in texts)) / len(quotes)
