"""Reading the CSV exports people bring (feedback, customers, staff, promises), one rule for all of them.

Files come from spreadsheets and CRMs: UTF-8 with or without a byte-order mark, or Windows' cp1252. A
row that cannot be read is a `RowProblem` with its line number, and reading goes on with the next one,
so one bad row never costs the good ones.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime


@dataclass
class RowProblem:
    line: int
    reason: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.reason}"


def decode_text(raw: bytes) -> str:
    """The file's text: UTF-8 (a BOM is dropped), else cp1252, the other encoding spreadsheets write."""
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return raw.decode("cp1252", errors="replace")


def data_rows(reader: csv.Reader, *, width: int) -> Iterator[tuple[int, list[str]] | RowProblem]:
    """After the header: (line the row starts on, its values) per row of `width` fields, a RowProblem per
    row that is malformed or of another width; blank rows are skipped. Lines count quoted line breaks."""
    line = reader.line_num
    while True:
        start = line + 1
        try:
            values = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            line = reader.line_num
            yield RowProblem(start, f"malformed CSV ({exc}); check quoting on this line")
            continue
        line = reader.line_num
        if not any(v.strip() for v in values):
            continue
        if len(values) != width:
            yield RowProblem(start, f"expected {width} fields, found {len(values)}; check commas and quotes")
            continue
        yield start, values


def parse_date(text: str) -> date | None:
    """ISO dates and datetimes (with or without zone), and the day-first forms exports use."""
    text = text.strip()
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00")).date()
    except ValueError:
        pass
    for fmt in ("%d/%m/%Y", "%d.%m.%Y", "%Y/%m/%d", "%d %b %Y", "%d %B %Y"):
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    return None
