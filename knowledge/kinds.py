"""The kinds of knowledge Advocate holds, and how a kind is told from a path."""

from __future__ import annotations

from pathlib import Path

KINDS: tuple[str, ...] = ("definition", "culture", "research", "feedback", "transcript")

# Folder names that imply a kind when a folder is walked without --kind.
_FOLDER_KINDS: dict[str, str] = {
    "definition": "definition",
    "definitions": "definition",
    "culture": "culture",
    "research": "research",
    "feedback": "feedback",
    "transcript": "transcript",
    "transcripts": "transcript",
}

VISIBILITIES: tuple[str, ...] = ("internal", "restricted")


def infer_kind(path: Path) -> str | None:
    """The kind named by the nearest enclosing folder, or None when no folder names one."""
    for part in reversed(path.parent.parts):
        kind = _FOLDER_KINDS.get(part.lower())
        if kind:
            return kind
    return None
