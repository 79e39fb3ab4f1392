"""Whether a decision names a customer group: "start with small-business repairs", "close the phone line".

A group the decision names is what its reader asks about first, so "who is affected" reports it whether
or not the closest verbatims hold more of it than the whole does.
"""

from __future__ import annotations

import re

from briefs.lenses import stem

_TOKEN = re.compile(r"[a-z0-9]+")
# Words that, after a group's last word, make it a group of people ("business customers", "priority accounts").
_PEOPLE = frozenset(stem(word) for word in ("customer", "account", "user", "client", "member", "subscriber"))


def word_stems(text: str) -> list[str]:
    """The stems of a text's words, in order."""
    return [stem(word) for word in _TOKEN.findall(text.lower())]


def named_at(decision: str, group: str, *, inflected: bool = True) -> int | None:
    """Where the decision names this group (a segment or a channel, as the records spell it), as the
    position of its first word among the decision's words; None when it does not. Named: every word of
    its name ("small-business" in "small businesses": in any common inflection unless `inflected` is
    False, as "phoning them" names no channel where "the phone line" does), or its last word before a word
    for people ("business customers")."""
    words = word_stems(group) if inflected else _TOKEN.findall(group.lower())
    if not words:
        return None
    used = word_stems(decision) if inflected else _TOKEN.findall(decision.lower())
    if all(word in used for word in words):
        return used.index(words[0])
    last = words[-1]
    return next((n for n, (word, following) in enumerate(zip(used, used[1:], strict=False))
                 if word == last and stem(following) in _PEOPLE), None)
