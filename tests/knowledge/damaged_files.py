"""Damaged and mislabelled documents, made by the tests: what people really drop into a knowledge folder."""

from __future__ import annotations

import random
import zipfile
from pathlib import Path

from tests.conftest import write_docx, write_pdf


def zip_renamed_docx(path: Path) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("notes/readme.txt", "Meeting notes, zipped.")
        archive.writestr("figures.csv", "month,calls\n1,200\n")
    return path


def docx_with_broken_xml(path: Path) -> Path:
    """A zip laid out like a Word file whose parts are not XML (a failed save, a bad converter)."""
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("[Content_Types].xml", "not xml at all")
        archive.writestr("word/document.xml", "<w:document")
    return path


def truncated_pdf(path: Path) -> Path:
    write_pdf(path, "Waiting times", ["Customers waited too long for a callback."] * 20)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    return path


def truncated_docx(path: Path) -> Path:
    write_docx(path, "Waiting times", {"Findings": ["Customers waited too long for a callback."]})
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    return path


def random_bytes(path: Path, *, seed: int = 7) -> Path:
    path.write_bytes(random.Random(seed).randbytes(3000))
    return path


DAMAGED = {
    "archive.docx": zip_renamed_docx,
    "broken-xml.docx": docx_with_broken_xml,
    "cut-short.docx": truncated_docx,
    "noise.docx": random_bytes,
    "cut-short.pdf": truncated_pdf,
    "noise.pdf": random_bytes,
}
