"""The advisor: gathers the evidence for a decision and hands it to a writer.

Evidence is retrieved by kind — the definition always, then culture, research, transcripts, and
feedback split into complaints and praise so both are heard — and lenses are matched. The writer
(grounded or language model) turns it into a brief; both keep to the same contract.
"""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np

from briefs.base_rates import BaseRates
from briefs.brief import Brief
from briefs.functions import Function, FunctionGuess, guess_function
from briefs.lenses import LensMatch, LensMatcher
from briefs.tone import COMPLAINT_CHANNELS, FILED_COMPLAINT, Tone, ToneModel, tone_of_score
from knowledge.lexical_index import query_terms
from knowledge.retrieval import Retriever, SearchRequest, Source, decision_core
from knowledge.vector_store import mean_direction
from records.score_bands import DEFAULT_BANDS, ScoreBands

log = logging.getLogger(__name__)

_CUSTOMER_ID = re.compile(r"\b[A-Z]{1,3}\d{4,}\b")
MAX_QUESTION_CHARS = 4000
# A lens's score is its closeness to the decision less its usual closeness to decisions of every kind
# (briefs/lenses.py), so at 0 a lens fits this decision no better than any other: not tuned, the natural zero.
LENS_FLOOR = 0.0
MAX_PROMISES = 5
# Greetings, thanks and calls for attention. A message made only of these and of stop words ("hi",
# "thanks!", "any thoughts?", "test") names nothing to decide: briefing it would quote whatever the
# knowledge base holds nearest to a greeting.
SMALL_TALK = frozenset(
    """hi hello hey hiya howdy yo morning afternoon evening good thanks thank thx ty cheers please pls ok okay
    cool great nice yes yeah yep no nope sure test testing ping there all team folks everyone guys advocate
    bot help thoughts thought opinion opinions view views input weigh anyone anything something again""".split()
)
_EMOJI = re.compile(r":[a-z0-9_+'-]+:", re.IGNORECASE)
# A link alone names nothing either: the brief cannot open it, and its words are a site's, not a decision.
_LINK = re.compile(r"<?(?:https?://|mailto:|www\.)[^\s>]+>?", re.IGNORECASE)


class NothingToDecide(ValueError):
    """Neither the question nor its thread names a decision."""


class CustomerRecords(Protocol):
    """What the advisor needs from the records store (records.database.Records)."""

    @property
    def customers(self) -> Any: ...

    @property
    def promises(self) -> Any: ...


@dataclass
class CustomerFacts:
    """What the records say about the customers a decision touches."""

    known: dict[str, Any] = field(default_factory=dict)  # id → CustomerView
    heard_from: dict[str, Any] = field(default_factory=dict)  # id → CustomerView of the customers quoted
    unknown: list[str] = field(default_factory=list)  # named but not in the records
    open_promises: list[Any] = field(default_factory=list)  # PromiseView, soonest due first
    checked: bool = False  # False when no records store is available
    promises_recorded: bool = False  # whether the records hold any promise at all (else there is none to touch)


class Writer(Protocol):
    name: str

    def write(self, evidence: Evidence) -> Brief: ...


@dataclass
class Evidence:
    question: str
    decision: str
    vector: np.ndarray
    lenses: list[LensMatch]
    definition: list[Source]
    culture: list[Source]
    research: list[Source]
    transcripts: list[Source]
    complaints: list[Source]
    praise: list[Source]
    middle: list[Source]
    unscored: list[Source]
    function: FunctionGuess | None
    customers: list[str]
    notes: list[str] = field(default_factory=list)
    facts: CustomerFacts = field(default_factory=CustomerFacts)
    # Each verbatim's tone: from its score, or inferred from its words where it has none.
    tones: dict[str, Tone] = field(default_factory=dict)
    # Every verbatim found, in retrieval order (scored and unscored alike).
    ranked_feedback: list[Source] = field(default_factory=list)
    # Which scores the organisation reads as complaints and which as praise.
    bands: ScoreBands = DEFAULT_BANDS
    # grouping (channel, segment, tenure) → group → its share of all feedback or of all customers.
    base_shares: dict[str, dict[str, float]] = field(default_factory=dict)

    @property
    def feedback(self) -> list[Source]:
        """The verbatims found for the decision: retrieval's order first, then what the searches by
        score band added (so praise is heard even when complaints outrank it)."""
        seen: set[str] = set()
        ordered: list[Source] = []
        for source in (*self.ranked_feedback, *self.complaints, *self.praise, *self.middle, *self.unscored):
            if source.id not in seen:
                seen.add(source.id)
                ordered.append(source)
        return ordered

    def tone(self, source: Source) -> Tone:
        if source.id in self.tones:
            return self.tones[source.id]
        score = source.feedback_score
        return tone_of_score(score, self.bands) if score is not None else Tone("neutral", inferred=True)

    def all_sources(self) -> list[Source]:
        seen: set[str] = set()
        ordered: list[Source] = []
        for source in (*self.definition, *self.culture, *self.research, *self.transcripts, *self.feedback):
            if source.id not in seen:
                seen.add(source.id)
                ordered.append(source)
        return ordered


def names_a_decision(text: str) -> bool:
    """Whether the text holds a word that could name what is being decided: not only greetings, thanks,
    emoji, links and stop words."""
    return any(word not in SMALL_TALK for word in query_terms(_EMOJI.sub(" ", _LINK.sub(" ", text))))


# A closing ask for the reader's view after a dash ("… — good idea?", "— what's the customer impact?"): it
# asks for the brief, it is not part of the decision.
_ASKING_TAIL = re.compile(
    r"\s+[—–-]+\s+(?:(?:so\s+)?(?:what|how|good|bad|any|is|are|should|would|could|can|does|do|will|ok|okay|"
    r"thoughts|realistic|reactions|sound|fair|worth|wise)\b[^—–?]{0,50})\?\s*$",
    re.IGNORECASE,
)
# A closing ask as a sentence of its own ("… next quarter. Any objections?", "How will customers take it?"):
# made only of these words, it asks for the brief and decides nothing ("Worth making it mandatory?" does).
_ASKING_WORDS = frozenset(
    """any anything else objections objection thoughts thought concerns concern issues issue problems problem risks
    risk downsides downside worries worry views view input feedback reactions reaction opinions opinion comments
    good bad idea ok okay sensible sound sounds fair right wise realistic worth call missing miss impact impacts
    customer customers side how what which who why will would could should can do does did is are was be we we're
    i you they them it it's this that these those there way lean take react land go down with on of for the a an
    to in about out watch look think see say make sense affect affected effect effects let me us know here and or
    so then from our your their else yes no please before goes going sign off approve approval lt leadership
    board anyone what's that's there's i'm angle care ahead order move exec execs worried hit hits mean means
    if at all tell tells data evidence research complaint complaints feel feels get gets hurt hurts badly pov""".split()
)
_SENTENCE_BREAK = re.compile(r"(?<=[.!?])\s+(?=\S)")
# A decision that is still a question once its framing is gone ("Should long-standing customers get a call…").
_QUESTION_OPENING = re.compile(
    r"^(?:should|shall|can|could|may|must|is|are|do|does|did|will|would|has|have|what|which|who|how|why|when|where)\b",
    re.IGNORECASE,
)


def one_line(question: str, thread: Sequence[str] | None = None, limit: int = 200) -> str:
    """The decision in one line: the thread's opening message, else the question, without framing or a
    closing ask; a decision still asked as a question stays one, question mark included."""
    base = _ASKING_TAIL.sub("", _without_closing_ask(" ".join((thread[0] if thread else question).split())))
    if _QUESTION_OPENING.match(base) and "?" in base:
        line = base  # "Should we close the line?" is still being asked: as "Close the line" it reads as decided
    else:
        line = " ".join(decision_core(base).split())
        line = re.sub(r"^(decision|proposal)\s*:\s*", "", line, flags=re.IGNORECASE)
        if base.endswith("?") and base.rstrip("? ").endswith(line[-20:]):
            line += "?"  # its last sentence is still the question asked ("… Worth making it mandatory?")
    line = line[:1].upper() + line[1:]
    return line if len(line) <= limit else line[: limit - 1].rsplit(" ", 1)[0] + "…"


def fitting_lenses(matches: list[LensMatch]) -> list[LensMatch]:
    """The best lens, and after it only lenses that fit the decision better than they fit decisions in general
    (a score above LENS_FLOOR): a lens that does not fit asks the reader questions about something else."""
    return matches[:1] + [m for m in matches[1:] if m.score > LENS_FLOOR]


def _without_closing_ask(text: str) -> str:
    """The text without a last sentence that only asks for a view ("… next quarter. Thoughts?")."""
    sentences = _SENTENCE_BREAK.split(text)
    last = sentences[-1]
    words = re.findall(r"[a-z’']+", last.lower().replace("’", "'"))
    if len(sentences) > 1 and last.endswith("?") and len(words) <= 10 and all(w in _ASKING_WORDS for w in words):
        return " ".join(sentences[:-1])
    return text


class Advisor:
    def __init__(
        self,
        *,
        retriever: Retriever,
        lenses: LensMatcher,
        functions: list[Function],
        writer: Writer,
        records: CustomerRecords | None = None,
        tone_model: ToneModel | None = None,
        bands: ScoreBands = DEFAULT_BANDS,
        base_rates: BaseRates | None = None,
    ) -> None:
        # Hybrid retrieval over the knowledge base.
        self.retriever = retriever
        # The lens library with its matcher.
        self.lenses = lenses
        # The organisation's functions, for naming who should weigh in.
        self.functions = functions
        # Grounded or language-model writer; the LLM writer falls back to grounded on its own.
        self.writer = writer
        # Customer and promise records; None where no records store is configured.
        self.records = records
        # Reads complaint, praise or neutral from the words of feedback that has no score.
        self.tone_model = tone_model
        # Which scores are complaints and which praise (FEEDBACK_SCORE_BANDS).
        self.bands = bands
        # How common each channel, segment and tenure band is overall: "who is affected" is measured against it.
        self.base_rates = base_rates

    def gather(
        self,
        question: str,
        *,
        thread: Sequence[str] | None = None,
        function: str | None = None,
        customers: Sequence[str] | None = None,
        visibilities: Sequence[str] = ("internal",),
    ) -> Evidence:
        question = " ".join(question.split())
        if not names_a_decision(question):
            question = ""  # "@Advocate any thoughts?" in a thread asks about the thread's decision
        if not question and not any(names_a_decision(text) for text in thread or []):
            raise NothingToDecide("the decision is empty: say what is being decided")
        context = " ".join([*(thread or [])[-8:], question]).strip()
        if len(context) > MAX_QUESTION_CHARS:
            context = context[-MAX_QUESTION_CHARS:]  # the latest words of a long thread matter most
        vectors = self.retriever.embed_question(context)
        requests = {
            "definition": SearchRequest(k=3, kinds=("definition",)),
            "culture": SearchRequest(k=2, kinds=("culture",)),
            "research": SearchRequest(k=5, kinds=("research",)),
            "transcripts": SearchRequest(k=2, kinds=("transcript",)),
            "complaints": SearchRequest(k=4, kinds=("feedback",), score_range=self.bands.complaint),
            "praise": SearchRequest(k=4, kinds=("feedback",), score_range=self.bands.praise),
            "middle": SearchRequest(k=2, kinds=("feedback",), score_range=self.bands.neutral),
            "feedback": SearchRequest(k=8, kinds=("feedback",)),
            # What the knowledge base "hears" near the decision, whatever its kind: evidence for the lenses.
            "nearest": SearchRequest(k=5, nearest=True),
        }
        found = dict(
            zip(
                requests,
                self.retriever.search_each(
                    context, list(requests.values()), visibilities=visibilities, query_vectors=vectors
                ),
                strict=True,
            )
        )
        named = sorted(set(customers or []) | set(_CUSTOMER_ID.findall(context)))
        # The decision's own words first: a closing ask ("does the complaint data tell us anything?") names
        # what the asker reads, not who owns the decision.
        decision = one_line(question, thread)
        guess = self._function(decision, function) or self._function(context, function)
        evidence = Evidence(
            question=question or (thread or [""])[-1],
            decision=decision,
            vector=vectors[0],
            lenses=fitting_lenses(self.lenses.match(
                context,
                vector=vectors[0],
                evidence=mean_direction(s.vector for s in found["nearest"]),
                top=5,
            )),
            definition=found["definition"],
            culture=found["culture"],
            research=found["research"],
            transcripts=found["transcripts"],
            complaints=found["complaints"],
            praise=found["praise"],
            middle=found["middle"],
            # Words without a score (a Slack channel, an email, a ticket) count too.
            unscored=[s for s in found["feedback"] if s.feedback_score is None],
            function=guess,
            customers=named,
            ranked_feedback=found["feedback"],
            bands=self.bands,
        )
        evidence.tones = self._tones(evidence.feedback)
        if self.base_rates is not None and evidence.feedback:
            evidence.base_shares = self.base_rates.shares({s.channel for s in evidence.feedback})
        evidence.facts = self._customer_facts(named, [s.customer_id for s in evidence.feedback if s.customer_id])
        if not evidence.facts.checked:
            evidence.notes.append("no customer records: tenure and open promises were not checked")
        return evidence

    def _tones(self, feedback: list[Source]) -> dict[str, Tone]:
        tones = {s.id: tone_of_score(s.feedback_score, self.bands) for s in feedback if s.feedback_score is not None}
        # Words a customer filed as a complaint are one, whatever a model reads in them.
        tones.update({s.id: FILED_COMPLAINT for s in feedback
                      if s.feedback_score is None and s.channel.lower() in COMPLAINT_CHANNELS})
        unscored = [s for s in feedback if s.id not in tones and s.vector is not None]
        if unscored and self.tone_model is not None:
            inferred = self.tone_model.infer(np.vstack([s.vector for s in unscored]), self.bands)
            tones.update({s.id: tone for s, tone in zip(unscored, inferred, strict=True)})
        return tones

    def _customer_facts(self, named: list[str], heard_from: list[str]) -> CustomerFacts:
        """Named customers' records, and open promises to them and to the customers quoted: those are
        the promises a decision about this is most likely to touch."""
        if self.records is None:
            return CustomerFacts()
        try:
            known = self.records.customers.get_many(named) if named else {}
            quoted = self.records.customers.get_many(list(dict.fromkeys(heard_from))) if heard_from else {}
            promised = self.records.promises.open_for_customers(list(dict.fromkeys(named + heard_from)))
            recorded = bool(promised and any(promised.values())) or self.records.promises.count(status=None) > 0
        except Exception:  # noqa: BLE001 - a records outage must not cost the user the brief
            log.exception("customer records could not be read; the brief goes on without them")
            return CustomerFacts()
        promises = sorted((p for found in promised.values() for p in found), key=lambda p: p.due_at)
        return CustomerFacts(
            known=dict(known),
            heard_from=dict(quoted),
            unknown=[c for c in named if c not in known],
            open_promises=promises[:MAX_PROMISES],
            checked=True,
            promises_recorded=recorded,
        )

    def _function(self, text: str, requested: str | None) -> FunctionGuess | None:
        if requested:
            for candidate in self.functions:
                if candidate.id == requested:
                    return FunctionGuess(candidate, [])
            raise ValueError(f"unknown function {requested!r}; use one of {', '.join(f.id for f in self.functions)}")
        return guess_function(text, self.functions)

    def warm(self, *, limit: int = 20_000) -> int:
        """Ready the writer for quick briefs: embed the sentences of the documents briefs quote from
        (definition and culture first — every brief consults them — then research and transcripts).
        Returns how many sentences were embedded; a writer without a sentence cache needs nothing."""
        warm = getattr(self.writer, "warm", None)
        if warm is None:
            return 0
        hits = [
            hit
            for kind in ("definition", "culture", "research", "transcript")
            for hit in self.retriever.store.by_metadata({"kind": kind}, limit=limit)
        ]
        return warm((Source.from_hit(hit, 0.0) for hit in hits), limit=limit)

    def brief(
        self,
        question: str,
        *,
        thread: Sequence[str] | None = None,
        function: str | None = None,
        customers: Sequence[str] | None = None,
        visibilities: Sequence[str] = ("internal",),
    ) -> Brief:
        evidence = self.gather(
            question, thread=thread, function=function, customers=customers, visibilities=visibilities
        )
        brief = self.writer.write(evidence)
        brief.id = uuid.uuid4().hex[:12]
        return brief
