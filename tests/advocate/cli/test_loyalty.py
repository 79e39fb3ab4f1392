"""`advocate thanks|customer|keep-rate` as a user runs them."""

from __future__ import annotations

import json
from pathlib import Path

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
    assert "Ruth Okafor's team, last month: October 2026" in teams.stdout
    assert "team:ruth" not in teams.stdout and "customers all kept" not in teams.stdout
    assert invoke("keep-rate", "--by", "planet").exit_code == 2
    assert invoke("keep-rate", "--period", "fortnight").exit_code == 2


def test_keep_rate_names_the_best_past_period_or_says_why_there_is_none(tmp_path: Path) -> None:
    load_sample()
    org = invoke("keep-rate", "--period", "month")
    assert "best past month: none yet (a month counts once 3 or more of its promises are closed)" in org.stdout
    history = tmp_path / "history.csv"
    history.write_text("id,customer_id,promise,owner,due,status\n" + "".join(
        f"H{n},C00105,Call back {n},mark.ellison,2026-08-{10 + n}T12:00:00+01:00,kept\n" for n in range(3)
    ) + "H3,C00105,Call back 3,mark.ellison,2026-08-20T12:00:00+01:00,broken\n")
    assert invoke("promises", "import", str(history)).exit_code == 0
    org = invoke("keep-rate", "--period", "month")
    assert "Whole organisation, last month: October 2026" in org.stdout
    assert "best past month: 80% in August 2026 (4 of 5 closed)" in org.stdout
    weekly = invoke("keep-rate", "--by", "owner", "--for", "mark.ellison", "--periods", "20")
    assert "Mark Ellison (mark.ellison): no promises fell due last week" in weekly.stdout
    assert "best past week: 100% in week 33, 10–16 Aug 2026 (3 of 3 closed)" in weekly.stdout
    org_weekly = invoke("keep-rate").stdout
    assert "Whole organisation, last week: week 47, 16–22 Nov 2026" in org_weekly
    assert json.loads(invoke("keep-rate", "--json").stdout)["best_past_needs_closed"] == 3
