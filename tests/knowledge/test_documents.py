from pathlib import Path

import pytest

from knowledge.chunking import MAX_CHARS, chunk_blocks
from knowledge.documents import UnreadableInput, load_document
from tests.conftest import write_docx, write_pdf

LONG = " ".join(f"Sentence number {n} says something about waiting times and callbacks." for n in range(40))


def test_markdown_keeps_title_headings_and_date(tmp_path: Path) -> None:
    path = tmp_path / "note.md"
    path.write_text(
        "# Callback study\n\nDate: 2026-03-14\n\n## Findings\n\nPeople remember broken callbacks.\n\n"
        "### Detail\n\n- first point\n- second point\n\n## Method\n\nWe rang 400 households.\n",
        encoding="utf-8",
    )
    doc = load_document(path)
    assert doc.title == "Callback study"
    assert doc.date == "2026-03-14"
    assert [(b.headings, b.text) for b in doc.blocks] == [
        (("Findings",), "People remember broken callbacks."),
        (("Findings", "Detail"), "- first point"),
        (("Findings", "Detail"), "- second point"),
        (("Method",), "We rang 400 households."),
    ]


def test_plain_text_title_and_heading_lines(tmp_path: Path) -> None:
    path = tmp_path / "article.txt"
    path.write_text("A short title\n\nFirst paragraph here.\nStill first.\n\nA heading line\n\nSecond paragraph.\n")
    doc = load_document(path)
    assert doc.title == "A short title"
    assert doc.blocks[0].text == "First paragraph here. Still first."
    assert doc.blocks[1].headings == ("A heading line",)


def test_html_structure(tmp_path: Path) -> None:
    path = tmp_path / "page.html"
    path.write_text(
        "<html><head><title>Survey timing</title><script>var x=1;</script></head><body>"
        "<h2>Findings</h2><p>Short surveys sent within an hour get <b>three times</b> the replies.</p>"
        "<ul><li>Ask one question.</li></ul></body></html>"
    )
    doc = load_document(path)
    assert doc.title == "Survey timing"
    texts = [b.text for b in doc.blocks]
    assert "Short surveys sent within an hour get three times the replies." in texts
    assert "Ask one question." in texts
    assert all("var x" not in t for t in texts)


def test_pdf_paragraphs(tmp_path: Path) -> None:
    path = write_pdf(tmp_path / "r.pdf", "Install windows", ["Customers asked for two-hour slots.", LONG])
    doc = load_document(path)
    joined = " ".join(b.text for b in doc.blocks)
    assert "Customers asked for two-hour slots." in joined
    assert "Sentence number 39 says something" in joined


def test_docx_headings(tmp_path: Path) -> None:
    path = write_docx(tmp_path / "r.docx", "Mystery shopping", {"What staff found": ["Staff waited 40 minutes."]})
    doc = load_document(path)
    assert doc.title == "Mystery shopping"
    assert doc.blocks[0].headings == ("What staff found",)
    assert doc.blocks[0].text == "Staff waited 40 minutes."


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("empty.md", b"", "empty"),
        ("blank.txt", b"   \n\n", "empty"),
        ("broken.pdf", b"%PDF-1.4 this is not really a pdf", "PDF"),
        ("broken.docx", b"not a zip file", "DOCX"),
        ("sheet.xlsx", b"PK\x03\x04", "unknown file type '.xlsx'"),
    ],
)
def test_unreadable_inputs_say_why(tmp_path: Path, name: str, content: bytes, reason: str) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(UnreadableInput, match=reason.replace("(", r"\(").replace(".", r"\.")):
        load_document(path)


def test_chunks_follow_structure_and_stay_small(tmp_path: Path) -> None:
    path = tmp_path / "long.md"
    path.write_text(f"# T\n\n## One\n\n{LONG}\n\n## Two\n\nA short closing paragraph.\n")
    passages = chunk_blocks(load_document(path).blocks)
    assert all(len(p.text) <= MAX_CHARS + 200 for p in passages)
    assert passages[-1].heading == "Two" and passages[-1].text == "A short closing paragraph."
    assert {p.heading for p in passages[:-1]} == {"One"}
    # Nothing lost: every sentence is in exactly one passage.
    assert sum(p.text.count("Sentence number") for p in passages) == 40
