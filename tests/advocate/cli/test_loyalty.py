"""`advocate thanks|customer|keep-rate` as a user runs them."""

from __future__ import annotations

import json

import pytest

from tests.advocate.cli.conftest import load_sample
from tests.conftest import run_cli as invoke

pytestmark = pytest.mark.usefixtures("on_a_monday")


def test_thanks_customer_card_and_keep_rate() -> None:
    load_sample()
    due = invoke("thanks", "due", "--days", "3", "--json")
    assert due.exit_code == 0
    items = json.loads(due.stdout)["thanks"]
    assert "C00359" in {t["customer_id"] for t in items}
    text = invoke("thanks", "due", "--days", "3", "--for", "ruth.okafor")
    assert "Ivan Briggs (C00359" in text.stdout and "suggested:" in text.stdout
    assert invoke("thanks", "due", "--for", "nobody").exit_code == 2
    marked = invoke("thanks", "mark", "C00359", "--milestone", "20", "--by", "ruth.okafor")
    assert marked.exit_code == 0 and marked.stdout.startswith("recorded")
    assert invoke("thanks", "mark", "C00359", "--milestone", "20").stdout.startswith("already recorded")
    after = json.loads(invoke("thanks", "due", "--days", "3", "--json").stdout)["thanks"]
    assert "C00359" not in {t["customer_id"] for t in after}
    bad = invoke("thanks", "mark", "C99999", "--milestone", "5")
    assert bad.exit_code == 2 and bad.stderr.startswith("error: customer:")

    card = invoke("customer", "C00105")
    assert card.exit_code == 0 and "Fiona Williams (C00105)" in card.stdout
    assert "next milestone: 25 years" in card.stdout
    card_json = json.loads(invoke("customer", "C00105", "--json").stdout)
    assert card_json["next_milestone"] == {"years": 25, "on": "2026-12-05"}
    ambiguous = invoke("customer", "darren")
    assert ambiguous.exit_code == 2 and "C00001  Darren Ward" in ambiguous.stderr

    org = json.loads(invoke("keep-rate", "--period", "month", "--json").stdout)
    assert org["reports"][0]["scope"] == "org" and org["reports"][0]["latest"]["period"] == "2026-10"
    teams = invoke("keep-rate", "--by", "team", "--period", "month")
    assert "team:ruth.okafor" in teams.stdout
    assert invoke("keep-rate", "--by", "planet").exit_code == 2
    assert invoke("keep-rate", "--period", "fortnight").exit_code == 2
