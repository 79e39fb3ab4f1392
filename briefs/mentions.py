"""Customer groups in words: a segment or channel the decision names ("start with small-business repairs",
"close the phone line"), customers it names in its own words ("our business clients"), and what customers
say of themselves ("I'm retired", "we only stream").

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


# -- customer groups named in free text ------------------------------------------------------------------
# Words for the people a decision can be about. Those in _GROUPS_ALONE name a group by themselves; the rest
# only with a word before them ("business clients") or a clause after ("customers who drop TV").
_HEADS = ("customers", "clients", "households", "subscribers", "users", "members", "buyers", "callers",
          "shoppers", "everyone", "customer", "client", "household", "subscriber", "user", "member", "caller")
_GROUPS_ALONE = ("homeowners", "renters", "tenants", "families", "cord-cutters", "pensioners", "students",
                 "small businesses", "new sign-ups", "sign-ups", "prospects")
_HEAD = re.compile(r"\b(" + "|".join(re.escape(h) for h in sorted(_GROUPS_ALONE + _HEADS, key=len, reverse=True))
                   + r")\b", re.IGNORECASE)
# A clause after the head that says which of them: "who barely use it", "on the premium tier", "living with…".
_WHICH = re.compile(
    r"\s+((?:who|whose|that|on|with|without|outside|living|using|paying|renting|waiting)"
    r"(?:\s+(?!(?:to|so|and|but|or|a|an|because|instead|rather|next|this|make|see|take|react|think|feel|say|"
    r"find|handle|respond|move|can|will|would|could|should|must|may|might|get|go)\b)[^\s,;:?!()—–]+?){1,7})"
    r"(?=[.,;:?!()—–]?(?:\s|$))", re.IGNORECASE)
# A product describes a group only beside another word ("long-standing internet customers"): alone
# ("broadband customers"), at a broadband company it names everyone.
_PRODUCTS = frozenset("broadband internet mobile tv phone landline fibre cable home".split())
_MODIFIERS = frozenset("""new existing current former departing leaving returning paying loyal older elderly young
    younger vulnerable disabled deaf blind upset angry unhappy business residential premium basic rural urban
    regional west east north south coast coastal power heavy light priority enterprise corporate sme b2b b2c trial
    prepaid contract monthly annual international overseas local spanish-speaking student retired commercial
    wholesale retail bereaved""".split())
_MAX_MODIFIERS = 3
_DANGLING = frozenset("during for of in on at with to by from the their our".split())


def groups_named_in(decision: str) -> list[str]:
    """Customer groups the decision names in its own words ("our business clients", "long-standing internet
    customers", "everyone on the premium tier who barely uses it"), as it spells them, in order; a bare
    "customers" names nobody in particular."""
    found: list[str] = []
    for head in _HEAD.finditer(decision):
        before = decision[: head.start()].split()
        modifiers: list[str] = []
        for word in reversed(before):
            plain = word.strip("\"'“”‘’").lower()
            if not (plain in _MODIFIERS or plain in _PRODUCTS or (re.fullmatch(r"[a-z0-9]+(?:-[a-z0-9]+)+", plain)
                                                                  and not plain.endswith("ing")
                                                                  or plain.startswith("long-"))):
                break
            modifiers.insert(0, word.strip("\"'“”‘’"))
            if len(modifiers) == _MAX_MODIFIERS:
                break
        if all(m.lower() in _PRODUCTS for m in modifiers):
            modifiers = []
        which = _WHICH.match(decision, head.end())
        clause = which.group(1).split() if which else []
        while clause and clause[-1].lower() in _DANGLING:
            clause.pop()  # "who want 911 calling during" ends where the next word was a stop
        clause = clause if len(clause) > 1 else []
        if not (modifiers or clause or head.group(1).lower() in _GROUPS_ALONE):
            continue
        phrase = " ".join([*modifiers, head.group(1), *clause])
        if phrase.lower() not in (f.lower() for f in found):
            found.append(phrase)
    return found


# -- who an offer for newcomers leaves out -------------------------------------------------------------------------
# "Fibre 150 for £25, new customers only", "only for new sign-ups": the decision names the newcomers, but the
# customers it touches most are those it leaves out, who see the offer and cannot have it.
_NEW_ONLY = re.compile(
    r"\b(?:new|first-time)\s+(?:customers|clients|subscribers|members|sign-ups|users|joiners)\s+only\b|"
    r"\bnewcomers\s+only\b|"
    r"\b(?:only|exclusively)\s+(?:for|to|open to)\s+(?:new\s+(?:customers|clients|subscribers|members|sign-ups|users|"
    r"joiners)|newcomers)\b",
    re.IGNORECASE)


def left_out_by(decision: str) -> list[str]:
    """The customers a newcomers-only offer leaves out, as a line of "who is affected"; nothing for any other
    decision."""
    if not _NEW_ONLY.search(decision):
        return []
    return ["Left out by it: existing customers, who see an offer for new customers only and cannot have it."]


# -- what the decision takes away, and who relies on it ---------------------------------------------------------
# "Stop offering Saturday morning engineer slots", "retire the old customer webmail", "drop the day-before
# confirmation call": the customers affected are those who rely on what is withdrawn or cut.
_WITHDRAWS = re.compile(
    r"\b(?:stop(?:ping)?(?:\s+\w+ing)?|retir(?:e|ing)|clos(?:e|ing)(?:\s+down)?|shut(?:ting)?(?:\s+down)?|"
    r"drop(?:ping)?|remov(?:e|ing)|scrap(?:ping)?|withdraw(?:ing)?|end(?:ing)?|cut(?:ting)?|cancel(?:l?ing)?|"
    r"discontinu(?:e|ing)|phas(?:e|ing) out|switch(?:ing)? off|turn(?:ing)? off)"
    r"\s+(?:(?:most|all|some|part|much) of\s+)?((?:the|our|its)\s+)?", re.IGNORECASE)
# Where the thing withdrawn ends: a word that starts what comes after it ("…slots to cut overtime").
_OBJECT_ENDS = frozenset("""to for from by in on at with and or but so now when if because as after before since
    unless while once than then which that who across into onto over under during per instead ahead back down up
    out off only entirely completely altogether automatically immediately early later soon today""".split())
# "drop", "cut" and "end" are nouns as often as verbs ("no single drop", "a power cut"): a verb here follows the
# start of a clause (or a comma or colon), a subject, a modal or a wish.
_VERB_FOLLOWS = frozenset("""to we i they you and or should shall would could can will must may might wants want
    plans plan proposes propose proposing suggests suggest is are be of let lets let's""".split())
_DETERMINERS_OF_EACH = frozenset("every each any".split())
# Not something a customer relies on: the organisation's own inputs, or people ("calling customers back").
_INTERNAL = frozenset(stem(word) for word in """budget budgets cost costs overtime headcount target targets bonus
    bonuses spend spending process processes meeting meetings report reports survey surveys price prices fee fees
    charge charges project programme program plan plans work job jobs it this that them they loss losses waste
    error errors delay delays fraud churn complaint complaints number tray trays packaging plastic plastics
    cardboard wrapping""".split())
# People as the thing cut ("about 20% of field techs", "calling customers back"), though "engineer slots" and
# "the customer webmail" are services.
_PEOPLE_CUT = frozenset(stem(word) for word in """tech techs technician technicians engineer engineers crew crews
    worker workers staff team teams agent agents adviser advisers advisor advisors rep reps employee employees
    customer customers client clients people""".split())
_MAX_OBJECT_WORDS = 6


def what_the_decision_withdraws(decision: str) -> list[str]:
    """What a decision stops, closes, drops or cuts that customers may rely on ("Saturday morning engineer
    slots", "the old customer webmail"), as it spells it; nothing for what is the organisation's own (a team's
    budget, overtime) or people."""
    found: list[str] = []
    for verb in _WITHDRAWS.finditer(decision):
        before = decision[: verb.start()].split()
        if before and before[-1].lower().strip(",;—–") not in _VERB_FOLLOWS and not before[-1].endswith((",", ":")):
            continue
        words: list[str] = []
        rest = decision[verb.end():].split()
        for word in rest:
            bare = word.strip("\"'“”‘’()")
            if bare.lower() in _OBJECT_ENDS or not bare:
                break
            words.append(bare.rstrip(".,;:?!—–"))
            if bare != bare.rstrip(".,;:?!—–") or len(words) == _MAX_OBJECT_WORDS + 1:
                break
        stems = [stem(w.lower().removesuffix("'s")) for w in words]
        if (not words or len(words) > _MAX_OBJECT_WORDS or any(s in _INTERNAL for s in stems)
                or stems[-1] in _PEOPLE_CUT or stems[0] in _PEOPLE_CUT or words[0].lower() in _DETERMINERS_OF_EACH
                or not any(re.search(r"[a-z]{3}", w.lower()) for w in words)):
            continue
        # "cut weekend and overtime repair shifts": a lone word before "and" is half of what is cut.
        if len(words) == 1 and len(rest) > 1 and rest[1].lower() in ("and", "or"):
            continue
        phrase = f"{verb.group(1) or ''}{' '.join(words)}"
        if phrase.lower() not in (f.lower() for f in found):
            found.append(phrase)
    return found


# -- who customers say they are ----------------------------------------------------------------------------
# What customers say about themselves in their own words, as "customers who …": how they live and use the
# service, which no record of a complaints inbox holds. Each is a pattern over the verbatim's text.
SELF_DESCRIPTIONS: dict[str, re.Pattern[str]] = {
    label: re.compile(pattern, re.IGNORECASE)
    for label, pattern in {
        "are older or retired, or speak for someone who is": (
            r"\b(?:senior(?: citizen)?s?|elderly|retired|retirees?|pensioners?|OAPs?|"
            r"(?:i am|i'm|i’m|aged?) (?:6[5-9]|[7-9]\d)\b|(?:6[5-9]|[7-9]\d)[- ]years?[- ]old)\b"),
        "have a disability": (
            r"\b(?:disabled|disabilit(?:y|ies)|blind|deaf|wheelchair|hearing[- ]impaired|visually[- ]impaired|"
            r"handicapped)\b"),
        "are on a low or fixed income": (
            r"\b(?:fixed income|low[- ]income|social security|unemployed|on benefits|can(?:no|')t afford|"
            r"can’t afford)\b"),
        "run a small business": (
            r"\b(?:small business(?:es)?|(?:my|our) (?:business|shop|restaurant|salon|practice|office)|"
            r"self[- ]employed)\b"),
        "take time off work to wait for us": (
            r"\b(?:(?:took|take|taking|takes|taken) (?:(?:a|the|an|another|half a|two|three|\d) )?"
            r"(?:whole |full |entire |half )?(?:day|days|morning|afternoon|time) off|"
            r"(?:day|days|time) off (?:from |of )?work|missed work|lost (?:a )?(?:day'?s? )?(?:pay|wages))\b"),
        "work from home": (
            r"\b(?:work(?:ing)? (?:from|at) home|home office|telecommut\w*|work(?:ing)? remotely|remote work)\b"),
        "have children at home": (
            r"\b(?:(?:my|our) (?:kids|children|son|daughter|sons|daughters)|homework)\b"),
        "stream video (Netflix and the like)": (
            r"\b(?:netflix|hulu|streaming|stream|roku|cord[- ]cutt\w*|youtube|amazon prime)\b"),
        "play games online": r"\b(?:xbox|playstation|ps[345]|gaming|gamers?|online games?)\b",
        "serve or served in the military": r"\b(?:veterans?|military|deployed|active duty)\b",
        "have no other provider to turn to": (
            r"\b(?:no other (?:provider|option|choice|company)|only (?:provider|option) (?:in|available)|"
            r"no (?:real )?(?:competition|competitors?|alternatives?)|monopoly)\b"),
        "have moved or are moving home": (
            r"\b(?:(?:i|we) (?:just |recently |have |had )?moved|"
            r"(?:moved|moving) (?:house|home|out|to a new|into a new|to another)|relocat\w*|new address)\b"),
        "say they have been customers for years": (
            r"\b(?:(?:customer|subscriber|member) (?:for|of) (?:over |more than |almost |nearly )?"
            r"(?:\d+|two|three|four|five|six|seven|eight|nine|ten|fifteen|twenty) years|"
            r"loyal (?:customer|subscriber)|long[- ]?(?:time|standing) (?:customer|subscriber))\b"),
        "live in rural areas": r"\b(?:rural|countryside|farm|village)\b",
    }.items()
}


def self_descriptions(text: str) -> list[str]:
    """The SELF_DESCRIPTIONS labels a customer's words match."""
    return [label for label, pattern in SELF_DESCRIPTIONS.items() if pattern.search(text)]
