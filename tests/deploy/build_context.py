"""What `docker build` would read, worked out without an engine: the Dockerfile's instructions per stage and
the build context that .dockerignore lets through. The deploy tests use it to check the Dockerfile and to
repeat its install steps into a fresh virtual environment."""

from __future__ import annotations

import re
import shutil
from dataclasses import dataclass
from functools import cache
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
DOCKERFILE = REPO / "Dockerfile"
DOCKERIGNORE = REPO / ".dockerignore"


@dataclass(frozen=True)
class Instruction:
    stage: str  # the stage's name (FROM … AS name), or its index when unnamed
    keyword: str  # upper case: FROM, RUN, COPY …
    args: str  # the rest of the instruction, continuation lines joined
    line: int  # where it starts in the Dockerfile


def instructions(path: Path = DOCKERFILE) -> list[Instruction]:
    found: list[Instruction] = []
    stage, stages = "", 0
    pending, start = "", 0
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = raw.strip()
        if not pending and (not line or line.startswith("#")):
            continue
        if pending and line.startswith("#"):  # comment lines inside a continued instruction are dropped
            continue
        if not pending:
            start = number
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        text = (pending + line).strip()
        pending = ""
        keyword, _, args = text.partition(" ")
        keyword = keyword.upper()
        if keyword == "FROM":
            name = re.search(r"\s+AS\s+(\S+)\s*$", args, flags=re.IGNORECASE)
            stage = name.group(1) if name else str(stages)
            stages += 1
        found.append(Instruction(stage=stage, keyword=keyword, args=" ".join(args.split()), line=start))
    return found


def copy_sources(stage: str | None = None) -> list[tuple[str, str]]:
    """(source, destination) of every COPY from the build context (not --from another stage)."""
    pairs: list[tuple[str, str]] = []
    for instruction in instructions():
        if instruction.keyword != "COPY" or (stage is not None and instruction.stage != stage):
            continue
        parts = instruction.args.split()
        if any(part.startswith("--from") for part in parts):
            continue
        parts = [part for part in parts if not part.startswith("--")]
        *sources, destination = parts
        pairs.extend((source, destination) for source in sources)
    return pairs


@cache
def _ignore_patterns() -> tuple[tuple[bool, re.Pattern[str]], ...]:
    """.dockerignore as (is_exception, regex) in file order; Docker lets the last match decide."""
    patterns: list[tuple[bool, re.Pattern[str]]] = []
    for raw in DOCKERIGNORE.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        exception = line.startswith("!")
        pattern = line.lstrip("!").strip().strip("/")
        regex = ""
        index = 0
        while index < len(pattern):
            if pattern.startswith("**/", index):
                regex, index = regex + "(?:.*/)?", index + 3
            elif pattern.startswith("**", index):
                regex, index = regex + ".*", index + 2
            elif pattern[index] == "*":
                regex, index = regex + "[^/]*", index + 1
            elif pattern[index] == "?":
                regex, index = regex + "[^/]", index + 1
            else:
                regex, index = regex + re.escape(pattern[index]), index + 1
        patterns.append((exception, re.compile(regex)))
    return tuple(patterns)


def is_ignored(relative: str) -> bool:
    """Would .dockerignore keep this path (relative to the repo, / separated) out of the build context?

    A pattern matches a path or any folder above it, as in Docker's own matcher.
    """
    parts = relative.strip("/").split("/")
    candidates = ["/".join(parts[: n + 1]) for n in range(len(parts))]
    ignored = False
    for exception, regex in _ignore_patterns():
        if any(regex.fullmatch(candidate) for candidate in candidates):
            ignored = not exception
    return ignored


def context_files(source: str) -> list[Path]:
    """The files under a COPY source that the build context holds."""
    root = REPO / source
    files = [root] if root.is_file() else sorted(p for p in root.rglob("*") if p.is_file())
    return [p for p in files if not is_ignored(p.relative_to(REPO).as_posix())]


def materialise(stage: str, target: Path) -> None:
    """Lay out what the stage's COPY instructions put under its WORKDIR, as the engine would."""
    for source, destination in copy_sources(stage):
        into = target / destination.removeprefix("./").removeprefix("/src/").removeprefix("/src")
        for path in context_files(source):
            relative = path.relative_to(REPO / source) if (REPO / source).is_dir() else Path(path.name)
            final = into / relative if (destination.endswith("/") or (REPO / source).is_dir()) else into
            final.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, final)
