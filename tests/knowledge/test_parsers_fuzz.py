"""Property-based tests of the readers customers' exports pass through: feedback CSV and JSONL
(knowledge/feedback_rows.py) and the record-import CSV reader (records/csv_rows.py), both on
records/csv_text.py; and of the document loaders (knowledge/documents.py) on damaged files.

Two properties each: any bytes at all end in rows, row problems or the documented file-level error (never
another exception), and every good row written by the csv/json modules reads back exactly. Marked `fuzz`:
200 examples per test in the normal run, 5,000 with `pytest -m fuzz` (profiles in conftest.py).
"""

from __future__ import annotations

import codecs
import csv
import io
import json
import tempfile
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from knowledge.documents import DOCUMENT_SUFFIXES, UnreadableInput, load_document
from knowledge.feedback_rows import FeedbackRow, RowProblem, read_feedback
from records.csv_rows import CsvRow, read_rows
from records.errors import InputError

pytestmark = pytest.mark.fuzz

# Text as exports hold it: anything but NUL, which is not text (a NUL-heavy file is rejected as UTF-16).
TEXT = st.text(st.characters(exclude_characters="\x00", exclude_categories=("Cs",)), max_size=60)
# Characters that steer a CSV parser, so that arbitrary input often comes close to a real file.
CSV_NOISE = st.text(st.sampled_from(list(',"\n\r ;\t\'abF19é\u2028\x00\ufeff')), max_size=200)
ENCODINGS = {
    "utf-8": b"",
    "utf-8-sig": b"",
    "utf-16-le": codecs.BOM_UTF16_LE,
    "utf-16-be": codecs.BOM_UTF16_BE,
}
CSV_HEADER = "id,score,date,channel,verbatim\r\n"


@contextmanager
def written(name: str, data: bytes) -> Iterator[Path]:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / name
        path.write_bytes(data)
        yield path


def encoded(text: str, encoding: str) -> bytes:
    return ENCODINGS[encoding] + text.encode(encoding)


# -- feedback: anything in, only rows, problems or UnreadableInput out ----------------------------------------
def assert_feedback_contract(name: str, data: bytes) -> None:
    with written(name, data) as path:
        try:
            items = list(read_feedback(path))
        except UnreadableInput as exc:
            assert exc.reason
            return
    for item in items:
        assert isinstance(item, FeedbackRow | RowProblem)
        assert item.line >= 1
        if isinstance(item, FeedbackRow):
            assert item.verbatim and item.verbatim == item.verbatim.strip()
            assert item.score is None or 0 <= item.score <= 10
        else:
            assert item.reason
    kept_ids = [item.id for item in items if isinstance(item, FeedbackRow) and item.id]
    assert len(kept_ids) == len(set(kept_ids))


@given(st.binary(max_size=400) | CSV_NOISE.map(lambda t: (CSV_HEADER + t).encode("utf-8")))
@example(b'id,score,date,channel,verbatim\nF1,5,,,"never closed\nF2,6,,,next\n')
@example("id,score,verbatim\nF1,3,hi\n".encode("utf-16-le"))
def test_any_feedback_csv_reads_to_rows_or_problems(data: bytes) -> None:
    assert_feedback_contract("f.csv", data)


@given(st.binary(max_size=400) | st.text(max_size=200).map(lambda t: t.encode("utf-8", "surrogatepass")))
@example(b"[" * 5000)
@example(b'{"verbatim": "a\xe2\x80\xa8b", "id": 1}\n{"verbatim": "c", "id": 1}\n')
def test_any_feedback_jsonl_reads_to_rows_or_problems(data: bytes) -> None:
    assert_feedback_contract("f.jsonl", data)


# -- feedback: every good row reads back as written -------------------------------------------------------------
GOOD_ROWS = st.lists(
    st.tuples(
        TEXT.map(str.strip).filter(bool),  # id
        st.none() | st.integers(0, 10),  # score
        st.none() | st.dates(min_value=date(1900, 1, 1), max_value=date(2100, 12, 31)),
        st.sampled_from(["", "chat", "phone", "email"]),
        TEXT.filter(str.strip),  # verbatim
    ),
    min_size=1,
    max_size=8,
    unique_by=lambda row: row[0],
)


def expected(rows: list[tuple[str, int | None, date | None, str, str]]) -> list[tuple[str, int | None, str, str, str]]:
    return [(i, s, d.isoformat() if d else "", c, v.strip()) for i, s, d, c, v in rows]


def read_back(path: Path) -> list[tuple[str, int | None, str, str, str]]:
    items = list(read_feedback(path))
    assert [i for i in items if isinstance(i, RowProblem)] == []
    return [(r.id, r.score, r.date, r.channel, r.verbatim) for r in items if isinstance(r, FeedbackRow)]


@given(GOOD_ROWS, st.sampled_from(sorted(ENCODINGS)))
def test_good_feedback_csv_rows_round_trip(rows: list, encoding: str) -> None:  # type: ignore[type-arg]
    out = io.StringIO(newline="")
    writer = csv.writer(out)
    writer.writerow(["id", "score", "date", "channel", "verbatim"])
    for row_id, score, day, channel, verbatim in rows:
        writer.writerow([row_id, "" if score is None else score, day.isoformat() if day else "", channel, verbatim])
    with written("f.csv", encoded(out.getvalue(), encoding)) as path:
        assert read_back(path) == expected(rows)


@given(GOOD_ROWS, st.booleans())
def test_good_feedback_jsonl_rows_round_trip(rows: list, ascii_only: bool) -> None:  # type: ignore[type-arg]
    lines = [
        json.dumps(
            {"id": i, "score": s, "date": d.isoformat() if d else None, "channel": c, "verbatim": v},
            ensure_ascii=ascii_only,
        )
        for i, s, d, c, v in rows
    ]
    with written("f.jsonl", "\n".join(lines).encode("utf-8")) as path:
        assert read_back(path) == expected(rows)


# -- record imports (customers, staff, promises) -----------------------------------------------------------------
FIELDS = ("id", "name", "segment")
ALIASES = {"id": "id", "customerid": "id", "name": "name", "segment": "segment"}


def import_rows(path: Path) -> list[CsvRow | RowProblem]:
    return list(read_rows(path, fields=FIELDS, required=("id",), aliases=ALIASES))


@given(st.binary(max_size=400) | CSV_NOISE.map(lambda t: ("id,name,segment\n" + t).encode("utf-8")))
@example(b'id,name,segment\nC1,"Ann\nC2,Bo,home\n')
def test_any_record_import_reads_to_rows_or_problems(data: bytes) -> None:
    with written("customers.csv", data) as path:
        try:
            items = import_rows(path)
        except InputError as exc:
            assert str(exc).startswith("file: ")
            return
    for item in items:
        assert isinstance(item, CsvRow | RowProblem) and item.line >= 1
        if isinstance(item, CsvRow):
            assert set(item.values) <= set(FIELDS)


@given(
    st.lists(st.tuples(TEXT.filter(str.strip), TEXT, TEXT), min_size=1, max_size=8),
    st.sampled_from(sorted(ENCODINGS)),
)
def test_good_record_import_rows_round_trip(rows: list[tuple[str, str, str]], encoding: str) -> None:
    out = io.StringIO(newline="")
    writer = csv.writer(out)
    writer.writerow(["Customer ID", "Name", "Segment"])
    writer.writerows(rows)
    with written("customers.csv", encoded(out.getvalue(), encoding)) as path:
        items = import_rows(path)
    assert [i for i in items if isinstance(i, RowProblem)] == []
    assert [tuple(i.values[f] for f in FIELDS) for i in items if isinstance(i, CsvRow)] == rows


# -- documents: any bytes under any document suffix are a document or one UnreadableInput ----------------------
def zipped(parts: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, data in parts.items():
            archive.writestr(name, data)
    return out.getvalue()


DOCX_PARTS = st.dictionaries(
    st.sampled_from(["[Content_Types].xml", "_rels/.rels", "word/document.xml", "docProps/core.xml"]),
    st.binary(max_size=120) | st.sampled_from([b"<w:document", b"<?xml version='1.0'?><Types/>", b""]),
)
DOCUMENT_BYTES = st.binary(max_size=600) | st.binary(max_size=600).map(lambda b: b"%PDF-1.4\n" + b)


@given(st.sampled_from(DOCUMENT_SUFFIXES), DOCUMENT_BYTES | DOCX_PARTS.map(zipped))
def test_any_document_bytes_load_or_are_one_unreadable_input(suffix: str, data: bytes) -> None:
    with written(f"doc{suffix}", data) as path:
        try:
            document = load_document(path)
        except UnreadableInput as exc:
            assert exc.reason
            return
    assert document.title and any(block.text.strip() for block in document.blocks)
