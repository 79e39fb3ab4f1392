"""Reading customer, staff and promise CSV exports: header names mapped to fields, rows with line numbers.

Like feedback exports, common header names are recognised and `--map column=field` overrides them. A
malformed row becomes a `RowProblem` with its line number; the other rows are still read.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from records.csv_text import RowProblem, UnreadableInput, csv_records, data_rows, decode_text
from records.errors import InputError

__all__ = ["CsvRow", "ImportSummary", "RowProblem", "normalise_header", "parse_mapping", "read_rows"]


@dataclass
class CsvRow:
    line: int
    values: dict[str, str]

    def get(self, name: str) -> str:
        return (self.values.get(name) or "").strip()


@dataclass
class ImportSummary:
    """What an import did; `problems` are the rejected rows, by line."""

    what: str
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    # Rows of customers who asked to be forgotten, skipped (customers only).
    forgotten: int = 0
    problems: list[RowProblem] = field(default_factory=list)

    @property
    def rejected(self) -> int:
        return len(self.problems)

    def line(self) -> str:
        forgotten = f", skipped {self.forgotten} forgotten" if self.forgotten else ""
        return (
            f"{self.what}: added {self.added}, updated {self.updated}, unchanged {self.unchanged}{forgotten}, "
            f"rejected {self.rejected}"
        )

    def as_dict(self) -> dict[str, object]:
        return {
            "what": self.what, "added": self.added, "updated": self.updated, "unchanged": self.unchanged,
            "forgotten": self.forgotten, "rejected": self.rejected, "problems": [str(p) for p in self.problems],
        }


def normalise_header(name: str) -> str:
    return "".join(ch for ch in name.lower() if ch.isalnum())


def parse_mapping(pairs: Sequence[str], fields: Sequence[str]) -> dict[str, str]:
    """`["Account Ref=id"]` → `{"accountref": "id"}`; a bad pair raises InputError naming --map."""
    mapping: dict[str, str] = {}
    for pair in pairs:
        column, sep, target = pair.partition("=")
        if not sep or not column.strip() or target.strip() not in fields:
            raise InputError("--map", f"{pair!r}: expected column=field with field one of {', '.join(fields)}")
        mapping[normalise_header(column)] = target.strip()
    return mapping


def read_rows(
    path: Path,
    *,
    fields: Sequence[str],
    required: Sequence[str],
    aliases: dict[str, str],
    mapping: dict[str, str] | None = None,
) -> Iterator[CsvRow | RowProblem]:
    """Rows of a CSV file as field → value, in file order.

    A file that cannot be read at all (missing, empty, no usable header) raises InputError("file", …)
    before any row is yielded, so nothing is written.
    """
    mapping = mapping or {}
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise InputError("file", f"{path} does not exist; check the path") from None
    except IsADirectoryError:
        raise InputError("file", f"{path} is a folder; give the CSV file itself") from None
    except OSError as exc:
        raise InputError("file", f"cannot read {path} ({exc.strerror})") from None
    if not raw.strip():
        raise InputError("file", f"{path} is empty; the first line must name the columns")
    try:
        records = csv_records(decode_text(raw))
    except UnreadableInput as exc:
        raise InputError("file", f"{path}: {exc.reason}") from None
    first = next(records, None)
    if first is None:
        raise InputError("file", f"{path} is empty; the first line must name the columns")
    if isinstance(first, RowProblem):
        raise InputError("file", f"{path}: line 1 is not a CSV header ({first.reason})")
    _, header = first
    columns = [mapping.get(normalise_header(c)) or aliases.get(normalise_header(c)) for c in header]
    missing = [name for name in required if name not in columns]
    if missing:
        raise InputError(
            "file",
            f"{path}: no column for {', '.join(missing)} among {', '.join(repr(c) for c in header)}; "
            f"rename the header or pass --map COLUMN={missing[0]}",
        )
    for row in data_rows(records, width=len(header)):
        if isinstance(row, RowProblem):
            yield row
            continue
        start, values = row
        yield CsvRow(start, {f: v for f, v in zip(columns, values, strict=True) if f and f in fields})
