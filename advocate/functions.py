"""Which function of the organisation a decision belongs to (prompts/functions.yaml)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import yaml


@dataclass(frozen=True)
class Function:
    id: str
    title: str
    words: tuple[str, ...]


@dataclass
class FunctionGuess:
    function: Function
    words: list[str]


def load_functions(path: Path) -> list[Function]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    try:
        return [
            Function(id=str(f["id"]), title=str(f["title"]), words=tuple(str(w).lower() for w in f["words"]))
            for f in data["functions"]
        ]
    except (TypeError, KeyError) as exc:
        raise ValueError(f"{path}: each function needs id, title and words ({exc})") from None


def guess_function(text: str, functions: list[Function]) -> FunctionGuess | None:
    """The function whose words the text uses most; None when it uses none."""
    lowered = text.lower()
    best: FunctionGuess | None = None
    for function in functions:
        found = [w for w in function.words if re.search(r"(?<![a-z0-9])" + re.escape(w) + r"(?![a-z0-9])", lowered)]
        if found and (best is None or len(found) > len(best.words)):
            best = FunctionGuess(function, found)
    return best
