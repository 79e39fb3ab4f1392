"""The grounded writer: a brief composed only from what was retrieved, with no language model.

It selects — never invents. Sentences from the definition, culture, research and transcripts are
ranked against the decision with the embedding model; the best are quoted exactly, each with its
citation. Verbatims are quoted whole. Where nothing relevant was found it says so plainly and still
gives the lens questions.
"""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from collections.abc import Iterable
from datetime import UTC, date, datetime

import numpy as np
from langchain_core.embeddings import Embeddings

from briefs.advisor import Evidence
from briefs.brief import Brief
from knowledge.chunking import split_sentences
from knowledge.embeddings import as_vectors
from knowledge.retrieval import Source

RELEVANT = 0.22  # cosine similarity below which a sentence or verbatim is not about the decision
# A sentence must also come within this share of the best sentence's similarity: when the knowledge
# base speaks to the decision directly, loosely related sentences only dilute the brief.
RELATIVE = 0.5
# What a decision drifts into: trends, erosion, metrics managed instead of customers.
_OVER_TIME = re.compile(
    r"\b(over time|long[- ]term|drift\w*|erod\w*|gradual\w*|slipp?\w*|creep\w*|gam(?:ing|ed)|"
    r"managing (?:it|the score)|standards?|trends?|rose|rising|fell|falling|declin\w*|worsen\w*|"
    r"year after year|every year|again this year|churn\w*|the following \w+ months)\b",
    re.IGNORECASE,
)
_RISK = re.compile(
    r"\b(risk\w*|complain\w*|angry|frustrat\w*|lose|lost|losing|leave|left|cancel\w*|churn\w*|worse|drop\w*|"
    r"fall\w*|broke\w*|fail\w*|cost\w*|damag\w*|trust)\b",
    re.IGNORECASE,
)
_BULLET = re.compile(r"^\s*(?:[-*•]|\d+[.)])\s+(.*)$")
# "Authors: …", "Calls analysed: …": document furniture, not findings (transcript turns are exempt).
_LABEL = re.compile(r"^[A-Z][\w ]{0,24}:\s")
_PROMISE = re.compile(r"\b(promis\w*|call(?:ed)? back|callbacks?|commit\w*|said we would|on time)\b", re.IGNORECASE)


class _Citations:
    def __init__(self) -> None:
        self.sources: list[Source] = []
        self._numbers: dict[str, int] = {}

    def __call__(self, source: Source) -> str:
        if source.id not in self._numbers:
            self.sources.append(source)
            self._numbers[source.id] = len(self.sources)
        return f"[{self._numbers[source.id]}]"


def _clean(text: str) -> str:
    return " ".join(text.split())


def _quote(text: str) -> str:
    return f"“{_clean(text)}”"


class GroundedWriter:
    name = "grounded"

    def __init__(self, *, embedder: Embeddings, relevant: float = RELEVANT, cache_size: int = 50_000) -> None:
        # The embedding model, to rank sentences against the decision.
        self.embedder = embedder
        # Similarity below which material is left out as not about the decision.
        self.relevant = relevant
        # Sentence vectors by text: the definition, culture and research recur across decisions, so a
        # warm process embeds a sentence once (about 1.5 KB each; the cap bounds memory).
        self.cache_size = cache_size
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()

    def _sentence_vectors(self, sentences: list[str]) -> np.ndarray:
        with self._lock:
            known = {s: self._cache[s] for s in sentences if s in self._cache}
            for sentence in known:
                self._cache.move_to_end(sentence)
        missing = list(dict.fromkeys(s for s in sentences if s not in known))
        if missing:
            fresh = dict(zip(missing, as_vectors(self.embedder, missing), strict=True))
            known.update(fresh)
            with self._lock:
                self._cache.update(fresh)
                while len(self._cache) > self.cache_size:
                    self._cache.popitem(last=False)
        return np.vstack([known[s] for s in sentences])

    def write(self, evidence: Evidence) -> Brief:
        cite = _Citations()
        sentences = self._rank_sentences(evidence)
        if sentences:
            floor = RELATIVE * max(score for score, _, _ in sentences)
            sentences = [item for item in sentences if item[0] >= floor]
        feedback = self._rank_feedback(evidence)
        by_kind: dict[str, list[tuple[float, Source, str]]] = {}
        for item in sentences:
            by_kind.setdefault(item[1].kind, []).append(item)
        used: set[str] = set()

        def best(kinds: Iterable[str], n: int, *, per_source: int = 1, pattern: re.Pattern[str] | None = None):
            picked: list[tuple[float, Source, str]] = []
            counts: dict[str, int] = {}
            pool = sorted((i for k in kinds for i in by_kind.get(k, [])), key=lambda i: -i[0])
            for score, source, sentence in pool:
                if len(picked) >= n:
                    break
                if sentence in used or counts.get(source.id, 0) >= per_source:
                    continue
                if pattern is not None and not pattern.search(sentence):
                    continue
                picked.append((score, source, sentence))
                used.add(sentence)
                counts[source.id] = counts.get(source.id, 0) + 1
            return picked

        sections: dict[str, str] = {"decision": evidence.decision}

        definition = best(["definition"], 2, per_source=2)
        culture = best(["culture"], 1)
        lines = [f"• {_where(s)}{_quote(t)} {cite(s)}" for _, s, t in definition]
        lines += [
            f"• Our culture{' (' + s.heading + ')' if s.heading else ''}: {_quote(t)} {cite(s)}" for _, s, t in culture
        ]
        if not lines:
            lines = [
                "Nothing in our customer-centricity definition or culture speaks to this directly. "
                "If the definition is not loaded yet: `advocate ingest PATH --kind definition`."
            ]
        sections["definition"] = "\n".join(lines)

        complaints = [f for f in feedback if f[1] in evidence.complaints][:3]
        praise = [f for f in feedback if f[1] in evidence.praise][:3]
        middle = [f for f in feedback if f[1] in evidence.middle][:1]
        unscored = [f for f in feedback if f[1] in evidence.unscored][:2]
        said = [
            f"• {_quote(s.text)} — {_feedback_facts(s)} {cite(s)}" for _, s in complaints + praise + middle + unscored
        ]
        said += [
            f"• From a {s.channel or 'customer'} transcript{f' ({s.date})' if s.date else ''}: {_quote(t)} {cite(s)}"
            for _, s, t in best(["transcript"], 1)
        ]
        sections["customers_said"] = "\n".join(said) or "No customer feedback in the knowledge base is about this yet."

        research = best(["research"], 3)
        sections["research"] = "\n".join(f"• {s.title}: {_quote(t)} {cite(s)}" for _, s, t in research) or (
            "No research in the knowledge base is about this yet."
        )

        affected: list[str] = []
        relevant_feedback = complaints + praise + middle + unscored
        if relevant_feedback:
            channels = sorted({s.channel for _, s in relevant_feedback if s.channel})
            refs = " ".join(cite(s) for _, s in relevant_feedback)
            reach = f"Customers who reach us by {', '.join(channels)}" if channels else "Customers"
            affected.append(
                f"• {reach}: among the most relevant feedback, {len(complaints)} complaint(s) and "
                f"{len(praise)} piece(s) of praise {refs}"
            )
        for match in evidence.lenses[:2]:
            affected.append(f"• {match.lens.title}: {match.lens.summary}")
        affected += _named_customers(evidence)
        sections["affected"] = "\n".join(affected)

        risks: list[str] = []
        if complaints:
            _, top = complaints[0]
            first = split_sentences(_clean(top.text))[0]
            risks.append(
                f"• Today: customers already complain about this — {len(complaints)} recent complaint(s), "
                f"e.g. {_quote(first)} {cite(top)}"
            )
        for _, s, t in best(["research", "definition", "culture", "transcript"], 2, pattern=_RISK):
            risks.append(f"• Risk: {_quote(t)} {cite(s)}")
        for _, s, t in best(["research", "definition", "culture"], 1, pattern=_OVER_TIME):
            risks.append(f"• Over time: {_quote(t)} {cite(s)}")
        if any(m.lens.id == "over_time" for m in evidence.lenses[:3]):
            over = next(m for m in evidence.lenses if m.lens.id == "over_time")
            risks.append(f"• Over time ({over.lens.title}): {over.lens.summary}")
        sections["risks"] = (
            "\n".join(risks) or "No specific risk is documented in the knowledge base; use the questions below."
        )

        promises = _open_promises(evidence)
        for _, s, t in best(["definition", "culture", "research"], 1, pattern=_PROMISE):
            promises.append(f"• What we hold ourselves to: {_quote(t)} {cite(s)}")
        sections["promises"] = "\n".join(promises)

        questions: list[str] = []
        for match in evidence.lenses[:3]:
            for question in match.lens.questions[:2]:
                if question not in questions:
                    questions.append(question)
        sections["questions"] = "\n".join(f"• {q} ({_lens_tag(evidence, q)})" for q in questions)

        if evidence.function:
            words = ", ".join(f"“{w}”" for w in evidence.function.words[:4])
            why = f": the decision mentions {words}" if words else " (the function named with the question)"
            sections["advocate"] = (
                f"The {evidence.function.function.title} customer advocate{why}. "
                "No advocate roster is configured yet, so nobody is mentioned by name."
            )
        else:
            sections["advocate"] = (
                "No one function is clear from the decision: ask the customer-experience lead "
                "which customer advocate should weigh in."
            )

        notes = list(evidence.notes)
        if not cite.sources:
            notes.append("nothing relevant was found in the knowledge base")
            sections["definition"] = (
                "Nothing in the knowledge base speaks to this decision yet, so this brief has no "
                "sources. The questions below still apply."
            )
        return Brief(
            question=evidence.question,
            sections=sections,
            sources=cite.sources,
            lenses=evidence.lenses,
            writer=self.name,
            notes=notes,
        )

    def _rank_sentences(self, evidence: Evidence) -> list[tuple[float, Source, str]]:
        candidates = [
            (source, sentence)
            for source in (*evidence.definition, *evidence.culture, *evidence.research, *evidence.transcripts)
            for sentence in quotable_sentences(source)
        ]
        if not candidates:
            return []
        scores = self._sentence_vectors([s for _, s in candidates]) @ evidence.vector
        return [(float(sc), src, s) for (src, s), sc in zip(candidates, scores, strict=False) if sc >= self.relevant]

    def warm(self, sources: Iterable[Source], *, limit: int | None = None) -> int:
        """Embed the quotable sentences of these passages ahead of the first brief that needs them
        (at most `limit`, default the cache size); returns how many were embedded."""
        budget = min(limit or self.cache_size, self.cache_size)
        sentences: list[str] = []
        for source in sources:
            sentences.extend(quotable_sentences(source))
            if len(sentences) >= budget:
                break
        with self._lock:
            missing = list(dict.fromkeys(s for s in sentences[:budget] if s not in self._cache))
        for start in range(0, len(missing), 512):
            self._sentence_vectors(missing[start : start + 512])
        return len(missing)

    def _rank_feedback(self, evidence: Evidence) -> list[tuple[float, Source]]:
        """Verbatims about the decision, in retrieval order (which already fuses meaning and words)."""
        items = evidence.feedback
        if not items:
            return []
        missing = [s.text for s in items if s.vector is None]
        fresh = iter(as_vectors(self.embedder, missing)) if missing else iter(())
        vectors = np.vstack([s.vector if s.vector is not None else next(fresh) for s in items])
        scores = vectors @ evidence.vector
        paired = zip(np.asarray(scores, dtype=float), items, strict=True)
        return [(float(sc), s) for sc, s in paired if sc >= self.relevant]


def quotable_sentences(source: Source) -> list[str]:
    """The sentences of a document passage a brief may quote: whole, not a label or a list's lead-in."""
    furniture = _LABEL if source.kind != "transcript" else None
    return [
        sentence
        for piece in _pieces(source)
        for sentence in split_sentences(_clean(piece))
        if 25 <= len(sentence) <= 400
        and not sentence.endswith(":")
        and not (furniture and furniture.match(sentence))
    ]


def _pieces(source: Source) -> list[str]:
    """Runs of text to split into sentences: every transcript turn and list item stands alone."""
    pieces: list[str] = []
    for line in source.text.splitlines():
        item = _BULLET.match(line)
        if source.kind == "transcript" or item or not pieces:
            pieces.append(item.group(1) if item else line)
        else:
            pieces[-1] = f"{pieces[-1]} {line}"
    return pieces


def _named_customers(evidence: Evidence) -> list[str]:
    facts = evidence.facts
    if not facts.checked:
        return [
            f"• Customer {c} is named; their tenure and open promises could not be checked "
            "(no customer records are loaded)."
            for c in evidence.customers
        ]
    today = date.today()
    lines = []
    for customer_id in evidence.customers:
        customer = facts.known.get(customer_id)
        if customer is None:
            lines.append(f"• Customer {customer_id} is named but is not in our customer records.")
            continue
        years = (today - customer.customer_since).days // 365
        open_count = sum(1 for p in facts.open_promises if p.customer_id == customer_id)
        lines.append(
            f"• {customer.name} ({customer_id}, {customer.segment}) has been with us since "
            f"{customer.customer_since.isoformat()} — {years} year(s); {open_count} open promise(s)."
        )
    return lines


def _open_promises(evidence: Evidence) -> list[str]:
    facts = evidence.facts
    if not facts.checked:
        return ["• Promises to customers are not recorded here, so none could be checked against this decision."]
    if not facts.open_promises:
        return ["• No open promise to the customers named or quoted here."]
    now = datetime.now(UTC)
    lines = []
    for promise in facts.open_promises:
        state = "overdue" if promise.due_at < now else "due"
        lines.append(
            # Not in curly quotes: those mark words found in a numbered source, and a promise is a record.
            f"• {promise.id} to {promise.customer_id}: {_clean(promise.text)} — {promise.owner}, "
            f"{state} {promise.due_at.date().isoformat()}"
        )
    return lines


def _where(source: Source, suffix: str = ": ") -> str:
    return f"{source.heading}{suffix}" if source.heading else ""


def _feedback_facts(source: Source) -> str:
    facts = [
        f"{source.feedback_score}/10" if source.feedback_score is not None else "",
        source.date,
        source.channel,
        f"customer {source.customer_id}" if source.customer_id else "",
    ]
    return ", ".join(f for f in facts if f)


def _lens_tag(evidence: Evidence, question: str) -> str:
    for match in evidence.lenses:
        if question in match.lens.questions:
            return f"lens: {match.lens.id}"
    return "lens"
