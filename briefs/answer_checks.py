"""Checks on a language model's brief before anyone sees it.

Every quoted span must be in the source its sentence cites, every citation must resolve, and every
sentence that states a fact must cite a source whose text supports it. Support is judged with the
embedding model: the best cosine between the sentence and the cited sources' sentences (and pairs of
adjacent sentences) must reach `SUPPORT_THRESHOLD`, chosen on the tuning part of
`bench/cases/llm_support.jsonl` and reported on its check part (docs/briefs.md).
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from langchain_core.embeddings import Embeddings

from briefs.brief import CITATION, SECTION_TITLES, normalise

# Chosen on the tuning part of bench/cases/llm_support.jsonl (see `choose_threshold`).
SUPPORT_THRESHOLD = 0.65
BOTTOM_LINE_KEY = "bottom_line"
BOTTOM_LINE_TITLE = "Bottom line"
BOTTOM_LINE_MAX_BULLETS = 3
BOTTOM_LINE_MAX_WORDS = 80
# The one line the prompt asks for when the sources say nothing about a section; it states no fact.
NOTHING_FOUND = "Nothing in the sources bears on this."
# Sections about the request itself, not the sources: the decision is checked against what was asked;
# who should weigh in comes from the function routing, which no source holds.
DECISION_KEY = "decision"
ROUTING_KEYS = frozenset({"advocate"})

# Quoted spans in any of the usual marks. Curly double quotes mark a quotation whatever its length;
# straight and single quotes also serve as scare quotes and apostrophes, so they count from three words.
_CURLY_DOUBLE = re.compile(r"“([^”\n]+)”")
_OTHER_QUOTES = (
    re.compile(r'"([^"\n]+)"'),
    re.compile(r"‘(.+?)’(?!\w)"),
    re.compile(r"(?<!\w)'(.+?)'(?!\w)"),
)
MIN_QUOTE_WORDS = 3
_BULLET = re.compile(r"^\s*(?:[-*•]|\d+[.)])\s+")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=\S)")
_LEADING_CITATIONS = re.compile(r"^((?:\[[\d,\s]+\]\s*)+)")
_SOURCE_SENTENCE_END = re.compile(r"(?<=[.!?])\s+|\n+")
# Cosine does not see a changed figure, so every number a claim states must be in what it cites.
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")


class AnswerRejected(Exception):
    """The model's answer failed a check; `check` names it and `sentence` is where.

    The message (logged, and noted on the brief) shows the sentence cut short, with each quotation
    replaced by its length, so customers' words stay out of logs."""

    def __init__(self, check: str, detail: str, sentence: str = "") -> None:
        where = f", in: {_shorten(without_quotations(sentence))}" if sentence else ""
        super().__init__(f"{check} check: {detail}{where}")
        self.check = check
        self.detail = detail
        self.sentence = sentence


def _shorten(text: str, limit: int = 80) -> str:
    text = normalise(text)
    return text if len(text) <= limit else text[: limit - 1].rsplit(" ", 1)[0] + "…"


def without_quotations(text: str) -> str:
    for span in quoted_spans(text):
        text = text.replace(span, f"({len(span)} characters)")
    return text


def quoted_spans(text: str) -> list[str]:
    """The spans the text quotes: curly double quotes at any length, other marks around 3+ words."""
    spans = [m.group(1) for m in _CURLY_DOUBLE.finditer(text)]
    for pattern in _OTHER_QUOTES:
        spans += [m.group(1) for m in pattern.finditer(text) if len(m.group(1).split()) >= MIN_QUOTE_WORDS]
    return [normalise(s) for s in spans if normalise(s)]


def _quote_ranges(text: str) -> list[tuple[int, int]]:
    patterns = (_CURLY_DOUBLE, *_OTHER_QUOTES)
    return [m.span() for pattern in patterns for m in pattern.finditer(text)]


def sentences(body: str) -> list[str]:
    """A section's sentences, one bullet or line at a time, never split inside a quotation; citations
    written after the full stop belong to the sentence before them."""
    found: list[str] = []
    for raw in body.splitlines():
        line = _BULLET.sub("", raw).replace("**", "").strip()
        if not line:
            continue
        masked = list(line)
        for start, end in _quote_ranges(line):
            masked[start:end] = "x" * (end - start)
        cuts = [m.end() for m in _SENTENCE_END.finditer("".join(masked))]
        pieces = [line[a:b].strip() for a, b in zip([0, *cuts], [*cuts, len(line)], strict=True)]
        line_sentences: list[str] = []
        for piece in pieces:
            leading = _LEADING_CITATIONS.match(piece)
            if leading and line_sentences:
                line_sentences[-1] += " " + leading.group(1).strip()
                piece = piece[leading.end() :].strip()
            if piece:
                line_sentences.append(piece)
        found += line_sentences
    return found


def cited(sentence: str) -> list[int]:
    return [int(n) for group in CITATION.findall(sentence) for n in group.split(",")]


def claim_text(sentence: str) -> str:
    """The sentence as a claim: without its citation markers and markdown emphasis."""
    return normalise(CITATION.sub("", sentence).replace("*", "").replace("_", " "))


def source_sentences(text: str) -> list[str]:
    """A source's sentences and each pair of adjacent ones (a claim may join two)."""
    parts = [normalise(p) for p in _SOURCE_SENTENCE_END.split(text) if len(p.split()) >= 3]
    return parts + [f"{a} {b}" for a, b in zip(parts, parts[1:], strict=False)] or [normalise(text)]


def _unit(vectors: Sequence[Sequence[float]]) -> np.ndarray:
    matrix = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    return matrix / np.where(norms == 0, 1, norms)


class SupportScorer:
    """Cosine support of a claim by a text, with the texts' sentence vectors computed once."""

    def __init__(self, embedder: Embeddings) -> None:
        self.embedder = embedder
        self._cache: dict[str, np.ndarray] = {}

    def _text_vectors(self, text: str) -> np.ndarray:
        if text not in self._cache:
            self._cache[text] = _unit(self.embedder.embed_documents(source_sentences(text)))
        return self._cache[text]

    def support(self, claim: str, texts: Sequence[str]) -> float:
        """The score the check compares with the threshold: 0 when a figure is missing, else the cosine."""
        return 0.0 if missing_figures(claim, texts) else self.score(claim, texts)

    def score(self, claim: str, texts: Iterable[str]) -> float:
        vectors = [self._text_vectors(t) for t in texts]
        if not vectors:
            return 0.0
        claim_vector = _unit([self.embedder.embed_query(claim)])[0]
        return float(max(float((v @ claim_vector).max()) for v in vectors))


def missing_figures(claim: str, texts: Sequence[str]) -> list[str]:
    return [n for n in _NUMBER.findall(claim) if not any(n in text for text in texts)]


@dataclass(frozen=True)
class SupportCase:
    id: str
    part: str  # "tune" or "check"
    claim: str
    text: str
    supported: bool


def load_support_cases(path: Path) -> list[SupportCase]:
    cases = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            row = json.loads(line)
            cases.append(SupportCase(row["id"], row["part"], row["claim"], row["text"], bool(row["supported"])))
    return cases


def precision_recall(scored: Sequence[tuple[float, bool]], threshold: float) -> tuple[float, float]:
    """Of the claims the check passes, the share supported; of the supported claims, the share passed."""
    passed = [label for score, label in scored if score >= threshold]
    supported = sum(1 for _, label in scored if label)
    precision = sum(passed) / len(passed) if passed else 1.0
    recall = sum(passed) / supported if supported else 1.0
    return precision, recall


def choose_threshold(scored: Sequence[tuple[float, bool]]) -> float:
    """The threshold with the best accuracy on labelled scores (ties: the higher, the stricter),
    rounded down to two decimals."""
    candidates = sorted({round(score, 2) for score, _ in scored})
    best = max(candidates, key=lambda t: (sum((s >= t) == label for s, label in scored), t))
    return best


@dataclass
class AnswerChecker:
    """Splits a model's Markdown answer into sections and runs every check; raises `AnswerRejected`."""

    embedder: Embeddings
    threshold: float = SUPPORT_THRESHOLD

    def check(
        self, sections: dict[str, str], sources: Sequence[str], *, decision: str, lens_questions: Iterable[str] = ()
    ) -> None:
        scorer = SupportScorer(self.embedder)
        # Not statements: the lens questions, the nothing-found line and section titles repeated as labels.
        labels = (*lens_questions, NOTHING_FOUND, *all_section_titles().values())
        exempt = {normalise(q).lower().rstrip(".:") for q in labels}
        self._check_bottom_line(sections.get(BOTTOM_LINE_KEY, ""))
        for key, body in sections.items():
            for sentence in sentences(body):
                self._check_sentence(key, sentence, sources, decision, exempt, scorer)

    def _check_bottom_line(self, body: str) -> None:
        bullets = [line for line in body.splitlines() if line.strip()]
        words = len(claim_text(body).split())
        if len(bullets) > BOTTOM_LINE_MAX_BULLETS or words > BOTTOM_LINE_MAX_WORDS:
            raise AnswerRejected(
                "shape",
                f"the bottom line has {len(bullets)} bullet(s) and {words} words "
                f"(at most {BOTTOM_LINE_MAX_BULLETS} and {BOTTOM_LINE_MAX_WORDS})",
            )

    def _check_sentence(
        self, key: str, sentence: str, sources: Sequence[str], decision: str, exempt: set[str], scorer: SupportScorer
    ) -> None:
        numbers = cited(sentence)
        unresolved = [n for n in numbers if not 1 <= n <= len(sources)]
        if unresolved:
            raise AnswerRejected("citation", f"[{unresolved[0]}] is not a source", sentence)
        if numbers:
            cited_texts = [normalise(sources[n - 1]) for n in dict.fromkeys(numbers)]
            where = f"source {_cited_list(numbers)}"
        else:
            # The decision section restates what was asked: checked against it, not the sources.
            cited_texts = [normalise(decision)] if key == DECISION_KEY else []
            where = "the decision"
        for quote in quoted_spans(sentence):
            if not cited_texts:
                raise AnswerRejected("quote", "a quotation cites no source", sentence)
            # The prompt shows sources HTML-escaped; a quote copied with its entities is still exact.
            if not any(quote in text or html.unescape(quote) in text for text in cited_texts):
                raise AnswerRejected("quote", f"the quotation is not in {where}", sentence)
        claim = claim_text(sentence)
        if not claim or claim.endswith(("?", ":")) or claim.lower().rstrip(".:") in exempt:
            return
        if not cited_texts:
            if key in ROUTING_KEYS:
                return
            raise AnswerRejected("uncited", "a statement cites no source", sentence)
        missing = missing_figures(claim, cited_texts)
        if missing:
            raise AnswerRejected("support", f"{where} does not state the figure {missing[0]}", sentence)
        best = scorer.score(claim, cited_texts)
        if best < self.threshold:
            raise AnswerRejected("support", f"{where} does not support it (similarity {best:.2f})", sentence)


def _cited_list(numbers: Sequence[int]) -> str:
    return ", ".join(f"[{n}]" for n in dict.fromkeys(numbers))


def all_section_titles() -> dict[str, str]:
    """The sections a model's brief is read into: the bottom line first, then the brief's own."""
    return {BOTTOM_LINE_KEY: BOTTOM_LINE_TITLE, **SECTION_TITLES}
