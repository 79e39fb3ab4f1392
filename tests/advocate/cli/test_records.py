"""`advocate customers|staff|promises` as a user runs them: summaries on stdout, `error: …` on stderr, exit 2
for bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.advocate.cli.conftest import load_sample
from tests.conftest import SAMPLE_PACK
from tests.conftest import run_cli as invoke
from tests.records.conftest import write_csv

pytestmark = pytest.mark.usefixtures("on_a_monday")


def test_imports_report_once_and_bad_rows_by_line(tmp_path: Path) -> None:
    first = invoke("staff", "import", str(SAMPLE_PACK / "staff.csv"))
    assert first.exit_code == 0 and first.stdout.strip() == "staff: added 34, updated 0, unchanged 0, rejected 0"
    assert invoke("customers", "import", str(SAMPLE_PACK / "customers.csv")).exit_code == 0
    again = invoke("customers", "import", str(SAMPLE_PACK / "customers.csv"), "--json")
    assert json.loads(again.stdout)["unchanged"] == 2200
    bad = write_csv(tmp_path / "bad.csv", ["id", "name", "customer_since", "owner"], [
        ["B1", "Fine", "2010-01-01", "tom.baines"], ["B2", "Broken", "not a date", "tom.baines"],
    ])
    result = invoke("customers", "import", str(bad))
    assert result.exit_code == 2
    assert "customers: added 1, updated 0, unchanged 0, rejected 1" in result.stdout
    assert "rejected line 3: customer B2: customer_since 'not a date' is not a date" in result.stderr
    missing = invoke("customers", "import", str(tmp_path / "nope.csv"))
    assert missing.exit_code == 2 and missing.stderr.startswith("error: file:")
    mapped = write_csv(tmp_path / "m.csv", ["Ref", "Who", "Since", "Rep"], [["M1", "Mapped", "2001-01-01", "a"]])
    unmapped = invoke("customers", "import", str(mapped))
    assert unmapped.exit_code == 2 and "--map" in unmapped.stderr
    ok = invoke("customers", "import", str(mapped), "--map", "Ref=id", "--map", "Who=name", "--map", "Rep=owner")
    assert ok.exit_code == 0, ok.stderr
    assert invoke("customers", "import", str(mapped), "--map", "Ref").exit_code == 2


def test_promise_commands_and_their_errors() -> None:
    load_sample()
    added = invoke("promises", "add", "Call back with the refund date", "--customer", "C00105", "--owner",
                   "jamal.hussain", "--due", "2026-11-25 16:00", "--json")
    assert added.exit_code == 0, added.stderr
    promise_id = json.loads(added.stdout)["id"]
    cases = [
        (["--due", "2026-11-20 10:00"], "error: due: "),
        (["--due", "soon"], "error: due: 'soon' is not a date and time"),
        (["--customer", "C99999"], "error: customer: no customer with id 'C99999'"),
        (["--tz", "Nowhere/Land"], "error: tz: 'Nowhere/Land' is not a time zone"),
        (["--owner", "ghost"], "error: owner: 'ghost' is not in staff"),
    ]
    for extra, message in cases:
        base = {"--customer": "C00105", "--owner": "jamal.hussain", "--due": "2026-11-25 16:00"}
        for flag, value in zip(extra[::2], extra[1::2], strict=True):
            base[flag] = value
        args = ["promises", "add", "Ring back"] + [x for pair in base.items() for x in pair]
        result = invoke(*args)
        assert result.exit_code == 2, (extra, result.stdout)
        assert result.stderr.startswith(message), result.stderr
    empty = invoke("promises", "add", "  ", "--customer", "C00105", "--owner", "jamal.hussain", "--due",
                   "2026-11-25 16:00")
    assert empty.exit_code == 2 and empty.stderr.startswith("error: text: what was promised is empty")

    listed = invoke("promises", "list", "--owner", "jamal.hussain")
    assert promise_id in listed.stdout
    overdue = invoke("promises", "list", "--overdue", "--json")
    assert [p["id"] for p in json.loads(overdue.stdout)["promises"]] == ["P008", "P009", "P010"]
    team = invoke("promises", "list", "--team", "graham.leach")
    assert "P008" in team.stdout and "P011" not in team.stdout

    assert invoke("promises", "reschedule", promise_id, "--due", "2026-11-27 10:00", "--reason", "").exit_code == 2
    moved = invoke("promises", "reschedule", promise_id, "--due", "2026-11-27 10:00", "--reason", "awaiting parts")
    assert moved.exit_code == 0 and "rescheduled" in moved.stdout
    assert invoke("promises", "reassign", promise_id, "--to", "kerry.dunn").exit_code == 0
    assert invoke("promises", "close", promise_id, "maybe").exit_code == 2
    closed = invoke("promises", "close", promise_id, "kept", "--json")
    assert json.loads(closed.stdout)["status"] == "kept"
    twice = invoke("promises", "close", promise_id, "broken")
    assert twice.exit_code == 2 and "already kept" in twice.stderr
    unknown = invoke("promises", "close", "P-unknown", "kept")
    assert unknown.exit_code == 2 and "no promise 'P-unknown'" in unknown.stderr
    assert invoke("promises", "cancel", "P011", "--reason", "customer moved it themselves").exit_code == 0


def test_a_bad_schedule_setting_is_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MANAGER_DIGEST_CRON", "every monday")
    result = invoke("thanks", "due")
    assert result.exit_code == 2
    assert result.stderr.strip() == ("error: setting MANAGER_DIGEST_CRON is invalid: expected a crontab: minute hour "
                                     "day month weekday, e.g. '0 8 * * mon'")


def test_relative_due_times_and_one_zone_label() -> None:
    load_sample()  # the clock: Monday 23 November 2026, 09:00 in London
    added = invoke("promises", "add", "Ring back with the engineer's slot", "--customer", "C00105", "--owner",
                   "jamal.hussain", "--due", "tomorrow 16:00")
    assert added.exit_code == 0, added.stderr
    assert "due Tue 24 Nov 2026 16:00 Europe/London" in added.stdout
    promise_id = added.stdout.split()[1]
    moved = invoke("promises", "reschedule", promise_id, "--due", "in 3 days", "--reason", "parts late", "--json")
    assert json.loads(moved.stdout)["due_at"].startswith("2026-11-26T17:00")
    listed = invoke("promises", "list", "--status", "all").stdout
    assert "(UTC)" not in listed and "(+01:00)" not in listed  # the sample's dues came with offsets
    assert "due Fri 10 Apr 2026 12:00 Europe/London" in listed  # P001, given as 12:00+01:00
    refused = invoke("promises", "add", "x", "--customer", "C00105", "--owner", "jamal.hussain", "--due", "soon")
    assert refused.exit_code == 2 and "'soon' is not a date and time" in refused.stderr
