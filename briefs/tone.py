"""Complaint, praise or neutral, for feedback that carries no score (emails, tickets, call notes).

A ridge regression from the embedding of a verbatim to the 0–10 score its customer would give,
trained on the sample pack's scored verbatims (bench/train_tone.py writes briefs/tone_weights.json);
predicted scores are read with the same bands as real ones. Judged on real complaints and on the
sample pack (docs/briefs.md): it finds complaints well and praise poorly, so the brief always says
a tone was inferred.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np

WEIGHTS = Path(__file__).with_name("tone_weights.json")
TONES = ("complaint", "neutral", "praise")
COMPLAINT_MAX = 6  # scores 0–6 are complaints, 9–10 praise, 7–8 in between: as the advisor's bands
PRAISE_MIN = 9


@dataclass(frozen=True)
class Tone:
    label: str  # complaint, neutral or praise
    inferred: bool  # True when read from the text, False when the customer gave a score


def tone_of_score(score: int) -> Tone:
    label = "complaint" if score <= COMPLAINT_MAX else "praise" if score >= PRAISE_MIN else "neutral"
    return Tone(label, inferred=False)


@dataclass(frozen=True)
class ToneModel:
    weights: np.ndarray  # one per embedding dimension, then the intercept
    complaint_below: float  # predicted scores at or below this read as a complaint
    praise_from: float  # and at or above this as praise

    @classmethod
    def load(cls, path: Path = WEIGHTS) -> ToneModel:
        data = json.loads(path.read_text(encoding="utf-8"))
        return cls(np.asarray(data["weights"], dtype=np.float32), float(data["complaint_below"]),
                   float(data["praise_from"]))

    def predicted_scores(self, vectors: np.ndarray) -> np.ndarray:
        vectors = np.atleast_2d(vectors)
        if vectors.shape[1] + 1 != len(self.weights):
            raise ValueError(
                f"tone weights are for {len(self.weights) - 1}-dimensional vectors, not {vectors.shape[1]}"
            )
        return vectors @ self.weights[:-1] + self.weights[-1]

    def infer(self, vectors: np.ndarray) -> list[Tone]:
        return [
            Tone("complaint" if p <= self.complaint_below else "praise" if p >= self.praise_from else "neutral",
                 inferred=True)
            for p in self.predicted_scores(vectors)
        ]


@cache
def packaged_tone_model() -> ToneModel:
    return ToneModel.load()
