"""`advocate thanks|customer|keep-rate` as a user runs them."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from advocate.cli.loyalty import keep_rate_text
from records.keep_rate import KeepRateReport, PeriodRate
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
    # The standard in the words App Home and the manager digest use (KeepRateReport.best_past_text), rule and all.
    assert ("  No best past month to compare with yet: only months with 3 or more closed promises count."
            in org.stdout)
    history = tmp_path / "history.csv"
    history.write_text("id,customer_id,promise,owner,due,status\n" + "".join(
        f"H{n},C00105,Call back {n},mark.ellison,2026-08-{10 + n}T12:00:00+01:00,kept\n" for n in range(3)
    ) + "H3,C00105,Call back 3,mark.ellison,2026-08-20T12:00:00+01:00,broken\n")
    assert invoke("promises", "import", str(history)).exit_code == 0
    org = invoke("keep-rate", "--period", "month")
    assert "Whole organisation, last month: October 2026" in org.stdout
    assert ("  Best past month: 80% kept on time (4 of 5 closed, 2026-08); only months with 3 or more closed "
            "promises count.") in org.stdout
    weekly = invoke("keep-rate", "--by", "owner", "--for", "mark.ellison", "--periods", "20")
    assert "Mark Ellison (mark.ellison): no promises fell due last week" in weekly.stdout
    assert ("  Best past week: 100% kept on time (3 of 3 closed, 2026-W33); only weeks with 3 or more closed "
            "promises count.") in weekly.stdout
    org_weekly = invoke("keep-rate").stdout
    assert "Whole organisation, last week: week 47, 16–22 Nov 2026" in org_weekly
    assert json.loads(invoke("keep-rate", "--json").stdout)["best_past_needs_closed"] == 3


DEFAULT_RULE = ("Who thanks: owner 1–4 years · team lead 5–9 · senior manager 10–19 · director 20+; at most team "
                "lead 5, senior manager 3, director 2 a week per person, longest tenure first, the rest to the owner.")


def test_thanks_due_says_the_rule_the_digest_says(monkeypatch: pytest.MonkeyPatch) -> None:
    load_sample()
    text = invoke("thanks", "due", "--days", "14").stdout
    # The rule line comes first, in the words of the manager digest (ThanksRule.describe), then the thank-yous.
    assert text.splitlines()[0] == DEFAULT_RULE and "suggested:" in text
    assert json.loads(invoke("thanks", "due", "--days", "14", "--json").stdout)["rule"] == DEFAULT_RULE
    # It is the rule in force: THANKS_TIERS and THANKS_WEEKLY_CAPS as set.
    monkeypatch.setenv("THANKS_TIERS", "1=owner,10=team_lead")
    monkeypatch.setenv("THANKS_WEEKLY_CAPS", "team_lead=4")
    assert invoke("thanks", "due", "--days", "14").stdout.splitlines()[0] == (
        "Who thanks: owner 1–9 years · team lead 10+; at most team lead 4 a week per person, longest tenure first, "
        "the rest to the owner.")


def test_keep_rate_text_holds_a_scope_to_the_words_slack_uses() -> None:
    start = datetime(2026, 10, 5, tzinfo=UTC)
    weeks = [PeriodRate(f"2026-W{41 + n}", start + timedelta(weeks=n), start + timedelta(weeks=n + 1),
                        complete=n < 2) for n in range(3)]
    weeks[0].kept_on_time, weeks[0].broken = 3, 1  # the best past week: 75% of 4 closed
    weeks[1].kept_on_time, weeks[1].broken = 1, 2  # last week: 33%, below it
    report = KeepRateReport("org", "week", weeks)
    text = keep_rate_text(report, name="Whole organisation", timezone=UTC)
    assert ("  Best past week: 75% kept on time (3 of 4 closed, 2026-W41); only weeks with 3 or more closed "
            "promises count. Last week is below it.") in text.splitlines()
