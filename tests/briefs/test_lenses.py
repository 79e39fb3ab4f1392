"""The lens library is data (prompts/lenses.yaml, or the organisation's own through ADVOCATE_LENSES),
and matching says why a lens applies."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
from langchain_core.embeddings import DeterministicFakeEmbedding, Embeddings

from advocate.services import build_services
from advocate.settings import SettingsError, load_settings
from briefs.lenses import Lens, LensLibraryError, LensMatcher, load_lenses
from prompts import PROMPTS_DIR

# The ids issue 3 names, in the library's order.
ISSUE_LENSES = [
    "layers", "control", "emotional_needs", "promises", "giving_vs_taking", "over_time", "say_vs_do",
    "middle_ground", "same_experience", "loyalty", "customer_unit", "buying_streams", "advocates", "culture",
    "product", "listening", "personalisation", "barriers",
]

OWN_LIBRARY = """\
lenses:
  - id: accessibility
    title: "Accessible to every customer"
    description: >-
      Checks that customers with a disability, little English or no internet can still do what the
      decision asks of them.
    questions:
      - "Who cannot use the new way, and what do they do instead?"
    signals:
      - "screen reader"
      - "large print"
      - "hearing loop"
"""


def test_the_packaged_library_holds_every_lens_the_product_names() -> None:
    lenses = load_lenses(PROMPTS_DIR / "lenses.yaml")
    assert [lens.id for lens in lenses] == ISSUE_LENSES
    for lens in lenses:
        assert lens.title and len(lens.description) > 80, lens.id
        assert len(lens.questions) >= 3 and all(q.endswith("?") for q in lens.questions), lens.id
        assert len(lens.signals) >= 5, lens.id
        assert lens.summary.endswith((".", "?")) and lens.summary in lens.description
        assert lens.risk.endswith(".") and 8 <= len(lens.risk.split()) <= 30, lens.id  # one sentence, a risk to check


def test_an_organisation_brings_its_own_library_without_touching_code(tmp_path: Path) -> None:
    own = tmp_path / "our-lenses.yaml"
    own.write_text(OWN_LIBRARY, encoding="utf-8")
    settings = load_settings(data_dir=tmp_path / "data", advocate_lenses=str(own))
    services = build_services(settings, embedder=DeterministicFakeEmbedding(size=32))
    try:
        [match] = services.lens_matcher.match("Letters will no longer come in large print; use the app.", top=1)
        assert match.lens.id == "accessibility"
        assert match.signals == ["large print"]
        assert match.why.startswith("the decision mentions “large print”; this lens looks at: checks that")
        brief = services.advisor.brief("Letters will no longer come in large print.")  # an empty knowledge base
        assert [m.lens.id for m in brief.lenses] == ["accessibility"]
        assert "Who cannot use the new way, and what do they do instead?" in brief.text
    finally:
        services.close()


@pytest.mark.parametrize(("content", "reason"), [
    ("lenses: [", "not valid YAML (line 1: expected the node content"),
    ("lenses: {}", "expected a mapping with a 'lenses' list"),
    (OWN_LIBRARY.replace('    signals:\n      - "screen reader"\n      - "large print"\n      - "hearing loop"\n', ""),
     "lens #1 (accessibility) lacks signals"),
    (OWN_LIBRARY + OWN_LIBRARY.split("lenses:\n", 1)[1], "lens id 'accessibility' appears twice"),
    (OWN_LIBRARY.replace("id: accessibility", "id: Access For All"), "must be one lower-case word"),
    (OWN_LIBRARY.replace("    questions:", "    risk: \"\"\n    questions:"), "risk must be a sentence (or left out)"),
    (OWN_LIBRARY.replace('      - "Who cannot use the new way, and what do they do instead?"',
                         '      "Who cannot use it?"').replace("questions:\n", "questions: ", 1),
     "questions must be a list of phrases"),
])
def test_a_broken_library_is_refused_saying_where_and_what(tmp_path: Path, content: str, reason: str) -> None:
    own = tmp_path / "lenses.yaml"
    own.write_text(content, encoding="utf-8")
    with pytest.raises(LensLibraryError) as caught:
        load_lenses(own)
    assert str(caught.value).startswith(f"{own}: ") and reason in str(caught.value)
    assert "\n" not in str(caught.value)
    # At start, the setting that points at it is named in one line.
    with pytest.raises(SettingsError, match=r"^setting ADVOCATE_LENSES is invalid: .*" + re.escape(reason[:12])):
        load_settings(data_dir=tmp_path, advocate_lenses=str(own))


def test_a_missing_library_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="ADVOCATE_LENSES is invalid: .*cannot read the lens library"):
        load_settings(data_dir=tmp_path, advocate_lenses=str(tmp_path / "nowhere.yaml"))


def test_signals_match_whole_words_in_any_inflection() -> None:
    lenses = load_lenses(PROMPTS_DIR / "lenses.yaml")
    matcher = LensMatcher(lenses=lenses, embedder=DeterministicFakeEmbedding(size=32))

    def signals(decision: str, lens_id: str) -> list[str]:
        return next(m.signals for m in matcher.match(decision, top=len(lenses)) if m.lens.id == lens_id)

    assert "hiring" in signals("We hired forty advisers on typing speed alone.", "culture")
    assert "campaign" in signals("Three email campaigns go out in May.", "personalisation")
    assert "email campaign" in signals("Three email-campaigns go out in May.", "personalisation")
    # Whole words only: a signal inside a longer word does not count.
    assert "sms" not in signals("Our smsc gateway is being replaced.", "personalisation")
    assert signals("A luxury range for the shops.", "product") == []


class _TableEmbedding(Embeddings):
    """Vectors looked up by text: lets a test say exactly how close each text is to each other."""

    def __init__(self, table: dict[str, list[float]]) -> None:
        self.table = table

    def _vector(self, text: str) -> list[float]:
        vector = np.asarray(self.table[text], dtype=float)
        return list(vector / np.linalg.norm(vector))

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return [self._vector(t) for t in texts]

    def embed_query(self, text: str) -> list[float]:
        return self._vector(text)


def test_a_lens_close_to_every_decision_does_not_crowd_out_the_one_the_decision_is_about() -> None:
    def lens(lens_id: str, question: str) -> Lens:
        return Lens(id=lens_id, title=lens_id, description=lens_id, questions=(question,), signals=("zzz",))

    lenses = [lens("general", "g?"), lens("pricing", "p?"), lens("delivery", "d?"), lens("staff", "s?")]
    # Axes: pricing, delivery, staff. The general lens sits between all of them, so it is fairly
    # close to any decision; the pricing lens is the only one this decision is really about.
    table = {
        "general. general g?": [1, 1, 1], "g?": [1, 1, 1],
        "pricing. pricing p?": [1, 0, 0], "p?": [1, 0, 0],
        "delivery. delivery d?": [0, 1, 0], "d?": [0, 1, 0],
        "staff. staff s?": [0, 0, 1], "s?": [0, 0, 1],
        "We will raise prices, and couriers change.": [1, 0.45, 0.3],
    }
    matcher = LensMatcher(lenses=lenses, embedder=_TableEmbedding(table))
    ranked = [m.lens.id for m in matcher.match("We will raise prices, and couriers change.", top=4)]
    # Uncorrected, "general" would lead (1.78 against pricing's 1.76). Taken relative to how close each
    # lens usually comes to the other lenses' questions, it is the pricing lens that leads.
    assert ranked[:2] == ["pricing", "general"]


def test_a_brief_names_the_best_lens_and_after_it_only_lenses_that_fit() -> None:
    from briefs.advisor import fitting_lenses
    from briefs.lenses import LensMatch

    def match(lens_id: str, score: float) -> LensMatch:
        return LensMatch(Lens(lens_id, lens_id.title(), "A lens.", ("A question?",), ()), score, score, [])

    # A score is closeness less the lens's usual closeness: at or below 0 it fits no better than anything does.
    chosen = fitting_lenses([match("control", 0.31), match("promises", 0.12), match("personalisation", -0.06),
                             match("loyalty", 0.0)])
    assert [m.lens.id for m in chosen] == ["control", "promises"]
    # The best lens is named even when none fits well: the reader still gets its questions.
    assert [m.lens.id for m in fitting_lenses([match("culture", -0.2), match("product", -0.3)])] == ["culture"]
