"""What a brief message shows, detached from the advisor: kept with the delivery so it can be re-rendered.

The "Full brief" button and App Home read it back from the records; it holds only what rendering
needs (sections, numbered sources, lenses), never vectors.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from briefs.brief import SECTION_TITLES, Brief
from knowledge.retrieval import Source


@dataclass(frozen=True)
class SourceLine:
    """One numbered source under the brief."""

    kind: str
    title: str
    heading: str = ""
    date: str = ""
    channel: str = ""
    customer_id: str = ""
    score: int | None = None
    where: str = ""  # file name or source id, shown when there is no link
    permalink: str = ""  # a Slack permalink for feedback that came from Slack

    @classmethod
    def from_source(cls, source: Source) -> SourceLine:
        return cls(
            kind=source.kind,
            title=source.title or source.kind,
            heading=source.heading,
            date=source.date,
            channel=source.channel,
            customer_id=source.customer_id,
            score=source.feedback_score,
            where=source.source_name or ("" if source.source.startswith("slack:") else source.source),
            permalink=str(source.extra.get("permalink") or ""),
        )


@dataclass
class BriefView:
    id: str
    question: str
    sections: dict[str, str]
    sources: list[SourceLine]
    lenses: list[str]  # lens titles, best first
    writer: str
    advocate_note: str = ""  # who was looped in and why, replacing the writer's generic advocate line
    notes: list[str] = field(default_factory=list)

    @classmethod
    def from_brief(cls, brief: Brief) -> BriefView:
        return cls(
            id=brief.id,
            question=brief.question,
            sections={k: v for k, v in brief.sections.items() if k in SECTION_TITLES},
            sources=[SourceLine.from_source(s) for s in brief.sources],
            lenses=[m.lens.title for m in brief.lenses[:3]],
            writer=brief.writer,
            notes=list(brief.notes),
        )

    @property
    def decision(self) -> str:
        return self.sections.get("decision") or self.question

    def as_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> BriefView:
        return cls(
            id=str(data["id"]),
            question=str(data.get("question", "")),
            sections=dict(data.get("sections", {})),
            sources=[SourceLine(**line) for line in data.get("sources", [])],
            lenses=list(data.get("lenses", [])),
            writer=str(data.get("writer", "")),
            advocate_note=str(data.get("advocate_note", "")),
            notes=list(data.get("notes", [])),
        )
