"""Customer feedback exports (CSV or JSONL): one row, one verbatim, one chunk.

Common header names are recognised; `--map column=field` overrides them. A bad row is reported with
its line number and the reason, and the good rows are kept.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from records.csv_text import RowProblem, UnreadableInput, csv_records, data_rows, decode_text, parse_date

__all__ = ["FEEDBACK_SUFFIXES", "FeedbackRow", "RowProblem", "parse_mapping", "read_feedback"]

FEEDBACK_SUFFIXES: tuple[str, ...] = (".csv", ".jsonl", ".ndjson")
FIELDS: tuple[str, ...] = ("id", "verbatim", "score", "date", "customer_id", "channel")

# Header names seen in survey and CRM exports, normalised (lower case, no spaces/underscores).
_ALIASES: dict[str, str] = {
    "verbatim": "verbatim",
    "comment": "verbatim",
    "comments": "verbatim",
    "text": "verbatim",
    "feedback": "verbatim",
    "response": "verbatim",
    "message": "verbatim",
    "body": "verbatim",
    "score": "score",
    "nps": "score",
    "rating": "score",
    "npsscore": "score",
    "csat": "score",
    "date": "date",
    "createdat": "date",
    "created": "date",
    "submittedat": "date",
    "timestamp": "date",
    "customerid": "customer_id",
    "customer": "customer_id",
    "accountid": "customer_id",
    "account": "customer_id",
    "clientid": "customer_id",
    "channel": "channel",
    "source": "channel",
    "medium": "channel",
    "id": "id",
    "feedbackid": "id",
    "responseid": "id",
    "rowid": "id",
}


@dataclass
class FeedbackRow:
    line: int
    verbatim: str
    id: str = ""
    score: int | None = None
    date: str = ""
    customer_id: str = ""
    channel: str = ""


def parse_mapping(pairs: list[str]) -> dict[str, str]:
    """`["comment_text=verbatim", ...]` → `{"commenttext": "verbatim"}`; bad pairs raise ValueError."""
    mapping: dict[str, str] = {}
    for pair in pairs:
        column, sep, target = pair.partition("=")
        if not sep or not column.strip() or target.strip() not in FIELDS:
            raise ValueError(f"--map {pair!r}: expected column=field with field one of {', '.join(FIELDS)}")
        mapping[_norm(column)] = target.strip()
    return mapping


def _norm(name: str) -> str:
    return "".join(ch for ch in name.lower() if ch.isalnum())


def _field_of(column: str, mapping: dict[str, str]) -> str | None:
    key = _norm(column)
    return mapping.get(key) or _ALIASES.get(key)


def read_feedback(path: Path, *, mapping: dict[str, str] | None = None) -> Iterator[FeedbackRow | RowProblem]:
    """Yield a FeedbackRow per good row and a RowProblem per bad one, in file order."""
    mapping = mapping or {}
    raw = path.read_bytes()
    if not raw.strip():
        raise UnreadableInput("the file is empty")
    text = decode_text(raw)
    rows = _read_csv(text, mapping) if path.suffix.lower() == ".csv" else _read_jsonl(text, mapping)
    yield from _first_of_each_id(rows)


def _first_of_each_id(rows: Iterator[FeedbackRow | RowProblem]) -> Iterator[FeedbackRow | RowProblem]:
    """A row id names one piece of feedback: a later row with the id of a kept one is a problem, not a
    second copy (exports appended twice, rows pasted again)."""
    first_lines: dict[str, int] = {}
    for row in rows:
        if isinstance(row, FeedbackRow) and row.id:
            first = first_lines.setdefault(row.id, row.line)
            if first != row.line:
                yield RowProblem(row.line, f"duplicate id {row.id!r}: first seen on line {first}, which is kept")
                continue
        yield row


def _read_csv(text: str, mapping: dict[str, str]) -> Iterator[FeedbackRow | RowProblem]:
    records = csv_records(text)
    first = next(records, None)
    if first is None:
        raise UnreadableInput("no header row: the first line must name the columns", line=1)
    if isinstance(first, RowProblem):
        raise UnreadableInput(f"the header row cannot be read: {first.reason}", line=first.line)
    _, header = first
    fields = [_field_of(column, mapping) for column in header]
    if "verbatim" not in fields:
        raise UnreadableInput(
            f"no verbatim column among {header!r}: name one 'verbatim', 'comment' or 'text', "
            "or pass --map COLUMN=verbatim",
            line=1,
        )
    for row in data_rows(records, width=len(header)):
        if isinstance(row, RowProblem):
            yield row
            continue
        start, values = row
        yield _validated(start, {f: v for f, v in zip(fields, values, strict=True) if f})


def _read_jsonl(text: str, mapping: dict[str, str]) -> Iterator[FeedbackRow | RowProblem]:
    # Only line feeds end a JSON Lines record: str.splitlines() would also cut at U+2028 and other
    # separators that JSON allows raw inside strings.
    for number, raw_line in enumerate(text.split("\n"), start=1):
        if not raw_line.strip():
            continue
        try:
            obj = json.loads(raw_line)
        except json.JSONDecodeError as exc:
            yield RowProblem(number, f"not valid JSON ({exc.msg} at column {exc.colno})")
            continue
        except RecursionError:
            yield RowProblem(number, "JSON nested too deeply; expected one flat object per line")
            continue
        if not isinstance(obj, dict):
            yield RowProblem(number, "expected a JSON object per line")
            continue
        record: dict[str, str] = {}
        for key, value in obj.items():
            target = _field_of(str(key), mapping)
            if target and value is not None:
                record[target] = str(value)
        yield _validated(number, record)


def _validated(line: int, record: dict[str, str]) -> FeedbackRow | RowProblem:
    verbatim = (record.get("verbatim") or "").strip()
    if not verbatim:
        return RowProblem(line, "empty verbatim: a feedback row needs the customer's words")
    row = FeedbackRow(
        line=line,
        verbatim=verbatim,
        id=(record.get("id") or "").strip(),
        customer_id=(record.get("customer_id") or "").strip(),
        channel=(record.get("channel") or "").strip().lower(),
    )
    score_text = (record.get("score") or "").strip()
    if score_text:
        try:
            score = float(score_text)
        except ValueError:
            return RowProblem(line, f"score {score_text!r} is not a number; expected 0–10 or empty")
        if not 0 <= score <= 10 or score != int(score):
            return RowProblem(line, f"score {score_text!r} is outside 0–10; expected a whole number 0–10")
        row.score = int(score)
    date_text = (record.get("date") or "").strip()
    if date_text:
        parsed = parse_date(date_text)
        if parsed is None:
            return RowProblem(line, f"date {date_text!r} is not a date; use YYYY-MM-DD")
        row.date = parsed.isoformat()
    return row
