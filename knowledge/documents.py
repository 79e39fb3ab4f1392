"""Reading documents (Markdown, text, HTML, PDF, DOCX) into headed blocks of text.

A loader keeps the document's structure — headings and paragraphs — so that chunking can cut
along it. Anything that cannot be read raises `UnreadableInput` with a reason a person can act on.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from records.csv_text import UnreadableInput

__all__ = ["UnreadableInput", "load_document"]

if TYPE_CHECKING:
    from pypdf import PdfReader

DOCUMENT_SUFFIXES: tuple[str, ...] = (".md", ".markdown", ".txt", ".html", ".htm", ".pdf", ".docx")

_DATE_LINE = re.compile(r"^\s*\**(date|dated|published)\**\s*:\s*\**\s*(\d{4}-\d{2}-\d{2})", re.IGNORECASE)
_HEADER_FIELD = re.compile(r"^\s*\**(customer|customer id|channel|date)\**\s*:\s*\**\s*(.+?)\s*$", re.IGNORECASE)
_LIST_ITEM = re.compile(r"^\s{0,3}(?:[-*+]|\d+[.)])\s+")
_MD_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
TITLE_MAX_CHARS = 120
TITLE_SEARCH_PARAGRAPHS = 3  # a title may follow a contact line or a note about where the text appeared


@dataclass
class Block:
    """A paragraph (or list, or transcript turn) under a heading path."""

    text: str
    headings: tuple[str, ...] = ()


@dataclass
class LoadedDocument:
    title: str
    blocks: list[Block]
    date: str = ""
    # Header fields a transcript declares (customer id, channel).
    fields: dict[str, str] = field(default_factory=dict)


def load_document(path: Path, *, line_blocks: bool = False) -> LoadedDocument:
    """Load one file by its suffix. `line_blocks` treats every line as a block (transcripts)."""
    suffix = path.suffix.lower()
    if suffix in (".md", ".markdown"):
        doc = _from_markdown(_read_text(path), line_blocks=line_blocks)
    elif suffix == ".txt":
        doc = _from_plain_text(_read_text(path), line_blocks=line_blocks)
    elif suffix in (".html", ".htm"):
        doc = _from_html(_read_text(path))
    elif suffix == ".pdf":
        doc = _from_pdf(path)
    elif suffix == ".docx":
        doc = _from_docx(path)
    else:
        raise UnreadableInput(
            f"unknown file type '{suffix or path.name}'; supported: {', '.join(DOCUMENT_SUFFIXES)}, "
            ".csv and .jsonl (feedback)"
        )
    if not any(b.text.strip() for b in doc.blocks):
        raise UnreadableInput("no text found: the file is empty or holds only images/markup")
    doc.title = " ".join(doc.title.split()) or _title_from_text(doc.blocks)
    return doc


def _title_from_text(blocks: list[Block]) -> str:
    """For a document that declares no title: its first heading, else its first sentence."""
    for block in blocks:
        if block.headings:
            return block.headings[0]
    return _first_sentence(blocks[0].text)


def _read_text(path: Path) -> str:
    raw = path.read_bytes()
    if not raw.strip():
        raise UnreadableInput("the file is empty")
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise UnreadableInput("not readable as text (neither UTF-8 nor Windows-1252); save it as UTF-8")


def _take_header_fields(lines: list[str], doc: LoadedDocument) -> list[str]:
    """Pull `Date:` / `Customer:` / `Channel:` lines from the document's header into metadata.

    The header is the first lines, up to the blank line after its fields, and declares each field
    once: a transcript's early turns ("CUSTOMER: I want to leave.") are what was said, not fields."""
    kept: list[str] = []
    taken: set[str] = set()
    header_ended = False
    for index, line in enumerate(lines):
        header_ended = header_ended or index >= 12 or bool(taken and not line.strip())
        if not header_ended:
            date = _DATE_LINE.match(line)
            header = _HEADER_FIELD.match(line)
            name = header.group(1).lower().replace(" id", "") if header else ""
            if date and not doc.date and "date" not in taken:
                doc.date = date.group(2)
            if header and name not in taken:
                taken.add(name)
                value = header.group(2).strip().strip("*").strip()
                if name == "customer":
                    match = re.search(r"\b([A-Z]{1,3}\d{3,})\b", value)
                    if match:
                        doc.fields["customer_id"] = match.group(1)
                elif name == "channel":
                    doc.fields["channel"] = value.lower()
                continue
        kept.append(line)
    return kept


def _from_markdown(text: str, *, line_blocks: bool) -> LoadedDocument:
    doc = LoadedDocument(title="", blocks=[])
    lines = _take_header_fields(text.splitlines(), doc)
    headings: list[tuple[int, str]] = []
    paragraph: list[str] = []
    in_fence = False

    def flush() -> None:
        if paragraph:
            body = "\n".join(paragraph).strip()
            if body:
                doc.blocks.append(Block(body, tuple(h for _, h in headings)))
            paragraph.clear()

    for line in lines:
        if line.strip().startswith("```"):
            in_fence = not in_fence
        heading = None if in_fence else _MD_HEADING.match(line)
        if heading:
            flush()
            level, title = len(heading.group(1)), _strip_md(heading.group(2))
            if level == 1 and not doc.title:
                doc.title = title
                headings.clear()
                continue
            while headings and headings[-1][0] >= level:
                headings.pop()
            headings.append((level, title))
        elif not line.strip() or line.strip() in ("---", "***"):
            flush()
        else:
            if _LIST_ITEM.match(line):
                flush()  # each list item is a block: chunking joins short ones, a long one stands alone
            paragraph.append(_strip_md(line.rstrip()))
            if line_blocks:
                flush()
    flush()
    return doc


def _strip_md(text: str) -> str:
    # Keep the words, drop emphasis markers that would clutter quotes.
    return re.sub(r"(\*\*|__)(.+?)\1", r"\2", text)


# "– Garrett Hardin, Filters Against Folly": the source of a quotation, not the start of a section.
_ATTRIBUTION = re.compile(r"^[–—―-]\s*\w")
# "Written by Paul Weston": who wrote the text, neither a section nor a passage of it.
_BYLINE = re.compile(r"^(?i:(?:written|posted|published)\s+)?(?i:by)\s+[A-Z][\w'.-]+(?:\s+[A-Z][\w'.-]+){1,3}$")


# "September 11, 2017", "11 Sept 2017", "2017-09-11" alone on a line: when the text was published, not
# a section. It becomes the document's date when none is declared.
_MONTHS = ("january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
           "november", "december")
_DATELINE = re.compile(
    r"^(?:(?:mon|tue|wed|thu|fri|sat|sun)[a-z]*,?\s+)?(?:"
    r"(?P<month1>[a-z]{3,9})\.?\s+(?P<day1>\d{1,2})(?:st|nd|rd|th)?,?\s+(?P<year1>\d{4})|"
    r"(?P<day2>\d{1,2})(?:st|nd|rd|th)?\s+(?P<month2>[a-z]{3,9})\.?,?\s+(?P<year2>\d{4})|"
    r"(?P<iso>\d{4}-\d{2}-\d{2}))$",
    re.IGNORECASE,
)
# Where a saved web page's article ends and its comment form, reader comments or links to other
# articles begin: what follows is not the author's text, so it is not the document's.
_PAGE_END = re.compile(
    r"^(?:\d+\s+comments?|(?:submit|leave|post|add) an? (?:comment|reply)|leave a reply|"
    r"you (?:may|might) also like\W*|related (?:posts|articles|reading)|comments are closed\.?)$",
    re.IGNORECASE,
)
# "LinkedIn: paulbweston", "Email: sales@example.com": a contact field, not the start of a section.
_CONTACT_FIELD = re.compile(r"^\w[\w .-]{0,24}:\s*(?:\S*(?:@|://)\S*|[^\sA-Z]+|\+?[\d(][\d\s()-]{5,})$")


def _looks_like_heading(paragraph: str) -> bool:
    """A short line that ends no sentence; a longer one too when it is in Title Case, as a blog post's
    title is ("Marketing and Customer Experience: 6 Core Emotional Needs That Shape Human Behaviour…")."""
    line = paragraph.strip()
    short = len(line) <= 90 and len(line.split()) <= 14
    titled = len(line) <= TITLE_MAX_CHARS and len(line.split()) <= 20 and _title_case(line)
    return (
        "\n" not in line and 0 < len(line) and (short or titled) and not line.endswith((".", ",", ";", ":"))
        and not _ATTRIBUTION.match(line) and "@" not in line and "://" not in line
    )


def _title_case(line: str) -> bool:
    """Most of the line's longer words start with a capital."""
    words = [w for w in re.findall(r"[A-Za-z][A-Za-z’']+", line) if len(w) >= 4]
    return len(words) >= 3 and sum(w[0].isupper() for w in words) >= 0.8 * len(words)


def _dateline(paragraph: str) -> str | None:
    """The ISO date a line that is only a date names ("September 11, 2017"), else None."""
    found = _DATELINE.match(" ".join(paragraph.split()))
    if not found:
        return None
    if found["iso"]:
        return found["iso"]
    month_name = (found["month1"] or found["month2"]).lower()
    month = next((i for i, name in enumerate(_MONTHS, start=1) if name.startswith(month_name)), 0)
    day, year = int(found["day1"] or found["day2"]), int(found["year1"] or found["year2"])
    if not month or not 1 <= day <= 31:
        return None
    return f"{year:04d}-{month:02d}-{day:02d}"


def _looks_like_title(line: str) -> bool:
    """A line that can name a document: short, not a sentence ending in a full stop, words rather than a
    contact line or an address."""
    line = line.strip()
    return (
        "\n" not in line
        and 0 < len(line) <= TITLE_MAX_CHARS
        and not line.endswith((".", ",", ";", ":"))
        and "@" not in line
        and "://" not in line
        and sum(word.isalpha() for word in re.findall(r"\w+", line)) >= 2
    )


def _first_sentence(text: str) -> str:
    """The opening of the text, cut at a word boundary: a title when the text has no line that is one."""
    sentence = re.split(r"(?<=[.!?])\s", " ".join(text.split()), maxsplit=1)[0]
    if len(sentence) <= 80:
        return sentence
    return sentence[:80].rsplit(" ", 1)[0].rstrip(",;:") + "…"


def _from_plain_text(text: str, *, line_blocks: bool, title: str = "") -> LoadedDocument:
    """Paragraphs separated by blank lines; short lines are headings. Without a `title`, the first line
    that looks like one (within the first paragraphs) names the document, else its first sentence."""
    doc = LoadedDocument(title=title, blocks=[])
    lines = _take_header_fields(text.splitlines(), doc)
    if line_blocks:
        doc.blocks = [Block(line.strip()) for line in lines if line.strip()]
        return doc
    paragraphs = [p.strip() for p in re.split(r"\n\s*\n", "\n".join(lines)) if p.strip()]
    if not doc.title and paragraphs:
        first_line, _, rest = paragraphs[0].partition("\n")
        # A title line set directly above the text, when what follows starts a new sentence.
        if rest.strip()[:1].isupper() and _looks_like_title(first_line):
            doc.title = " ".join(first_line.split())
            paragraphs[0] = rest.strip()
    heading: tuple[str, ...] = ()
    for index, paragraph in enumerate(paragraphs):
        if _PAGE_END.match(" ".join(paragraph.split())):
            break
        if (date := _dateline(paragraph)) is not None:
            doc.date = doc.date or date
            continue
        if _BYLINE.match(" ".join(paragraph.split())):
            continue
        if not doc.title and index < TITLE_SEARCH_PARAGRAPHS and _looks_like_title(paragraph):
            doc.title = " ".join(paragraph.split())
            continue
        if _looks_like_heading(paragraph) and not _CONTACT_FIELD.match(paragraph):
            heading = (paragraph,)
            continue
        doc.blocks.append(Block(" ".join(paragraph.split()), heading))
    return doc


def _from_html(text: str) -> LoadedDocument:
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(text, "html.parser")
    for tag in soup(["script", "style", "nav", "footer", "noscript"]):
        tag.decompose()
    doc = LoadedDocument(title="", blocks=[])
    if soup.title and soup.title.string:
        doc.title = soup.title.string.strip()
    headings: list[tuple[int, str]] = []
    for element in soup.find_all(["h1", "h2", "h3", "h4", "h5", "h6", "p", "li", "blockquote", "td", "pre"]):
        content = " ".join(element.get_text(" ").split())
        if not content:
            continue
        if element.name and element.name[0] == "h" and element.name[1:].isdigit():
            level = int(element.name[1:])
            if level == 1 and not doc.title:
                doc.title = content
                continue
            while headings and headings[-1][0] >= level:
                headings.pop()
            headings.append((level, content))
        elif element.find_parent(["li", "blockquote", "td"]) is None or element.name in ("li",):
            doc.blocks.append(Block(content, tuple(h for _, h in headings)))
    date = _DATE_LINE.search(soup.get_text("\n"))
    if date:
        doc.date = date.group(2)
    return doc


def _from_pdf(path: Path) -> LoadedDocument:
    from pypdf import PdfReader

    if path.stat().st_size == 0:
        raise UnreadableInput("the file is empty")
    with _damaged_file("PDF", "export it again as PDF, or remove it from the folder", logger="pypdf"):
        reader = PdfReader(str(path))
        if reader.is_encrypted:
            raise UnreadableInput("the PDF is encrypted; export an unprotected copy")
        pages = [page.extract_text() or "" for page in reader.pages]
        title = _pdf_metadata_title(reader)
    text = "\n\n".join(pages)
    if not text.strip():
        raise UnreadableInput("the PDF has no extractable text (scanned?); run OCR first")
    if not title:
        # Without a metadata title, the first line names the document when it looks like a title.
        first_line, _, rest = text.strip().partition("\n")
        if _looks_like_title(first_line) and rest.strip():
            title, text = " ".join(first_line.split()), rest
    return _from_plain_text(_reflow_pdf_lines(text), line_blocks=False, title=title)


def _pdf_metadata_title(reader: PdfReader) -> str:
    metadata = reader.metadata
    title = " ".join(str(metadata.title or "").split()) if metadata is not None else ""
    # Tools that fill the field with a placeholder say nothing about the document.
    return "" if title.lower() in ("", "untitled", "untitled document") else title


@contextmanager
def _damaged_file(kind: str, advice: str, *, logger: str = "") -> Iterator[None]:
    """Whatever a parser raises on a damaged file (it can fail anywhere, with any error) becomes one
    UnreadableInput saying what to do; the parser's own warnings about the damage are silenced."""
    quiet = logging.getLogger(logger) if logger else None
    level = quiet.level if quiet else logging.NOTSET
    if quiet:
        quiet.setLevel(logging.CRITICAL)
    try:
        yield
    except UnreadableInput:
        raise
    except Exception as exc:
        raise UnreadableInput(
            f"could not read the {kind} ({type(exc).__name__}): it is damaged or not a {kind}; {advice}"
        ) from exc
    finally:
        if quiet:
            quiet.setLevel(level)


_SENTENCE_END = (".", "?", "!", '"', "”")


def _reflow_pdf_lines(text: str) -> str:
    """PDF text comes as broken lines; rebuild paragraphs: a short line that does not end a sentence
    stands alone (a heading), otherwise lines run on until a line ends a sentence and the next is
    short or a heading."""
    out: list[str] = []
    current: list[str] = []
    for raw in text.splitlines():
        line = raw.strip()
        if not line:
            if current:
                out.append(" ".join(current))
                current = []
            continue
        if _looks_like_heading(line) and not current and len(line) < 70:
            out.append(line)
            continue
        if current and current[-1].endswith(_SENTENCE_END) and _looks_like_heading(line) and len(line) < 50 \
                and line[:1].isupper():
            # After a sentence that ends its line, a short capitalised line without a full stop heads what
            # follows: a wrapped line of running text fills the width, so only a paragraph's last line is short.
            out.extend([" ".join(current), line])
            current = []
            continue
        current.append(line)
        if line.endswith(_SENTENCE_END) and len(line) < 60:
            out.append(" ".join(current))
            current = []
    if current:
        out.append(" ".join(current))
    return "\n\n".join(out)


def _from_docx(path: Path) -> LoadedDocument:
    import zipfile

    import docx

    if path.stat().st_size == 0:
        raise UnreadableInput("the file is empty")
    with _damaged_file("DOCX", "open it in Word and save it again as .docx, or remove it from the folder"):
        if zipfile.is_zipfile(path):
            with zipfile.ZipFile(path) as archive:
                if "word/document.xml" not in archive.namelist():
                    raise UnreadableInput(
                        "a zip archive, not a Word document (no word/document.xml inside); unzip it and ingest "
                        "what it holds, or save the document from Word as .docx"
                    )
        document = docx.Document(str(path))
        title = (document.core_properties.title or "").strip()
        paragraphs = [
            (" ".join(p.text.split()), (p.style.name if p.style is not None else "") or "") for p in document.paragraphs
        ]
    doc = LoadedDocument(title=title, blocks=[])
    headings: list[tuple[int, str]] = []
    for content, style in paragraphs:
        if not content:
            continue
        if style == "Title":
            doc.title = doc.title or content
            continue
        match = re.match(r"Heading (\d)", style)
        if match:
            level = int(match.group(1))
            if level == 1 and not doc.title:
                doc.title = content
                continue
            while headings and headings[-1][0] >= level:
                headings.pop()
            headings.append((level, content))
            continue
        date = _DATE_LINE.match(content)
        if date and not doc.date:
            doc.date = date.group(2)
            continue
        doc.blocks.append(Block(content, tuple(h for _, h in headings)))
    if not doc.title and len(doc.blocks) > 1 and not doc.blocks[0].headings and _looks_like_title(doc.blocks[0].text):
        # A short first line in the body style: the title typed without the Title style.
        doc.title = doc.blocks.pop(0).text
    return doc
