"""Customer and staff imports: upsert by id, bad rows by line, good rows kept; lookups; the org chart."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from records import InputError, Records
from records.csv_rows import parse_mapping
from records.customers import ALIASES
from records.thanks_rule import ThanksRule
from tests.conftest import SAMPLE_PACK
from tests.records.conftest import write_csv


def test_sample_customers_import_once_then_nothing_changes(records: Records) -> None:
    first = records.customers.import_csv(SAMPLE_PACK / "customers.csv")
    assert (first.added, first.updated, first.unchanged, first.rejected) == (2200, 0, 0, 0)
    again = records.customers.import_csv(SAMPLE_PACK / "customers.csv")
    assert (again.added, again.updated, again.unchanged, again.rejected) == (0, 0, 2200, 0)
    assert records.customers.count() == 2200
    customer = records.customers.get("C00105")
    assert customer is not None and customer.owner == "jamal.hussain"
    assert again.line() == "customers: added 0, updated 0, unchanged 2200, rejected 0"


def test_bad_customer_rows_are_reported_by_line_and_good_rows_kept(records: Records, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "c.csv", ["id", "name", "customer_since", "owner", "segment", "value"], [
        ["A1", "Good One", "2001-02-03", "tom.baines", "household", "100"],   # line 2
        ["", "No Id", "2001-02-03", "tom.baines", "", ""],                     # 3
        ["A3", "Bad Date", "last spring", "tom.baines", "", ""],               # 4
        ["A4", "Future", "2999-01-01", "tom.baines", "", ""],                  # 5
        ["A5", "", "2001-02-03", "tom.baines", "", ""],                        # 6
        ["A6", "No Owner", "2001-02-03", "", "", ""],                          # 7
        ["A7", "Negative", "2001-02-03", "tom.baines", "", "-5"],              # 8
        ["A1", "Duplicate", "2001-02-03", "tom.baines", "", ""],               # 9
        ["A9", "Good Two", "03/04/2010", "owen.price", "Priority", "£1,200"],  # 10
    ])
    with path.open("a") as handle:
        handle.write("A10,Too,Many,Fields,x,y,z\n")                            # 11
    summary = records.customers.import_csv(path)
    lines = {p.line: p.reason for p in summary.problems}
    assert sorted(lines) == [3, 4, 5, 6, 7, 8, 9, 11]
    assert "empty id" in lines[3]
    assert "'last spring' is not a date" in lines[4]
    assert "in the future" in lines[5]
    assert "empty name" in lines[6]
    assert "empty owner" in lines[7]
    assert "negative" in lines[8]
    assert "already on line 2" in lines[9]
    assert "expected 6 fields, found 7" in lines[11]
    assert summary.added == 2
    good = records.customers.get("A9")
    assert good is not None
    assert (good.customer_since, good.segment, good.value) == (date(2010, 4, 3), "priority", 1200.0)
    assert records.customers.get("A3") is None


def test_headers_are_recognised_and_mapped(records: Records, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "crm.csv", ["Account ID", "Full Name", "Joined", "Account Manager", "Ref"], [
        ["X1", "Ada  Lovelace", "2015-12-10", "tom.baines", "zzz"],
    ])
    summary = records.customers.import_csv(path)
    assert summary.added == 1
    assert records.customers.find("ada lovelace")[0].id == "X1"
    odd = write_csv(tmp_path / "odd.csv", ["Ref", "Who", "First order", "Rep"], [["X2", "Bob", "2019-01-01", "a.b"]])
    with pytest.raises(InputError) as info:
        records.customers.import_csv(odd)
    assert info.value.field == "file" and "--map" in info.value.message
    mapping = parse_mapping(["Ref=id", "Who=name", "First order=customer_since", "Rep=owner"],
                            tuple(set(ALIASES.values())))
    assert records.customers.import_csv(odd, mapping=mapping).added == 1
    with pytest.raises(InputError) as info:
        parse_mapping(["Ref=nonsense"], ("id", "name"))
    assert info.value.field == "--map"


def test_unreadable_files_are_refused_whole(records: Records, tmp_path: Path) -> None:
    with pytest.raises(InputError, match="does not exist"):
        records.customers.import_csv(tmp_path / "missing.csv")
    (tmp_path / "empty.csv").write_text("  \n")
    with pytest.raises(InputError, match="is empty"):
        records.customers.import_csv(tmp_path / "empty.csv")
    assert records.customers.count() == 0


def test_a_changed_row_is_updated(records: Records, tmp_path: Path) -> None:
    header = ["id", "name", "customer_since", "owner", "segment"]
    records.customers.import_csv(write_csv(tmp_path / "a.csv", header, [["Z1", "Zed", "2000-01-01", "a", "household"]]))
    summary = records.customers.import_csv(
        write_csv(tmp_path / "b.csv", header, [["Z1", "Zed", "2000-01-01", "b", "household"]])
    )
    assert (summary.updated, summary.unchanged) == (1, 0)
    customer = records.customers.get("Z1")
    assert customer is not None and customer.owner == "b"


def test_find_by_id_name_and_prefix(staffed: Records) -> None:
    assert [c.id for c in staffed.customers.find("c00105")] == ["C00105"]
    exact = staffed.customers.find("Darren Ward")
    assert [c.id for c in exact] == ["C00001"]
    prefix = staffed.customers.find("darren")
    assert len(prefix) > 1 and all(c.name.lower().startswith("darren") for c in prefix)
    assert staffed.customers.find("nobody-is-called-this") == []


def test_staff_import_checks_managers_ids_and_zones(records: Records, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "s.csv", ["handle", "name", "function", "manager", "slack_user_id", "tz"], [
        ["boss", "The Boss", "service", "", "U0BOSS", "Europe/London"],       # 2
        ["lead", "A Lead", "service", "boss", "U0LEAD", ""],                  # 3
        ["ghost", "Reports To Nobody", "service", "nobody", "", ""],         # 4
        ["zoned", "Bad Zone", "service", "boss", "", "Mars/Olympus"],        # 5
        ["slacky", "Bad Slack Id", "service", "boss", "not-an-id", ""],      # 6
        ["twin", "Same Slack Id", "service", "boss", "U0LEAD", ""],          # 7
        ["Bad Handle!", "Who", "service", "", "", ""],                       # 8
        ["self", "Own Manager", "service", "self", "", ""],                  # 9
    ])
    summary = records.staff.import_csv(path)
    lines = {p.line: p.reason for p in summary.problems}
    assert sorted(lines) == [4, 5, 6, 7, 8, 9]
    assert "manager 'nobody' is not in this file or in staff" in lines[4]
    assert "'Mars/Olympus' is not a time zone" in lines[5]
    assert "is not a Slack user id" in lines[6]
    assert "already belongs to lead" in lines[7]
    assert "own manager" in lines[9]
    assert summary.added == 2
    chart = records.staff.chart()
    assert chart.chain("lead") == ["boss"]
    assert records.staff.resolve("U0LEAD").handle == "lead"  # type: ignore[union-attr]


def test_staff_manager_loops_are_refused(records: Records, tmp_path: Path) -> None:
    records.staff.import_csv(write_csv(tmp_path / "a.csv", ["handle", "name", "manager"], [
        ["a", "A", ""], ["b", "B", "a"],
    ]))
    summary = records.staff.import_csv(write_csv(tmp_path / "b.csv", ["handle", "name", "manager"], [["a", "A", "b"]]))
    assert summary.rejected == 1 and "loops back to a" in summary.problems[0].reason
    assert records.staff.chart().chain("b") == ["a"]


def test_org_chart_and_who_thanks(staffed: Records) -> None:
    chart = staffed.staff.chart()
    assert chart.chain("owen.price") == ["leah.morgan", "tom.baines", "ruth.okafor"]
    assert set(chart.team("leah.morgan")) == {"leah.morgan", "jamal.hussain", "kerry.dunn", "owen.price"}
    rule = ThanksRule(by_segment={"priority": "dan.whitlock"}, default="isla.fraser")
    assert rule.sender(chart, owner="owen.price", segment="household", years=3) == "owen.price"
    assert rule.sender(chart, owner="owen.price", segment="household", years=5) == "leah.morgan"
    assert rule.sender(chart, owner="owen.price", segment="household", years=10) == "tom.baines"
    assert rule.sender(chart, owner="owen.price", segment="household", years=25) == "ruth.okafor"
    assert rule.sender(chart, owner="owen.price", segment="priority", years=10) == "dan.whitlock"
    assert rule.sender(chart, owner="owen.price", segment="priority", years=1) == "owen.price"
    assert rule.sender(chart, owner="tom.baines", segment="household", years=20) == "ruth.okafor"  # the chain's top
    assert rule.sender(chart, owner="someone.unknown", segment="", years=20) == "isla.fraser"
