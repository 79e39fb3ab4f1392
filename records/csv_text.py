"""Reading the CSV exports people bring (feedback, customers, staff, promises), one rule for all of them.

Files come from spreadsheets and CRMs: UTF-8 with or without a byte-order mark, UTF-16 with one (Excel's
"Unicode text"), or Windows' cp1252. A row that cannot be read is a `RowProblem` with its line number,
and reading goes on with the next line, so one bad row never costs the good ones.

Quoting is read strictly: a quote that is never closed would otherwise swallow every later row into one
field, and text after a closing quote would be glued on silently. Either is a problem on the line where
the row starts, and reading resumes on the line after it.
"""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from itertools import islice

SAVE_AS_UTF8 = "save it from the spreadsheet as 'CSV UTF-8'"

# Longest BOM first: UTF-32's little-endian mark starts with UTF-16's.
_BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)


class UnreadableInput(Exception):
    """The input cannot be used; the message says why and, where possible, what to do."""

    def __init__(self, reason: str, *, line: int | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.line = line


@dataclass
class RowProblem:
    line: int
    reason: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.reason}"


def decode_text(raw: bytes) -> str:
    """The file's text. A byte-order mark names the encoding (UTF-8, UTF-16 or UTF-32, either byte order);
    without one, UTF-8, else cp1252, the other encoding spreadsheets write. Raises UnreadableInput for
    UTF-16 without a mark and for text that does not match its mark."""
    for bom, encoding in _BOMS:
        if raw.startswith(bom):
            try:
                return raw[len(bom) :].decode(encoding)
            except UnicodeDecodeError:
                raise UnreadableInput(
                    f"the file starts with a {encoding.upper()} byte-order mark but is not valid {encoding.upper()}; "
                    f"{SAVE_AS_UTF8}"
                ) from None
    head = raw[:4096]
    if head.count(0) * 4 >= len(head):
        # Text has no NUL bytes; UTF-16 without a mark has one in every other byte for Latin text.
        raise UnreadableInput(
            f"the file looks like UTF-16 without a byte-order mark (or is not text); {SAVE_AS_UTF8}"
        )
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("cp1252", errors="replace")


def _quoting_problem(exc: csv.Error) -> str:
    message = str(exc)
    if "field larger than field limit" in message:
        return (
            f"a field is longer than {csv.field_size_limit():,} characters: probably a quote opened in this row "
            "is never closed; close it or remove it"
        )
    if "unexpected end of data" in message:
        return (
            "a quote opened in this row is never closed, so it would swallow the rows after it; close the quote "
            'or remove it (a quote inside a field is written as two quotes "")'
        )
    if "expected after" in message:
        return 'text follows a closing quote; write a quote inside a quoted field as two quotes ""'
    return f"malformed CSV ({message}); check quoting on this line"


def csv_records(text: str) -> Iterator[tuple[int, list[str]] | RowProblem]:
    """Every record of a CSV text, the header included: (line the record starts on, its values), or a
    RowProblem for a record with malformed quoting. Lines count quoted line breaks; after a problem,
    reading resumes on the line after the one where the bad record started."""
    lines = io.StringIO(text, newline="").readlines()
    offset = 0  # physical lines before the one the current reader starts on
    while offset < len(lines):
        reader = csv.reader(islice(lines, offset, None), strict=True)
        read = 0  # lines this reader has consumed, as of the last whole record
        try:
            for values in reader:
                yield offset + read + 1, values
                read = reader.line_num
            return
        except csv.Error as exc:
            start = offset + read + 1
            yield RowProblem(start, _quoting_problem(exc))
            offset = start


def data_rows(
    records: Iterator[tuple[int, list[str]] | RowProblem], *, width: int
) -> Iterator[tuple[int, list[str]] | RowProblem]:
    """The records after the header: (line, values) per row of `width` fields, a RowProblem per row that
    is malformed or of another width; blank rows are skipped."""
    for record in records:
        if isinstance(record, RowProblem):
            yield record
            continue
        start, values = record
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
