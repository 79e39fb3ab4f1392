"""The lens library (prompts/lenses.yaml) and matching lenses to a decision, explainably.

A lens applies when the decision is close in meaning to the lens's own text, and more so when the
decision uses words that signal it. Each match says why, in words a person can check.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import yaml
from langchain_core.embeddings import Embeddings

from knowledge.embeddings import as_vectors

# How a lens is scored against a decision (weights chosen on knowledge/sample/eval/brief_cases.jsonl,
# see docs/BENCHMARKS.md): closeness to the lens as a whole, to its nearest question, a bonus per
# signal word found (up to three), and closeness to the passages the knowledge base returned.
SIGNAL_WEIGHT = 0.12
EVIDENCE_WEIGHT = 0.5
# Some lenses are close to almost any decision (their text is general); without a correction they
# crowd the top three. Each lens's closeness is taken relative to how close it comes, on average, to
# the other lenses' questions: decisions of every kind, shipped with whatever library is loaded.


_LENS_ID = re.compile(r"[a-z][a-z0-9_]{0,49}")


class LensLibraryError(Exception):
    """The lens file is missing or malformed; the message names the file and the problem."""


@dataclass(frozen=True)
class Lens:
    id: str
    title: str
    description: str
    questions: tuple[str, ...]
    signals: tuple[str, ...]
    risk: str = ""  # what goes wrong for customers when a decision fails this lens; optional in a library

    @property
    def summary(self) -> str:
        """The first sentence of the description."""
        return re.split(r"(?<=[.!?])\s", self.description.strip(), maxsplit=1)[0]


@dataclass
class LensMatch:
    lens: Lens
    score: float
    similarity: float
    signals: list[str]

    @property
    def why(self) -> str:
        if self.signals:
            quoted = ", ".join(f"“{s}”" for s in self.signals[:4])
            summary = self.lens.summary
            return f"the decision mentions {quoted}; this lens looks at: {summary[:1].lower()}{summary[1:]}"
        return f"closest in meaning to this lens (similarity {self.similarity:.2f}): {self.lens.summary}"

    def as_json(self) -> dict[str, object]:
        return {"id": self.lens.id, "title": self.lens.title, "why": self.why, "score": round(self.score, 4)}


def load_lenses(path: Path) -> list[Lens]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise LensLibraryError(f"{path}: cannot read the lens library ({exc.strerror})") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}: " if mark is not None else ""
        problem = getattr(exc, "problem", None) or "unreadable"
        raise LensLibraryError(f"{path}: not valid YAML ({where}{problem})") from None
    if not isinstance(data, dict) or not isinstance(data.get("lenses"), list):
        raise LensLibraryError(f"{path}: expected a mapping with a 'lenses' list")
    lenses: list[Lens] = []
    seen: set[str] = set()
    for number, entry in enumerate(data["lenses"], start=1):
        if not isinstance(entry, dict):
            raise LensLibraryError(f"{path}: lens #{number} is not a mapping")
        missing = [f for f in ("id", "title", "description", "questions", "signals") if not entry.get(f)]
        if missing:
            raise LensLibraryError(f"{path}: lens #{number} ({entry.get('id', '?')}) lacks {', '.join(missing)}")
        if not isinstance(entry["id"], str) or not _LENS_ID.fullmatch(entry["id"]):
            raise LensLibraryError(f"{path}: lens #{number} id {str(entry['id'])[:40]!r} must be one lower-case "
                                   "word (letters, digits and _)")
        for listed in ("questions", "signals"):
            if not isinstance(entry[listed], list) or not all(isinstance(v, str) and v.strip() for v in entry[listed]):
                raise LensLibraryError(f"{path}: lens {entry['id']!r}: {listed} must be a list of phrases")
        if "risk" in entry and not (isinstance(entry["risk"], str) and entry["risk"].strip()):
            raise LensLibraryError(f"{path}: lens {entry['id']!r}: risk must be a sentence (or left out)")
        if entry["id"] in seen:
            raise LensLibraryError(f"{path}: lens id {entry['id']!r} appears twice")
        seen.add(entry["id"])
        lenses.append(
            Lens(
                id=str(entry["id"]),
                title=str(entry["title"]),
                description=" ".join(str(entry["description"]).split()),
                questions=tuple(str(q) for q in entry["questions"]),
                signals=tuple(str(s).lower() for s in entry["signals"]),
                risk=" ".join(str(entry.get("risk", "")).split()),
            )
        )
    return lenses


_SUFFIXES = ("ings", "ing", "ed", "es", "s")


def stem(word: str) -> str:
    # A light stemmer, so "hire", "hired" and "hiring" meet (and "campaign" meets "campaigns"); words
    # of three letters or fewer stay whole ("sms", "crm").
    for suffix in _SUFFIXES:
        if suffix == "s" and word.endswith("ss"):
            break  # "business" is not a plural: it meets "businesses" only whole
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            word = word[: -len(suffix)]
            break
    return word[:-1] if word.endswith("e") and len(word) > 3 else word


def _words(text: str) -> str:
    # Hyphens and punctuation become spaces so "new-customer-only" and "new customer only" meet.
    return " " + " ".join(stem(w) for w in re.sub(r"[^a-z0-9£%]+", " ", text.lower()).split()) + " "


def _signal_pattern(signal: str) -> re.Pattern[str]:
    # Whole words only: "ux" must not fire inside "luxury".
    return re.compile(re.escape(_words(signal)))


class LensMatcher:
    def __init__(self, *, lenses: list[Lens], embedder: Embeddings) -> None:
        # The lens library, in its file order.
        self.lenses = lenses
        # The embedding model; lens vectors are computed once, on first use.
        self.embedder = embedder
        self._vectors: np.ndarray | None = None
        self._question_vectors: list[np.ndarray] = []
        self._usual_closeness: np.ndarray = np.zeros(len(lenses))
        self._patterns = [[(s, _signal_pattern(s)) for s in lens.signals] for lens in lenses]

    @property
    def vectors(self) -> np.ndarray:
        if self._vectors is None:
            self._question_vectors = [as_vectors(self.embedder, list(lens.questions)) for lens in self.lenses]
            self._vectors = as_vectors(
                self.embedder,
                [f"{lens.title}. {lens.description} {' '.join(lens.questions)}" for lens in self.lenses],
            )
            self._usual_closeness = self._closeness_to_other_lenses_questions(self._vectors)
        return self._vectors

    def _closeness_to_other_lenses_questions(self, vectors: np.ndarray) -> np.ndarray:
        """Each lens's mean closeness (to the lens text plus its nearest question) over the questions
        of every other lens."""
        usual = np.zeros(len(self.lenses))
        for index in range(len(self.lenses)):
            others = [q for other, q in enumerate(self._question_vectors) if other != index and len(q)]
            if not others:
                continue
            questions = np.vstack(others)
            nearest = (questions @ self._question_vectors[index].T).max(axis=1) if len(
                self._question_vectors[index]) else np.zeros(len(questions))
            usual[index] = float((questions @ vectors[index] + nearest).mean())
        return usual

    def match(
        self,
        decision: str,
        *,
        vector: np.ndarray | None = None,
        evidence: np.ndarray | None = None,
        top: int = 5,
    ) -> list[LensMatch]:
        """Lenses best first. `evidence` is the normalised mean vector of the retrieved passages."""
        if vector is None:
            vector = as_vectors(self.embedder, [decision])[0]
        similarities = self.vectors @ vector
        nearest_question = np.array([float((q @ vector).max()) for q in self._question_vectors])
        from_evidence = self.vectors @ evidence if evidence is not None else np.zeros(len(self.lenses))
        text = _words(decision)
        matches: list[LensMatch] = []
        for index, (lens, patterns) in enumerate(zip(self.lenses, self._patterns, strict=False)):
            found = [signal for signal, pattern in patterns if pattern.search(text)]
            score = (
                float(similarities[index])
                + float(nearest_question[index])
                - float(self._usual_closeness[index])
                + SIGNAL_WEIGHT * min(len(found), 3)
                + EVIDENCE_WEIGHT * float(from_evidence[index])
            )
            matches.append(LensMatch(lens=lens, score=score, similarity=float(similarities[index]), signals=found))
        matches.sort(key=lambda m: -m.score)
        return matches[:top]
