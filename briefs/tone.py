"""Complaint, praise or neutral, for feedback that carries no score (emails, tickets, call notes).

A ridge regression from the embedding of a verbatim to the 0–10 score its customer would give,
trained on the sample pack's scored verbatims (bench/train_tone.py writes briefs/tone_weights.json);
predicted scores are read with the organisation's bands (FEEDBACK_SCORE_BANDS), like real ones. Judged
on real complaints and on the sample pack (docs/briefs.md): it finds complaints well and praise poorly,
so the brief always says a tone was inferred.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np

from records.score_bands import DEFAULT_BANDS, ScoreBands

WEIGHTS = Path(__file__).with_name("tone_weights.json")
TONES = ("complaint", "neutral", "praise")


@dataclass(frozen=True)
class Tone:
    label: str  # complaint, neutral or praise
    inferred: bool  # True when read from the text, False when the customer gave a score or filed a complaint


# Channels whose every item the customer filed as a complaint (a regulator's register, a complaints form).
COMPLAINT_CHANNELS = frozenset({"complaint", "complaints"})
FILED_COMPLAINT = Tone("complaint", inferred=False)


def tone_of_score(score: int, bands: ScoreBands = DEFAULT_BANDS) -> Tone:
    return Tone(bands.label(score), inferred=False)


@dataclass(frozen=True)
class ToneModel:
    weights: np.ndarray  # one per embedding dimension, then the intercept
    complaint_below: float  # predicted scores at or below this read as a complaint (under the default bands)
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

    def infer(self, vectors: np.ndarray, bands: ScoreBands = DEFAULT_BANDS) -> list[Tone]:
        # The thresholds were chosen under the default bands; an organisation's bands move them as far
        # as its own lines move (a complaint up to 5 instead of 6 lowers the complaint threshold by 1).
        complaint_below = self.complaint_below + bands.complaint_max - DEFAULT_BANDS.complaint_max
        praise_from = self.praise_from + bands.praise_min - DEFAULT_BANDS.praise_min
        return [
            Tone("complaint" if p <= complaint_below else "praise" if p >= praise_from else "neutral", inferred=True)
            for p in self.predicted_scores(vectors)
        ]


@cache
def packaged_tone_model() -> ToneModel:
    return ToneModel.load()
