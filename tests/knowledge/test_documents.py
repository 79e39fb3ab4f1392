from pathlib import Path

import pytest

from knowledge.chunking import MAX_CHARS, chunk_blocks, split_sentences
from knowledge.documents import UnreadableInput, load_document
from tests.conftest import write_docx, write_pdf
from tests.knowledge.damaged_files import DAMAGED, zip_renamed_docx

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


def test_a_long_title_case_line_heads_a_new_post_but_a_long_sentence_does_not(tmp_path: Path) -> None:
    # A saved blog holding several posts: a later post's title is longer than a section heading.
    post = "Marketing and Customer Experience: 6 Core Emotional Needs That Shape Human Behaviour (Part 2 – Control)"
    aside = "I would love to get your feedback on what I have written here and on what you think of it so far?"
    path = tmp_path / "blog.txt"
    path.write_text(f"First post\n\nIts only paragraph.\n\n{post}\n\nThe need for control matters.\n\n"
                    f"{aside}\n\nThe end of the second post.\n", encoding="utf-8")
    doc = load_document(path)
    assert len(post) > 90 and len(aside) > 90
    assert [b.headings for b in doc.blocks] == [(), (post,), (post,), (post,)]
    assert doc.blocks[2].text == aside


def test_the_source_of_a_quotation_is_not_a_heading(tmp_path: Path) -> None:
    path = tmp_path / "article.txt"
    path.write_text(
        "A short title\n\nThe dark side of scores\n\n"
        "Every activity produces things that we want and things that we do not want.\n\n"
        "– Garrett Hardin, Filters Against Folly\n\nWhen a score becomes a target, people game it.\n",
        encoding="utf-8",
    )
    doc = load_document(path)
    assert [b.headings for b in doc.blocks] == [("The dark side of scores",)] * 3
    assert doc.blocks[1].text == "– Garrett Hardin, Filters Against Folly"


def test_contact_lines_are_not_headings(tmp_path: Path) -> None:
    path = tmp_path / "article.txt"
    path.write_text(
        "A short title\n\nAbout the author\n\nPaul writes about customer experience.\n\n"
        "LinkedIn: paulbweston\n\nPhone: +44 1234 567890\n\nEmail: paul@example.com\n\n"
        "He has worked with sales teams for twenty years.\n\nChapter 3: Pricing\n\nPrices rise in April.\n",
        encoding="utf-8",
    )
    doc = load_document(path)
    assert [b.headings for b in doc.blocks] == [("About the author",)] * 5 + [("Chapter 3: Pricing",)]
    assert doc.blocks[1].text == "LinkedIn: paulbweston"


def test_a_web_pages_byline_dateline_and_comment_form_are_not_its_text(tmp_path: Path) -> None:
    path = tmp_path / "article.txt"
    path.write_text(
        "+44 1234 567890 hello@example.com\n\nWhen are we customer centric?\n\nWritten by Dana Okafor\n\n"
        "September 11, 2017\n\nScores mean little without action.\n\nKeep promises\n\nCall back when you said.\n\n"
        "By the numbers\n\nNine in ten remember a missed callback.\n\n"
        "You may also like…\n\n0 Comments\n\nSubmit a Comment\n\nWe welcome your enquiry, call us today.\n",
        encoding="utf-8",
    )
    doc = load_document(path)
    assert doc.title == "When are we customer centric?"
    assert doc.date == "2017-09-11"
    assert [(b.headings, b.text) for b in doc.blocks] == [
        ((), "+44 1234 567890 hello@example.com"),  # a contact line is text, not the heading of what follows
        ((), "Scores mean little without action."),
        (("Keep promises",), "Call back when you said."),
        (("By the numbers",), "Nine in ten remember a missed callback."),
    ]


@pytest.mark.parametrize(
    ("line", "date"),
    [("September 11, 2017", "2017-09-11"), ("11 Sept 2017", "2017-09-11"), ("Monday, 3rd March 2025", "2025-03-03"),
     ("2026-01-19", "2026-01-19")],
)
def test_a_line_that_is_only_a_date_dates_the_document(tmp_path: Path, line: str, date: str) -> None:
    path = tmp_path / "article.txt"
    path.write_text(f"A short title\n\n{line}\n\nPrices rise in April.\n\nMay 2017 review\n\nLater text.\n",
                    encoding="utf-8")
    doc = load_document(path)
    assert doc.date == date
    assert [b.headings for b in doc.blocks] == [(), ("May 2017 review",)]


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


def test_a_passage_that_opens_inside_a_labelled_list_starts_with_its_label(tmp_path: Path) -> None:
    items = "\n".join(f"- Example {n} of something we would not want anyone to do to a customer, ever."
                      for n in range(12))
    path = tmp_path / "culture.md"
    path.write_text(f"# Culture\n\n## Plain and honest\n\nOn-culture:\n\n- Saying so.\n\nOff-culture:\n\n{items}\n")
    passages = chunk_blocks(load_document(path).blocks)
    assert len(passages) > 1
    assert all(p.text.startswith(("On-culture:", "Off-culture:")) for p in passages)
    # Each item once: only the label is repeated.
    assert sum(p.text.count("- Example") for p in passages) == 12


def test_a_label_read_just_before_a_passage_fills_goes_with_its_first_item(tmp_path: Path) -> None:
    opening = " ".join(["We keep our word to every customer, every time we make a promise."] * 9)
    item = "- Telling a customer that someone will call back when you know there is no one to do it, again and again."
    path = tmp_path / "culture.md"
    path.write_text(f"# Culture\n\n## Keep our word\n\n{opening}\n\nOff-culture:\n\n{item}\n")
    passages = chunk_blocks(load_document(path).blocks)
    assert [p.text.count("Off-culture:") for p in passages] == [0, 1]
    assert passages[1].text.startswith("Off-culture:") and passages[0].text.endswith("promise.")


def test_sentences_keep_their_closing_quotation_marks_and_brackets(tmp_path: Path) -> None:
    text = '"Exclusive offer for new customers!" Cool, how about one for us? He said "no." Then (later.) We left.'
    assert split_sentences(text) == [
        '"Exclusive offer for new customers!"', "Cool, how about one for us?", 'He said "no."', "Then (later.)",
        "We left.",
    ]
    # A long paragraph cut into passages keeps every character of its sentences, quotation marks included.
    paragraph = " ".join(f'Customer {n} wrote "the engineer never came, again." Nobody called back.' for n in range(30))
    path = tmp_path / "quotes.md"
    path.write_text(f"# T\n\n{paragraph}\n")
    passages = chunk_blocks(load_document(path).blocks)
    assert len(passages) > 1
    assert " ".join(p.text for p in passages) == paragraph


@pytest.mark.parametrize(("text", "sentences"), [
    # A title before a name ends no sentence: split there, a quote lost its subject and read as the
    # customer's own words ("Kimberly Clark, agreed that…").
    ("The supervisor on my account, Ms. Kimberly Clark, agreed it was a referral. Nothing came of it.",
     ["The supervisor on my account, Ms. Kimberly Clark, agreed it was a referral.", "Nothing came of it."]),
    ("Paid on Feb. 2 for unit No. 3, e.g. The Annex. Then the bill came again.",
     ["Paid on Feb. 2 for unit No. 3, e.g. The Annex.", "Then the bill came again."]),
    # "No." is a word of its own when no number follows it.
    ("Did they call back? No. I rang them twice.", ["Did they call back?", "No.", "I rang them twice."]),
    # A writer who never capitalises still writes sentences.
    ("i have been a customer for 15 months. during this time the service was spotty. the technician says it is fine.",
     ["i have been a customer for 15 months.", "during this time the service was spotty.",
      "the technician says it is fine."]),
    # One lowercase opening among capitalised sentences is not that writer.
    ("Prices rose by 3.5 percent. and then again. The letter came late.",
     ["Prices rose by 3.5 percent. and then again.", "The letter came late."]),
])
def test_sentences_end_where_the_writer_ended_them(text: str, sentences: list[str]) -> None:
    assert split_sentences(text) == sentences


@pytest.mark.parametrize("name", sorted(DAMAGED))
def test_damaged_documents_are_unreadable_input_saying_what_to_do(tmp_path: Path, name: str) -> None:
    path = DAMAGED[name](tmp_path / name)
    with pytest.raises(UnreadableInput) as raised:
        load_document(path)
    reason = raised.value.reason
    assert ("Word" in reason) if name.endswith(".docx") else ("PDF" in reason)
    assert "save" in reason or "export" in reason  # what to do about it


def test_a_zip_renamed_docx_is_named_for_what_it_is(tmp_path: Path) -> None:
    with pytest.raises(UnreadableInput, match="a zip archive, not a Word document"):
        load_document(zip_renamed_docx(tmp_path / "slides.docx"))


def test_plain_text_title_may_be_a_long_first_line(tmp_path: Path) -> None:
    title = "What sixteen months of complaints about missed engineer visits taught our field team about time"
    path = tmp_path / "002_7e2ecae3853b75e1.txt"
    path.write_text(f"{title}\n\nThe first paragraph says what the study found.\n", encoding="utf-8")
    doc = load_document(path)
    assert doc.title == title
    assert [b.text for b in doc.blocks] == ["The first paragraph says what the study found."]


def test_plain_text_title_skips_a_contact_line_and_a_sentence(tmp_path: Path) -> None:
    path = tmp_path / "004_3fbe6c2be10dc671.txt"
    path.write_text(
        "+44 (0) 20 7946 0000 hello@example.org\n\nHow do we tell a loyal customer from a trapped one?\n\n"
        "Body text follows.\n"
    )
    assert load_document(path).title == "How do we tell a loyal customer from a trapped one?"


def test_plain_text_title_line_directly_above_the_text(tmp_path: Path) -> None:
    path = tmp_path / "001_f60eea14f744c4ac.txt"
    path.write_text("Callbacks that arrive when promised\nMost customers remember the wait, not the fix.\n")
    doc = load_document(path)
    assert doc.title == "Callbacks that arrive when promised"
    assert [b.text for b in doc.blocks] == ["Most customers remember the wait, not the fix."]


def test_plain_text_without_a_title_line_takes_its_first_sentence(tmp_path: Path) -> None:
    path = tmp_path / "003_0f3aab40058ab3bc.txt"
    path.write_text("This note first ran in a trade weekly. It argues that product and service are one.\n")
    assert load_document(path).title == "This note first ran in a trade weekly."


def test_pdf_title_from_metadata_else_its_first_line(tmp_path: Path) -> None:
    from fpdf import FPDF

    def pdf(path: Path, *, metadata_title: str | None) -> Path:
        document = FPDF()
        document.add_page()
        if metadata_title:
            document.set_title(metadata_title)
        document.set_font("Helvetica", size=10)
        document.multi_cell(0, 6, "Why customers who phone us at weekends stay longer than customers who email us")
        document.ln(2)
        document.multi_cell(0, 6, "Weekend callers were asked why they stayed. " * 4)
        document.output(str(path))
        return path

    assert load_document(pdf(tmp_path / "a1.pdf", metadata_title="Weekend phone study")).title == "Weekend phone study"
    plain = load_document(pdf(tmp_path / "b2.pdf", metadata_title=None))
    assert plain.title == "Why customers who phone us at weekends stay longer than customers who email us"
    assert plain.blocks[0].text.startswith("Weekend callers were asked why they stayed.")


def test_docx_title_from_core_properties_else_first_paragraph(tmp_path: Path) -> None:
    import docx

    titled = docx.Document()
    titled.core_properties.title = "Branch closures review"
    titled.add_paragraph("Customers over seventy used the branch most.")
    titled.save(str(tmp_path / "x1.docx"))
    assert load_document(tmp_path / "x1.docx").title == "Branch closures review"

    untitled = docx.Document()
    untitled.add_paragraph("Branch closures and older customers")
    untitled.add_paragraph("Customers over seventy used the branch most.")
    untitled.save(str(tmp_path / "x2.docx"))
    doc = load_document(tmp_path / "x2.docx")
    assert doc.title == "Branch closures and older customers"
    assert [b.text for b in doc.blocks] == ["Customers over seventy used the branch most."]


def test_html_without_a_title_tag_takes_its_first_heading(tmp_path: Path) -> None:
    (tmp_path / "p1.html").write_text("<html><body><h2>Delivery slots</h2><p>Two-hour slots suit most.</p></body>")
    assert load_document(tmp_path / "p1.html").title == "Delivery slots"


SEEDS = Path(__file__).resolve().parents[2] / ".." / "shared" / "seeds"


@pytest.mark.skipif(not SEEDS.is_dir(), reason="the readings folder ../shared/seeds is not beside the repository")
def test_no_reading_is_titled_by_its_file_name() -> None:
    for path in sorted(SEEDS.glob("*.txt")):
        title = load_document(path).title
        assert title and path.stem not in title.replace(" ", "_"), (path.name, title)


def test_a_pdf_s_header_lines_keep_the_text_after_them() -> None:
    doc = load_document(Path(__file__).parents[2] / "knowledge" / "sample" / "research" / "installation-windows.pdf")
    assert doc.date == "2026-07-21"
    assert any("Visits analysed: 11,200" in b.text for b in doc.blocks), "a header field must not swallow text"


def test_a_pdf_heading_after_a_full_line_ending_a_sentence_heads_what_follows(tmp_path: Path) -> None:
    from fpdf import FPDF

    document = FPDF()
    document.add_page()
    document.set_font("Helvetica", size=10)
    # Text wrapped to the page width, its last sentence ending exactly at the end of a full line, then a
    # heading with no gap before it: only a line break separates them in the extracted text.
    ending = "Missed visits cluster on Mondays, when fault volumes jump and technicians are moved to repairs."
    for text in ("Visits were missed most in winter. " * 3 + ending, "What it costs customers",
                 "Most households took time off work to wait in, and a third of those lost pay for it. " * 2):
        document.multi_cell(0, 6, text, new_x="LMARGIN", new_y="NEXT")
    document.output(str(tmp_path / "w.pdf"))
    doc = load_document(tmp_path / "w.pdf")
    costs = next(b for b in doc.blocks if b.text.startswith("Most households took time off"))
    assert costs.headings[-1] == "What it costs customers"
    assert all("What it costs customers" not in b.text for b in doc.blocks)


@pytest.mark.parametrize("layout", ["txt", "md"])
def test_a_transcript_s_early_turns_are_what_was_said_not_header_fields(tmp_path: Path, layout: str) -> None:
    header = "Date: 2026-04-09\nChannel: phone\nCustomer: C00105 (household)\nStaff: Mark, Stay Team\n"
    turns = ("MARK: You're through to the Stay Team.\nCUSTOMER: I've more or less decided to leave.\n"
             "MARK: Can I ask why?\nCUSTOMER: Your letter. Another price rise.\n")
    if layout == "txt":
        (tmp_path / "call.txt").write_text("Call transcript: price rise\n" + header + "\n" + turns)
    else:
        (tmp_path / "call.md").write_text("# Call transcript: price rise\n\n" + header + "\n" + turns)
    doc = load_document(tmp_path / f"call.{layout}", line_blocks=True)
    assert (doc.date, doc.fields) == ("2026-04-09", {"channel": "phone", "customer_id": "C00105"})
    said = [b.text for b in doc.blocks]
    assert "CUSTOMER: I've more or less decided to leave." in said
    assert "CUSTOMER: Your letter. Another price rise." in said
    assert not any(text.startswith(("Date:", "Channel:", "Customer: C00105")) for text in said)
