"""Words of the decision that the customers' own words use: a concrete name for who is affected.

"Customers who mention "credit": 5 of the 8 most relevant verbatims" says more than "customers who
filed a complaint" when every verbatim came in the same way. A word counts only where it is uncommon
in the knowledge base as a whole (the keyword index says how common), so "bill" or "months", which
most complaints use, never name a group.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from briefs.lenses import stem
from knowledge.lexical_index import query_terms

# A decision word names a group only if fewer than this share of all indexed passages use it, and at least
# MIN_MENTIONS of the verbatims considered do (both set by reading the groups named for the tuning
# part of the real complaints: at 0.15, "email" named a group of 3 about allowance notices).
UNCOMMON_SHARE = 0.1
MIN_MENTIONS = 3
# Words that are uncommon without being about anything: never the name of a group. Time and quantity
# words say when or how much, not who ("Customers who mention "year"", "…"plus""); days of the week and
# months stay, as they can name a group ("Saturday" installation slots, the "April" rise).
GENERAL_WORDS = frozenset(
    """without within even never every first including make makes made still just only ever since also
    plus extra instead rather whole another other same different really existing next last again
    already soon later early earlier today tomorrow yesterday time times hour hours minute minutes day
    days daily week weeks weekly month months monthly year years yearly annual annually team teams
    people""".split()
)


_TOKEN = re.compile(r"[a-z0-9]+")


def decision_words(decision: str) -> list[str]:
    """The decision's topic words worth counting: no stop words, four letters or more."""
    return [word for word in query_terms(decision)
            if len(word) >= 4 and word.isalpha() and word not in GENERAL_WORDS]


def mentions(word: str, text: str) -> bool:
    """Whether `text` uses `word` in any common inflection ("credit", "credits", "credited"); a longer word
    that merely starts with it does not count ("lark" is not "Larkspur")."""
    return stem(word) in word_stems(text)


def word_stems(text: str) -> set[str]:
    """The stems of the words a text uses: made once per text, however many words are looked up in it."""
    return {stem(found) for found in set(_TOKEN.findall(text.lower()))}


def words_in_several(decision: str, texts: Iterable[str], *, at_least: int = 2) -> list[str]:
    """The decision words that at least `at_least` of these texts use."""
    stems = [word_stems(t) for t in texts]
    return [w for w in decision_words(decision) if sum(stem(w) in used for used in stems) >= at_least]
