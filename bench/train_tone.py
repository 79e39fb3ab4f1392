"""Train the tone model on the sample pack's scored verbatims and report how it does.

    .venv/bin/python -m bench.train_tone            # report (5-fold on the sample pack, real complaints)
    .venv/bin/python -m bench.train_tone --write    # and write briefs/tone_weights.json

Labels: the sample pack's own scores (0–6 complaint, 7–8 neutral, 9–10 praise). Judged also on 200
real complaints labelled by hand (bench/cases/complaint_tone.jsonl, ids into
../shared/real-feedback/fcc-complaints-2015.csv; skipped when that file is absent).
"""

from __future__ import annotations

import argparse
import csv
import json
from pathlib import Path

import numpy as np

from briefs.tone import TONES, WEIGHTS, ToneModel, tone_of_score
from knowledge.embeddings import SentenceTransformerEmbeddings

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "knowledge" / "sample" / "feedback" / "feedback.csv"
REAL = ROOT.parent / "shared" / "real-feedback" / "fcc-complaints-2015.csv"
REAL_LABELS = ROOT / "bench" / "cases" / "complaint_tone.jsonl"
RIDGE = 1.0  # chosen by 5-fold cross-validation on the sample pack (0.3, 1, 3, 10 tried)
COMPLAINT_BELOW, PRAISE_FROM = 7.0, 8.5  # likewise (6.5/8.5, 6/8, 7/8.5 tried)


def ridge(x: np.ndarray, target: np.ndarray, lam: float) -> np.ndarray:
    xb = np.hstack([x, np.ones((len(x), 1))])
    penalty = np.eye(xb.shape[1]) * lam
    penalty[-1, -1] = 0.0
    return np.linalg.solve(xb.T @ xb + penalty, xb.T @ target)


def confusion(truth: list[str], guess: list[str]) -> dict[str, dict[str, int]]:
    table = {t: dict.fromkeys(TONES, 0) for t in TONES}
    for a, b in zip(truth, guess, strict=True):
        table[a][b] += 1
    return table


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help="write briefs/tone_weights.json")
    args = parser.parse_args()
    embedder = SentenceTransformerEmbeddings()
    rows = list(csv.DictReader(SAMPLE.open(encoding="utf-8")))
    vectors = embedder.encode([r["verbatim"] for r in rows])
    scores = np.array([float(r["score"]) for r in rows])
    truth = [tone_of_score(int(s)).label for s in scores]
    order = np.random.RandomState(0).permutation(len(rows))
    guess = [""] * len(rows)
    for fold in np.array_split(order, 5):
        train = np.setdiff1d(order, fold)
        model = ToneModel(ridge(vectors[train], scores[train], RIDGE), COMPLAINT_BELOW, PRAISE_FROM)
        for n, tone in zip(fold, model.infer(vectors[fold]), strict=True):
            guess[n] = tone.label
    accuracy = sum(a == b for a, b in zip(truth, guess, strict=True)) / len(rows)
    print(f"sample pack, 5-fold: accuracy {accuracy:.3f} on {len(rows)} verbatims")
    print("  confusion (truth → guessed):", json.dumps(confusion(truth, guess)))
    model = ToneModel(ridge(vectors, scores, RIDGE), COMPLAINT_BELOW, PRAISE_FROM)
    if REAL.exists():
        real = {r["id"]: r["verbatim"] for r in csv.DictReader(REAL.open(encoding="utf-8"))}
        labels = [json.loads(line) for line in REAL_LABELS.read_text(encoding="utf-8").splitlines() if line]
        found = model.infer(embedder.encode([real[item["id"]] for item in labels]))
        right = sum(t.label == item["tone"] for t, item in zip(found, labels, strict=True))
        print(f"real complaints: accuracy {right / len(labels):.3f} on {len(labels)} hand-labelled rows")
        print("  confusion:", json.dumps(confusion([i["tone"] for i in labels], [t.label for t in found])))
    else:
        print(f"real complaints: skipped ({REAL} is absent)")
    if args.write:
        WEIGHTS.write_text(json.dumps({
            "about": "bench/train_tone.py: ridge regression from MiniLM vectors to the sample pack's scores",
            "complaint_below": COMPLAINT_BELOW, "praise_from": PRAISE_FROM,
            "weights": [round(float(w), 6) for w in model.weights],
        }) + "\n", encoding="utf-8")
        print(f"wrote {WEIGHTS.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
