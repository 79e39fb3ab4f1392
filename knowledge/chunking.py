"""Cutting documents into passages that read on their own.

Passages follow the document's structure: they never cross a heading, short paragraphs are joined
with their neighbours, long ones are cut at sentence ends. Small passages keep retrieval focused:
an answer is judged on the first few thousand characters returned, so a page-sized chunk wastes it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from knowledge.documents import Block

TARGET_CHARS = 650
MAX_CHARS = 900
MIN_CHARS = 150

_SENTENCE_END = re.compile(r"(?<=[.!?…])[\"”’)]*\s+(?=[\"“‘(]?[A-Z0-9])")
# The same where the writer does not capitalise ("i called them. they said…"): any letter may open a sentence.
_SENTENCE_END_ANY_CASE = re.compile(r"(?<=[.!?…])[\"”’)]*\s+(?=[\"“‘(]?[A-Za-z0-9])")
_LOWERCASE_OPENING = re.compile(r"[.!?…][\"”’)]*\s+[\"“‘(]?[a-z]")
# Full stops that end no sentence: a title before a name ("Ms. Kimberly Clark"), "e.g.", "vs.", and "No."
# or a month before a number ("No. 3", "Feb. 2").
_TITLE_STOP = re.compile(r"(?:^|[\s(\"“‘])(?:Mr|Mrs|Ms|Dr|Prof|St|Mt|Sr|Jr|vs|cf|e\.g|i\.e|E\.g|I\.e)\.$")
_NUMBER_STOP = re.compile(r"(?:^|[\s(])(?:No|Nos|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)\.$")


_LIST_ITEM = re.compile(r"\s*(?:[-*•]|\d+[.)])\s")
# "Off-culture:", "Don't:": at most three words, as the brief reads a list's label (grounded_writer.LABEL_WORDS).
_LIST_LABEL = re.compile(r"[A-Z][\w'’-]*(?: [\w'’-]+){0,2}:")


@dataclass
class Passage:
    text: str
    heading: str
    position: int


def split_sentences(text: str) -> list[str]:
    """The sentences of `text`, each with its closing quotation marks and brackets: 'He said "no."'."""
    sentences: list[str] = []
    start = 0
    for end in [*sentence_ends(text), len(text)]:
        if sentence := text[start:end].strip():
            sentences.append(sentence)
        start = end
    return sentences


def sentence_ends(text: str) -> list[int]:
    """Where each sentence of `text` ends but the last, closing quotation marks and brackets included,
    so `text[:end]` is the exact opening of the text up to a whole sentence."""
    capitalised = len(_SENTENCE_END.findall(text))
    pattern = _SENTENCE_END_ANY_CASE if len(_LOWERCASE_OPENING.findall(text)) > max(capitalised, 1) else _SENTENCE_END
    ends: list[int] = []
    for match in pattern.finditer(text):
        before = text[: match.start()]
        if _TITLE_STOP.search(before[-8:]) or (_NUMBER_STOP.search(before[-8:]) and text[match.end():][:1].isdigit()):
            continue
        ends.append(match.start() + len(match.group().rstrip()))
    return ends


def _cut_long(text: str) -> list[str]:
    """Cut a paragraph longer than MAX_CHARS at sentence ends into pieces near TARGET_CHARS."""
    if len(text) <= MAX_CHARS:
        return [text]
    pieces: list[str] = []
    current = ""
    for sentence in split_sentences(text):
        while len(sentence) > MAX_CHARS:  # a run-on "sentence": cut at a word boundary
            cut = sentence.rfind(" ", 0, TARGET_CHARS)
            cut = cut if cut > 0 else TARGET_CHARS
            if current:
                pieces.append(current)
                current = ""
            pieces.append(sentence[:cut].strip())
            sentence = sentence[cut:].strip()
        if current and len(current) + 1 + len(sentence) > TARGET_CHARS:
            pieces.append(current)
            current = sentence
        else:
            current = f"{current} {sentence}".strip()
    if current:
        # A short tail reads better joined to the piece before it.
        if pieces and len(current) < MIN_CHARS and len(pieces[-1]) + len(current) < MAX_CHARS + MIN_CHARS:
            pieces[-1] = f"{pieces[-1]} {current}"
        else:
            pieces.append(current)
    return pieces


def chunk_blocks(blocks: list[Block], *, joiner: str = "\n\n") -> list[Passage]:
    """Group blocks into passages under the same heading path. A passage that opens inside a list under a
    short label ("Off-culture:") starts with that label again: its items had been quoted as what the
    organisation stands for."""
    passages: list[Passage] = []
    current: list[str] = []
    current_heading: tuple[str, ...] | None = None
    label = ""  # the short label the list being read sits under

    def flush() -> None:
        if current:
            text = joiner.join(current).strip()
            heading = " › ".join(current_heading or ())
            passages.append(Passage(text=text, heading=heading, position=len(passages)))
            current.clear()

    for block in blocks:
        if block.headings != current_heading:
            flush()
            current_heading = block.headings
            label = ""
        for piece in _cut_long(block.text.strip()):
            item = bool(_LIST_ITEM.match(piece))
            size = sum(len(c) + len(joiner) for c in current)
            if current and size >= MIN_CHARS and size + len(piece) > TARGET_CHARS:
                # A label just read goes with its first item rather than close the passage before it.
                carried = current.pop() if item and label and current[-1] == label and len(current) > 1 else ""
                flush()
                if item and label:
                    current.append(carried or label)
            current.append(piece)
            if not item:
                label = piece if _LIST_LABEL.fullmatch(piece) else ""
    flush()
    return passages
