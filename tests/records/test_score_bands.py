"""The organisation's score bands: read from a setting, checked, and used wherever a score is read."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from advocate.settings import SettingsError, load_settings
from briefs.tone import ToneModel, tone_of_score
from records.score_bands import DEFAULT_BANDS, ScoreBands
from records.thanks_message import FeedbackItem, recent_complaint, suggested_message
from tests.records.test_thanks_message import TODAY, context

ORG_BANDS = ScoreBands.parse("0-5,6-8,9-10")


def test_the_default_bands_and_an_organisations_own() -> None:
    assert (DEFAULT_BANDS.complaint, DEFAULT_BANDS.neutral, DEFAULT_BANDS.praise) == ((0, 6), (7, 8), (9, 10))
    assert (ORG_BANDS.complaint, ORG_BANDS.neutral, ORG_BANDS.praise) == ((0, 5), (6, 8), (9, 10))
    assert [tone_of_score(6).label, tone_of_score(6, ORG_BANDS).label] == ["complaint", "neutral"]
    assert [ORG_BANDS.label(s) for s in (0, 5, 8, 9, 10)] == ["complaint", "complaint", "neutral", "praise", "praise"]
    assert str(ScoreBands.parse(" 0 - 5 , 6–8 , 9-10 ")) == "0-5,6-8,9-10"


@pytest.mark.parametrize(("value", "reason"), [
    ("0-6,9-10", "expected three bands"),
    ("0-6,8-8,9-10", "follow one another from 0 to 10"),
    ("1-6,7-8,9-10", "follow one another from 0 to 10"),
    ("0-6,7-8,9-11", "follow one another from 0 to 10"),
    ("0-6,7-8,x", "band 3 (x) is not low-high"),
    ("0-6,,7-10", "band 2 (empty) is not low-high"),
])
def test_a_bad_band_setting_says_what_is_wrong_and_shows_the_form(
    monkeypatch: pytest.MonkeyPatch, value: str, reason: str
) -> None:
    monkeypatch.setenv("FEEDBACK_SCORE_BANDS", value)
    with pytest.raises(SettingsError) as info:
        load_settings()
    message = str(info.value)
    assert message.startswith("setting FEEDBACK_SCORE_BANDS is invalid") and reason in message
    assert "e.g. 0-6,7-8,9-10" in message and "\n" not in message


def test_the_setting_reaches_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    assert load_settings().score_bands == DEFAULT_BANDS
    monkeypatch.setenv("FEEDBACK_SCORE_BANDS", "0-5,6-8,9-10")
    assert load_settings().score_bands == ORG_BANDS


def test_inferred_tone_moves_with_the_bands() -> None:
    # One dimension, so the predicted score is the vector's value: thresholds 7.0 and 8.5 under the defaults.
    model = ToneModel(np.array([1.0, 0.0], dtype=np.float32), complaint_below=7.0, praise_from=8.5)
    vectors = np.array([[6.5], [7.5], [8.2]], dtype=np.float32)
    assert [t.label for t in model.infer(vectors)] == ["complaint", "neutral", "neutral"]
    # A complaint up to 5 (one lower) and praise from 8 (one lower) move the thresholds to 6.0 and 7.5.
    assert [t.label for t in model.infer(vectors, ScoreBands(complaint_max=5, praise_min=8))] == [
        "neutral", "praise", "praise"]


def test_a_thank_you_reads_the_latest_score_by_the_organisations_bands() -> None:
    six = FeedbackItem("F1", "2026-11-02", 6, "survey", "It was fine in the end, the engineer sorted it.")
    assert recent_complaint([six], today=TODAY, recent_days=180) == six
    assert recent_complaint([six], today=TODAY, recent_days=180, bands=ORG_BANDS) is None
    default = suggested_message(context("Darren Ward", 12, feedback=[six]))
    assert "sorry we let you down" in default
    assert "sorry" not in suggested_message(replace(context("Darren Ward", 12, feedback=[six]), bands=ORG_BANDS))
    # Praise by the organisation's bands is thanked for by name.
    eight = FeedbackItem("F2", "2024-05-02", 8, "survey", "Quick to sort out my router, thank you.")
    praise_from_8 = ScoreBands(complaint_max=5, praise_min=8)
    assert "kind words" not in suggested_message(context("Darren Ward", 12, feedback=[eight]))
    assert "kind words on 2 May" in suggested_message(
        replace(context("Darren Ward", 12, feedback=[eight]), bands=praise_from_8))
