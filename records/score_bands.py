"""How an organisation reads a 0–10 feedback score: which scores are complaints, which praise.

Organisations draw the lines differently (one reads 0–6 as a complaint, another 0–5 with 6–8 as "OK"),
and a verbatim shown as a complaint when its customer's own organisation calls it middling misleads
the reader, so the bands are a setting (FEEDBACK_SCORE_BANDS), passed to whoever reads a score.
"""

from __future__ import annotations

from dataclasses import dataclass

EXAMPLE = "e.g. 0-6,7-8,9-10"


@dataclass(frozen=True)
class ScoreBands:
    complaint_max: int = 6  # 0 up to this is a complaint
    praise_min: int = 9  # this up to 10 is praise; the scores between are neutral

    def __post_init__(self) -> None:
        if not 0 <= self.complaint_max < self.praise_min - 1 < 10:
            raise ValueError(f"complaint 0-{self.complaint_max} and praise {self.praise_min}-10 leave no neutral "
                             f"score between them inside 0-10; {EXAMPLE}")

    @property
    def complaint(self) -> tuple[int, int]:
        return (0, self.complaint_max)

    @property
    def neutral(self) -> tuple[int, int]:
        return (self.complaint_max + 1, self.praise_min - 1)

    @property
    def praise(self) -> tuple[int, int]:
        return (self.praise_min, 10)

    def label(self, score: float) -> str:
        """complaint, neutral or praise."""
        return "complaint" if score <= self.complaint_max else "praise" if score >= self.praise_min else "neutral"

    def __str__(self) -> str:
        return ",".join(f"{low}-{high}" for low, high in (self.complaint, self.neutral, self.praise))

    @classmethod
    def parse(cls, text: str) -> ScoreBands:
        """"0-6,7-8,9-10": the complaint, neutral and praise bands, in order, covering 0 to 10."""
        ranges: list[tuple[int, int]] = []
        for number, item in enumerate((p.strip() for p in text.split(",")), start=1):
            low, sep, high = item.replace("–", "-").partition("-")
            if not sep or not low.strip().isdigit() or not high.strip().isdigit():
                raise ValueError(f"band {number} ({item or 'empty'}) is not low-high; {EXAMPLE}")
            ranges.append((int(low), int(high)))
        if len(ranges) != 3:
            raise ValueError(f"expected three bands, complaint, neutral and praise; {EXAMPLE}")
        (c_low, c_high), (n_low, n_high), (p_low, p_high) = ranges
        if c_low != 0 or p_high != 10 or n_low != c_high + 1 or p_low != n_high + 1 or n_low > n_high:
            raise ValueError(f"the three bands must follow one another from 0 to 10 with no gap; {EXAMPLE}")
        return cls(complaint_max=c_high, praise_min=p_low)


DEFAULT_BANDS = ScoreBands()
