"""Which function of the organisation a decision belongs to (prompts/functions.yaml, or the
organisation's own through ADVOCATE_FUNCTIONS)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import yaml

# An id is one word (it is typed in `/advocate advocates add @someone <function>`), at most 50 characters.
_FUNCTION_ID = re.compile(r"[a-z0-9][a-z0-9_-]{0,49}")
_FUNCTION_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9 &'_-]{0,49}")


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
    """The functions in a YAML file (`functions: [{id, title, words}]`); ValueError saying what is wrong."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ValueError(f"cannot read {path} ({exc.strerror or type(exc).__name__})") from None
    except yaml.YAMLError:
        raise ValueError(f"{path} is not valid YAML") from None
    try:
        functions = [
            Function(id=str(f["id"]).strip(), title=str(f["title"]).strip(),
                     words=tuple(_as_written(str(w)) for w in f["words"]))
            for f in data["functions"]
        ]
    except (TypeError, KeyError) as exc:
        raise ValueError(f"{path}: each function needs id, title and words ({exc})") from None
    _check(functions, where=str(path))
    return functions


def configured_functions(setting: str, *, packaged: Path) -> list[Function]:
    """The organisation's functions from the ADVOCATE_FUNCTIONS setting.

    - empty: the packaged file (service, sales, marketing, finance, product, operations, people, IT);
    - a path to a .yaml / .yml file: that file, in the packaged file's format (own words per function);
    - names, comma-separated (e.g. `service, sales, customer success`): those functions. A name the
      packaged file knows (by id or title) keeps its words; a new one is recognised by its own name.
    """
    value = setting.strip()
    if not value:
        return load_functions(packaged)
    if value.lower().endswith((".yaml", ".yml")) or "/" in value:
        return load_functions(Path(value).expanduser())
    known = load_functions(packaged)
    by_name = {f.id: f for f in known} | {f.title.lower(): f for f in known}
    chosen: list[Function] = []
    for name in (part.strip() for part in value.split(",")):
        if not name:
            continue
        if not _FUNCTION_NAME.fullmatch(name):
            raise ValueError(f"“{name[:60]}” is not a function name: use letters, digits and spaces (50 at most), "
                             "or give the path of a functions .yaml file")
        function = by_name.get(name.lower())
        if function is None:
            function_id = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
            spelled = [_as_written(" ".join(name.split()))]
            words = tuple(dict.fromkeys(spelled if _is_acronym(spelled[0]) else
                                        [*spelled, function_id.replace("-", " ")]))
            function = Function(id=function_id, title=name, words=words)
        chosen.append(function)
    _check(chosen, where="the list")
    return chosen


def _check(functions: list[Function], *, where: str) -> None:
    if not functions:
        raise ValueError(f"{where} names no functions")
    seen: set[str] = set()
    for function in functions:
        if not _FUNCTION_ID.fullmatch(function.id):
            raise ValueError(f"{where}: function id “{function.id[:60]}” must be one lower-case word "
                             "(letters, digits, - or _; 50 at most)")
        if function.id in seen:
            raise ValueError(f"{where}: function “{function.id}” is named twice")
        seen.add(function.id)


def guess_function(text: str, functions: list[Function]) -> FunctionGuess | None:
    """The function a decision belongs to; None when its text suggests none.

    A function named outright ("Finance proposes…", "for the service team") is the owner of the
    decision, whatever else it mentions; otherwise the function whose words the text uses most.
    """
    best: FunctionGuess | None = None
    best_key: tuple[bool, int, int] = (False, 0, 0)
    for function in functions:
        found = list({w.removesuffix("s"): w for w in function.words if _says(text, w)}.values())
        where = [_named_at(text, name) for name in _names(function)]
        # "Billing wants…", "the network team…": one of its words at the head of the decision names it too.
        where += [_named_at(text, word, verbs=_OWNER_ACTS) for word in found]
        named_at = min((at for at in where if at is not None), default=None)
        # Named outright beats words; of two named, the one named first is the decision's subject.
        key = (named_at is not None, -(named_at or 0), len(found))
        if (found or named_at is not None) and key > best_key:
            best = FunctionGuess(function, found or [function.title.lower()])
            best_key = key
    return best


# A function is named as the owner of a decision when its name is followed by what owners do ("finance
# wants", "the service team"): a bare "people" or "service" in a sentence names nobody.
_OWNER_VERBS = (r"(?:team|teams|department|function|lead|leads|wants?|propos\w*|plans?|asks?|suggests?|"
                r"is|are|has|have|would|will|says?|needs?|decided|intends?)")


# What only an owner does: a function's word followed by these ("billing wants", "the network team")
# names the function; "the price is" or "support will" need not.
_OWNER_ACTS = (r"(?:team|teams|department|function|lead|leads|wants?|propos\w*|plans?|asks?|suggests?|"
               r"decided|intends?|(?:is|are) (?:looking|thinking|considering|planning|proposing))")


def _as_written(word: str) -> str:
    """An acronym ("IT", "HR") is kept in capitals and matched so: "it is" and "24 hr" name nobody."""
    word = word.strip()
    return word if _is_acronym(word) else word.lower()


def _is_acronym(word: str) -> bool:
    return 2 <= len(word) <= 5 and word.isupper() and word.isalpha()


def _names(function: Function) -> set[str]:
    """How a decision names the function outright: its title, and its id unless the title is an acronym."""
    if _is_acronym(function.title):
        return {function.title}
    return {function.id.replace("-", " "), function.title.lower()}


def _named_at(text: str, name: str, *, verbs: str = _OWNER_VERBS) -> int | None:
    """Where the text names this function as an owner, or None."""
    pattern = _whole(name) + r"\s+(?i:" + verbs + r")(?![A-Za-z0-9])"
    found = re.search(pattern, text) if name else None
    return found.start() if found else None


def _says(text: str, phrase: str) -> bool:
    return bool(phrase) and re.search(_whole(phrase, plural=True), text) is not None


def _whole(phrase: str, *, plural: bool = False) -> str:
    """A pattern for the phrase as a whole word (or phrase): an acronym in capitals, anything else in any case."""
    body = re.escape(phrase) + ("s?" if plural else "")
    return r"(?<![A-Za-z0-9])" + (body if _is_acronym(phrase) else f"(?i:{body})") + r"(?![A-Za-z0-9])"
