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
