"""Reading documents (Markdown, text, HTML, PDF, DOCX) into headed blocks of text.

A loader keeps the document's structure — headings and paragraphs — so that chunking can cut
along it. Anything that cannot be read raises `UnreadableInput` with a reason a person can act on.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

DOCUMENT_SUFFIXES: tuple[str, ...] = (".md", ".markdown", ".txt", ".html", ".htm", ".pdf", ".docx")

_DATE_LINE = re.compile(r"^\s*\**(date|dated|published)\**\s*:\s*\**\s*(\d{4}-\d{2}-\d{2})", re.IGNORECASE)
_HEADER_FIELD = re.compile(r"^\s*\**(customer|customer id|channel|date)\**\s*:\s*\**\s*(.+?)\s*$", re.IGNORECASE)
_LIST_ITEM = re.compile(r"^\s{0,3}(?:[-*+]|\d+[.)])\s+")
_MD_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")


class UnreadableInput(Exception):
    """The input cannot be used; the message says why and, where possible, what to do."""

    def __init__(self, reason: str, *, line: int | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.line = line


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
    if not doc.title:
        doc.title = path.stem.replace("-", " ").replace("_", " ").strip().capitalize()
    if not any(b.text.strip() for b in doc.blocks):
        raise UnreadableInput("no text found: the file is empty or holds only images/markup")
    return doc


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
    """Pull `Date:` / `Customer:` / `Channel:` lines from the first lines into metadata."""
    kept: list[str] = []
    for index, line in enumerate(lines):
        if index < 12:
            date = _DATE_LINE.match(line)
            if date and not doc.date:
                doc.date = date.group(2)
            header = _HEADER_FIELD.match(line)
            if header:
                name = header.group(1).lower().replace(" id", "")
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


def _looks_like_heading(paragraph: str) -> bool:
    line = paragraph.strip()
    return (
        "\n" not in line and 0 < len(line) <= 90 and not line.endswith((".", ",", ";", ":")) and len(line.split()) <= 14
    )


def _from_plain_text(text: str, *, line_blocks: bool) -> LoadedDocument:
    doc = LoadedDocument(title="", blocks=[])
    lines = _take_header_fields(text.splitlines(), doc)
    if line_blocks:
        doc.blocks = [Block(line.strip()) for line in lines if line.strip()]
        return doc
    paragraphs = [p.strip() for p in re.split(r"\n\s*\n", "\n".join(lines)) if p.strip()]
    heading: tuple[str, ...] = ()
    for index, paragraph in enumerate(paragraphs):
        if _looks_like_heading(paragraph):
            if index == 0 and not doc.title:
                doc.title = paragraph
            else:
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
    from pypdf.errors import PdfReadError

    if path.stat().st_size == 0:
        raise UnreadableInput("the file is empty")
    try:
        reader = PdfReader(str(path))
        if reader.is_encrypted:
            raise UnreadableInput("the PDF is encrypted; export an unprotected copy")
        pages = [page.extract_text() or "" for page in reader.pages]
    except UnreadableInput:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError, OSError) as exc:
        raise UnreadableInput(f"could not read the PDF ({type(exc).__name__}); is it a valid PDF?") from exc
    text = "\n\n".join(pages)
    if not text.strip():
        raise UnreadableInput("the PDF has no extractable text (scanned?); run OCR first")
    return _from_plain_text(_reflow_pdf_lines(text), line_blocks=False)


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
        current.append(line)
        if line.endswith((".", "?", "!", '"', "”")) and len(line) < 60:
            out.append(" ".join(current))
            current = []
    if current:
        out.append(" ".join(current))
    return "\n\n".join(out)


def _from_docx(path: Path) -> LoadedDocument:
    import zipfile

    import docx
    from docx.opc.exceptions import PackageNotFoundError

    if path.stat().st_size == 0:
        raise UnreadableInput("the file is empty")
    try:
        document = docx.Document(str(path))
    except (zipfile.BadZipFile, PackageNotFoundError, KeyError, ValueError) as exc:
        raise UnreadableInput(f"could not read the DOCX ({type(exc).__name__}); is it a Word file?") from exc
    doc = LoadedDocument(title=(document.core_properties.title or "").strip(), blocks=[])
    headings: list[tuple[int, str]] = []
    for paragraph in document.paragraphs:
        content = " ".join(paragraph.text.split())
        if not content:
            continue
        style = (paragraph.style.name if paragraph.style is not None else "") or ""
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
    return doc
