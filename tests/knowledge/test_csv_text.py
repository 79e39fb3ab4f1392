"""The CSV rules shared by feedback exports and record imports (customers, staff, promises), seen through
the record-import reader."""

from pathlib import Path

import pytest

from records.csv_rows import CsvRow, RowProblem, read_rows
from records.errors import InputError

ALIASES = {"id": "id", "name": "name", "segment": "segment"}


def read(path: Path) -> tuple[list[CsvRow], list[RowProblem]]:
    items = list(read_rows(path, fields=("id", "name", "segment"), required=("id",), aliases=ALIASES))
    return [i for i in items if isinstance(i, CsvRow)], [i for i in items if isinstance(i, RowProblem)]


def test_an_unclosed_quote_in_a_customer_list_costs_only_its_own_row(tmp_path: Path) -> None:
    path = tmp_path / "customers.csv"
    path.write_text('id,name,segment\nC1,"Ann Lee,household\nC2,Bo Park,business\nC3,Cy Dale,household\n')
    good, bad = read(path)
    assert [(r.line, r.get("id"), r.get("name")) for r in good] == [(3, "C2", "Bo Park"), (4, "C3", "Cy Dale")]
    assert [(p.line, "never closed" in p.reason) for p in bad] == [(2, True)]


def test_a_utf16_customer_list_with_a_byte_order_mark_is_read(tmp_path: Path) -> None:
    path = tmp_path / "customers.csv"
    path.write_bytes(b"\xff\xfe" + "id,name,segment\r\nC1,Zo\u00eb Byrne,household\r\n".encode("utf-16-le"))
    good, bad = read(path)
    assert bad == [] and [(r.get("id"), r.get("name")) for r in good] == [("C1", "Zo\u00eb Byrne")]


def test_a_utf16_customer_list_without_a_mark_says_how_to_save_it(tmp_path: Path) -> None:
    path = tmp_path / "customers.csv"
    path.write_bytes("id,name,segment\nC1,Zoe,household\n".encode("utf-16-le"))
    with pytest.raises(InputError, match="file: .*UTF-16 .*CSV UTF-8"):
        read(path)
