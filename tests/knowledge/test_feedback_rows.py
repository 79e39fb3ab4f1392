import json
from pathlib import Path

import pytest

from knowledge.documents import UnreadableInput
from knowledge.feedback_rows import FeedbackRow, RowProblem, parse_mapping, read_feedback


def rows(path: Path, **kw):  # type: ignore[no-untyped-def]
    items = list(read_feedback(path, **kw))
    return [i for i in items if isinstance(i, FeedbackRow)], [i for i in items if isinstance(i, RowProblem)]


def test_common_headers_and_multiline_quotes(tmp_path: Path) -> None:
    path = tmp_path / "f.csv"
    path.write_text(
        "Response ID,Created At,Source,Account,NPS,Comment\n"
        'R1,2026-01-05,chat,C00001,9,"Quick, kind & clear"\n'
        'R2,05/02/2026,phone,C00002,3,"Line one\nline two"\n',
        encoding="utf-8",
    )
    good, bad = rows(path)
    assert bad == []
    assert (good[0].id, good[0].date, good[0].channel, good[0].customer_id, good[0].score, good[0].verbatim) == (
        "R1",
        "2026-01-05",
        "chat",
        "C00001",
        9,
        "Quick, kind & clear",
    )
    assert good[1].date == "2026-02-05" and good[1].verbatim == "Line one\nline two"
    assert good[1].line == 3


def test_bad_rows_reported_by_line_and_good_rows_kept(tmp_path: Path) -> None:
    path = tmp_path / "f.csv"
    path.write_text(
        "id,date,channel,customer_id,score,verbatim\n"
        "F1,2026-01-01,chat,C1,8,fine\n"
        "F2,2026-01-01,chat,C1,eleven,bad score\n"
        "F3,not-a-date,chat,C1,5,bad date\n"
        "F4,2026-01-01,chat,C1,5,\n"
        "F5,2026-01-01,chat,C1,5,too,many,fields\n"
        "F6,2026-01-01,chat,C1,12,out of range\n"
        "F7,2026-01-02,email,C2,,no score is fine\n"
    )
    good, bad = rows(path)
    assert [g.id for g in good] == ["F1", "F7"]
    reasons = {p.line: p.reason for p in bad}
    assert set(reasons) == {3, 4, 5, 6, 7}
    assert "not a number" in reasons[3]
    assert "not a date" in reasons[4]
    assert "empty verbatim" in reasons[5]
    assert "expected 6 fields, found 8" in reasons[6]
    assert "outside 0–10" in reasons[7]


def test_mapping_overrides_headers(tmp_path: Path) -> None:
    path = tmp_path / "f.csv"
    path.write_text("ref,what_they_said,stars\nA,Great engineer,9\n")
    with pytest.raises(UnreadableInput, match="no verbatim column"):
        rows(path)
    good, _ = rows(path, mapping=parse_mapping(["what_they_said=verbatim", "stars=score", "ref=id"]))
    assert (good[0].id, good[0].verbatim, good[0].score) == ("A", "Great engineer", 9)


def test_bad_mapping_is_explained() -> None:
    with pytest.raises(ValueError, match="expected column=field"):
        parse_mapping(["comment"])
    with pytest.raises(ValueError, match="field one of"):
        parse_mapping(["comment=words"])


def test_jsonl_rows_and_bad_lines(tmp_path: Path) -> None:
    path = tmp_path / "f.jsonl"
    path.write_text('{"text": "Loved the app", "rating": 10, "customer_id": "C9"}\n{oops\n[1,2]\n\n{"comment": ""}\n')
    good, bad = rows(path)
    assert good[0].verbatim == "Loved the app" and good[0].score == 10
    assert [(p.line, p.reason.split(" (")[0]) for p in bad] == [
        (2, "not valid JSON"),
        (3, "expected a JSON object per line"),
        (5, "empty verbatim: a feedback row needs the customer's words"),
    ]


def test_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "f.csv"
    path.write_text("")
    with pytest.raises(UnreadableInput, match="empty"):
        rows(path)


def test_unclosed_quote_is_rejected_with_its_line_and_later_rows_kept(tmp_path: Path) -> None:
    path = tmp_path / "f.csv"
    path.write_text(
        'id,score,verbatim\nF1,5,"The quote opens here and never closes\nF2,6,Second customer\nF3,7,Third customer\n'
    )
    good, bad = rows(path)
    assert [(g.line, g.id, g.verbatim) for g in good] == [(3, "F2", "Second customer"), (4, "F3", "Third customer")]
    assert [p.line for p in bad] == [2]
    assert "never closed" in bad[0].reason


def test_text_after_a_closing_quote_is_rejected(tmp_path: Path) -> None:
    path = tmp_path / "f.csv"
    path.write_text('id,score,verbatim\nF1,5,"Half quoted" and half not\nF2,6,"A ""quoted"" word, kept"\n')
    good, bad = rows(path)
    assert [(g.id, g.verbatim) for g in good] == [("F2", 'A "quoted" word, kept')]
    assert [p.line for p in bad] == [2]
    assert 'two quotes ""' in bad[0].reason


@pytest.mark.parametrize(
    ("encoding", "bom"),
    [("utf-16-le", b"\xff\xfe"), ("utf-16-be", b"\xfe\xff"), ("utf-8", b"\xef\xbb\xbf"), ("utf-32-le", b"")],
)
def test_the_byte_order_mark_names_the_encoding(tmp_path: Path, encoding: str, bom: bytes) -> None:
    path = tmp_path / "f.csv"
    text = "id,score,verbatim\nF1,3,Caf\u00e9 staff were kind \u2014 thank you\nF2,,No score\n"
    path.write_bytes((bom or b"\xff\xfe\x00\x00") + text.encode(encoding))
    good, bad = rows(path)
    assert bad == []
    assert [(g.id, g.score, g.verbatim) for g in good] == [
        ("F1", 3, "Caf\u00e9 staff were kind \u2014 thank you"),
        ("F2", None, "No score"),
    ]


def test_utf16_without_a_byte_order_mark_says_how_to_save(tmp_path: Path) -> None:
    path = tmp_path / "f.csv"
    path.write_bytes("id,score,verbatim\nF1,3,hello there\n".encode("utf-16-le"))
    with pytest.raises(UnreadableInput, match="UTF-16.*CSV UTF-8"):
        rows(path)


@pytest.mark.parametrize("suffix", [".csv", ".jsonl"])
def test_duplicate_ids_keep_the_first_and_reject_the_rest(tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"f{suffix}"
    entries = [("F1", "First words"), ("F2", "Other words"), ("F1", "Pasted again"), ("F1", "And again")]
    if suffix == ".csv":
        path.write_text("id,verbatim\n" + "".join(f"{i},{v}\n" for i, v in entries))
    else:
        path.write_text("".join(json.dumps({"id": i, "verbatim": v}) + "\n" for i, v in entries))
    good, bad = rows(path)
    first = 2 if suffix == ".csv" else 1
    assert [(g.id, g.verbatim) for g in good] == [("F1", "First words"), ("F2", "Other words")]
    assert [p.line for p in bad] == [first + 2, first + 3]
    assert all(f"duplicate id 'F1': first seen on line {first}" in p.reason for p in bad)


def test_jsonl_keeps_line_separators_inside_strings(tmp_path: Path) -> None:
    path = tmp_path / "f.jsonl"
    verbatim = "Two parts\u2028joined by a line separator"
    path.write_text(json.dumps({"id": "J1", "verbatim": verbatim}, ensure_ascii=False) + "\n", encoding="utf-8")
    good, bad = rows(path)
    assert bad == [] and [g.verbatim for g in good] == [verbatim]
