"""The lens library is data (prompts/lenses.yaml, or the organisation's own through ADVOCATE_LENSES),
and matching says why a lens applies."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from langchain_core.embeddings import DeterministicFakeEmbedding

from advocate.services import build_services
from advocate.settings import SettingsError, load_settings
from briefs.lenses import LensLibraryError, LensMatcher, load_lenses
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
