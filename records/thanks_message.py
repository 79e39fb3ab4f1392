"""The suggested thank-you, written from what we know of the customer: deterministic text, no model.

It greets the customer as they are named — one person by first name, a couple by both ("Brian & Joan
Payne" → "Hello Brian and Joan"), a business without a first name ("Hello everyone at Hale Glazing
Ltd") — says how long and since when, answers their latest feedback (kind words thanked for; a recent
low score means "fix first, then thank", with the fix named, and the thank-you owns the problem),
names what we still owe them, and ends in the sender's name. The sender adapts it rather than pastes it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo

from records.milestones import Milestone
from records.promises import PromiseView
from records.score_bands import DEFAULT_BANDS, ScoreBands

GIST_CHARS = 80
# Words that make a customer's name a business's, whatever its segment.
_BUSINESS_WORDS = re.compile(
    r"\b(ltd|limited|llp|plc|inc|co|company|sons|partners|services|solicitors|accountants|architects|"
    r"surveyors|associates|group|trust|clinic|pharmacy|bakery|studio|consulting|holdings|café|cafe)\b\.?",
    re.IGNORECASE,
)
_TITLES = {"mr", "mrs", "ms", "miss", "mx", "dr", "prof", "sir", "dame", "lady", "lord", "rev"}
# "Brian & Joan Payne", "Ryan and Hazel Burke": two first names, one family name.
_COUPLE = re.compile(r"^\s*([^\s&]+)\s+(?:&|and)\s+([^\s&]+)\s+\S.*$", re.IGNORECASE)


@dataclass(frozen=True)
class FeedbackItem:
    id: str
    date: str
    score: int | None
    channel: str
    text: str

    def as_json(self) -> dict[str, object]:
        return {"id": self.id, "date": self.date, "score": self.score, "channel": self.channel, "text": self.text}


@dataclass(frozen=True)
class ThanksContext:
    """What the suggestion is written from."""

    milestone: Milestone
    sender_name: str
    feedback: Sequence[FeedbackItem]  # newest first
    open_promises: Sequence[PromiseView]
    today: date
    recent_days: int
    timezone: tzinfo
    now: datetime
    # A complaint within the recent days is put right first; praise is thanked for by name.
    bands: ScoreBands = DEFAULT_BANDS


def is_business(name: str, segment: str) -> bool:
    return segment in ("small-business", "business", "enterprise") or bool(_BUSINESS_WORDS.search(name))


def greeting(name: str, segment: str) -> str:
    """How to open: a first name, a couple's two, a title with the family name, or a business's whole name."""
    name = " ".join(name.split())
    if not name:
        return "Hello"
    if is_business(name, segment):
        return f"Hello everyone at {name}"
    couple = _COUPLE.match(name)
    if couple:
        return f"Hello {couple.group(1)} and {couple.group(2)}"
    first = name.split()[0]
    if first.rstrip(".").lower() in _TITLES:
        return f"Hello {name}"
    return f"Hello {first}"


def years_text(years: int) -> str:
    return f"{years} year" + ("" if years == 1 else "s")


def gist(text: str, limit: int = GIST_CHARS) -> str:
    """The first sentence, or as many whole words as fit in `limit` characters, with "…" when cut."""
    text = " ".join(text.split())
    sentence = re.match(r"(.+?[.!?])(?=\s|$)", text)
    if sentence and len(sentence.group(1)) <= limit:
        return sentence.group(1)
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    if " " in cut:
        cut = cut[: cut.rfind(" ")]
    return cut.rstrip(" ,;:-") + "…"


def recent_complaint(
    feedback: Sequence[FeedbackItem], *, today: date, recent_days: int, bands: ScoreBands = DEFAULT_BANDS
) -> FeedbackItem | None:
    """The latest feedback, when it is recent and scored as a complaint; else None."""
    latest = next((f for f in feedback if f.date), None)
    recent_from = (today - timedelta(days=recent_days)).isoformat()
    if (latest and latest.date >= recent_from and latest.score is not None
            and bands.label(latest.score) == "complaint"):
        return latest
    return None


def shown_date(iso: str, *, year: bool = False) -> str:
    """An ISO date as people write it: 30 October (2026)."""
    try:
        return f"{date.fromisoformat(iso):%-d %B %Y}" if year else f"{date.fromisoformat(iso):%-d %B}"
    except ValueError:
        return iso


def _thanks_for(years: int, *, business: bool) -> str:
    """The thanks itself, in words that fit the length of the stay."""
    if years <= 1:
        return ("Thank you for choosing us for your business, and for staying with us through the first year."
                if business else "Thank you for choosing us, and for staying with us through your first year.")
    if years < 10:
        return "Thank you for staying with us all this time; it means a great deal to us."
    if years < 20:
        return f"{years} years is a long time to stay with anyone, and we do not take it for granted."
    return (f"Very few customers have stayed with us for {years} years, and we do not take a single one of them "
            "for granted.")


def suggested_message(context: ThanksContext) -> str:
    """A short thank-you in the sender's voice, to say once what `fix_first` names is put right (every view
    shows that list above the words)."""
    m = context.milestone
    customer = m.customer
    business = is_business(customer.name, customer.segment)
    you = "your business" if business else "you"
    when = "today" if m.on <= context.today else f"on {m.on:%-d %B}"
    tense = "have" if m.on <= context.today else "will have"
    if business:
        tense = "has" if m.on <= context.today else "will have"
    parts = [f"{greeting(customer.name, customer.segment)}, {when} {you} {tense} been with us for "
             f"{years_text(m.years)}, since {customer.customer_since:%B %Y}."]
    complaint = recent_complaint(context.feedback, today=context.today, recent_days=context.recent_days,
                                 bands=context.bands)
    latest = next((f for f in context.feedback if f.date), None)
    if complaint is not None:
        parts.append(f"I read what you told us on {shown_date(complaint.date)}, and I am sorry we let you "
                     "down; I wanted it put right before anything else.")
    elif latest is not None and latest.score is not None and context.bands.label(latest.score) == "praise":
        parts.append(f"Thank you too for your kind words on {shown_date(latest.date)}: "
                     f"\u201c{gist(latest.text)}\u201d")
    waiting = [p for p in context.open_promises if not p.overdue(context.now)]
    if waiting:
        promise = waiting[0]
        due = f"{promise.due_at.astimezone(context.timezone):%-d %B}"  # words to a customer: the day is enough
        parts.append(f"We still owe you \u201c{gist(promise.text)}\u201d by {due}, and I will see that it is done.")
    parts.append(f"{_thanks_for(m.years, business=business)} If there is anything we could do better, "
                 f"I would like to hear it from you directly. \u2014 {context.sender_name}")
    return " ".join(parts)
