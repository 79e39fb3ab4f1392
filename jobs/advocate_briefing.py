"""The weekly advocate briefing: what customers said about the advocate's function since the last one.

New research and feedback since the last briefing that reached this advocate (or the last seven days:
feedback by its own date, other material by its date or when it was ingested),
chosen by retrieval on the function's own words; complaints and praise get the same number of places,
since good experiences deserve as much coverage as bad ones. Themes are grouped by lens. Then the
function's decisions with the concerns raised, and how helpful recent briefs were.
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from briefs.functions import Function
from jobs.common import RunReport, Week, now_utc, week_of
from jobs.delivery import Outcome
from knowledge.retrieval import Source
from outbound.blocks import BlockList, Message, escape, quote
from records.advocates import AdvocateView, BriefVotes, DecisionView

if TYPE_CHECKING:
    from advocate.services import Services

log = logging.getLogger(__name__)

JOB_ID = "advocate_briefing"
KIND = "advocate"
DEFAULT_LOOKBACK = timedelta(days=7)
EACH_SIDE = 3  # verbatims shown on each side: complaints and praise get the same room
CANDIDATES = 40
COMPLAINT, PRAISE, MIDDLE = (0, 6), (9, 10), (7, 8)


@dataclass
class Briefing:
    advocate: AdvocateView
    function: Function | None
    week: Week
    since: datetime
    complaints: list[Source]
    praise: list[Source]
    research: list[Source]
    themes: list[tuple[str, int, int]]  # (lens title, complaints, praise)
    decisions: list[DecisionView]
    votes: BriefVotes
    new_feedback: int = 0
    notes: list[str] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        # Vote counts alone are not worth a message.
        return not (self.complaints or self.praise or self.research or self.decisions)


def compute(services: Services, advocate: AdvocateView, *, now: datetime) -> Briefing:
    records = services.records
    tz = records.timezone
    since = records.deliveries.last_sent_at(kind=KIND, recipient=advocate.slack_user_id) or now - DEFAULT_LOOKBACK
    function = next((f for f in services.functions if f.id == advocate.function), None)
    query = f"{function.title}: {', '.join(function.words)}" if function else advocate.function
    new_ids = _ingested_since(services, since)
    since_day = since.astimezone(tz).date().isoformat()

    def is_new(source: Source) -> bool:
        # Feedback is new by its own date (an old export ingested today is not news); undated material,
        # like most research, is new when it was ingested since.
        if source.date:
            return source.date >= since_day or (source.kind != "feedback" and source.id in new_ids)
        return source.id in new_ids

    retriever = services.retriever
    vectors = retriever.embed_question(query)
    sides: dict[tuple[int, int], list[Source]] = {}
    for band in (COMPLAINT, PRAISE, MIDDLE):
        found = retriever.search(query, k=CANDIDATES, kinds=["feedback"], score_range=band, query_vectors=vectors)
        sides[band] = sorted((s for s in found if is_new(s)), key=lambda s: s.date, reverse=True)
    research = [s for s in retriever.search(query, k=12, kinds=["research", "transcript"], query_vectors=vectors)
                if is_new(s)]
    themes = _themes(services, sides[COMPLAINT], sides[PRAISE], sides[MIDDLE])
    return Briefing(
        advocate=advocate, function=function, week=week_of(now, tz), since=since,
        complaints=sides[COMPLAINT][:EACH_SIDE], praise=sides[PRAISE][:EACH_SIDE], research=_distinct(research)[:3],
        themes=themes, decisions=records.advocates.decisions(function=advocate.function, since=since),
        votes=records.advocates.brief_votes(function=advocate.function, since=since),
        new_feedback=sum(len(v) for v in sides.values()),
    )


def _ingested_since(services: Services, since: datetime) -> set[str]:
    # The record manager knows when each chunk was (re)indexed: "new" also means newly ingested.
    try:
        return set(services.ingestor.record_manager.list_keys(after=since.timestamp(), limit=50_000))
    except Exception as exc:  # an unreadable index only loses the "newly ingested" signal
        log.warning("could not read ingestion times: %s", exc)
        return set()


def _distinct(sources: list[Source]) -> list[Source]:
    seen: set[str] = set()
    result = []
    for source in sources:
        if source.source not in seen:
            seen.add(source.source)
            result.append(source)
    return result


def _themes(
    services: Services, complaints: list[Source], praise: list[Source], middle: list[Source]
) -> list[tuple[str, int, int]]:
    counts: dict[str, Counter[str]] = {}
    for side, sources in (("complaint", complaints), ("praise", praise), ("middle", middle)):
        for source in sources:
            match = services.lens_matcher.match(source.text, vector=source.vector, top=1)
            if match:
                counts.setdefault(match[0].lens.title, Counter())[side] += 1
    ranked = sorted(counts.items(), key=lambda item: -sum(item[1].values()))
    return [(title, c["complaint"], c["praise"]) for title, c in ranked[:4]]


def render(briefing: Briefing) -> Message:
    title = briefing.function.title if briefing.function else briefing.advocate.function
    out = BlockList()
    out.header(f"Your {title} advocate briefing")
    out.context(f"Week {briefing.week.label.split('-W')[1]} · new since {briefing.since:%-d %b %Y} · "
                f"{briefing.new_feedback} new comments about {escape(title.lower())}")
    out.section("*What customers complained about*" + ("" if briefing.complaints else "\nNothing new."))
    for source in briefing.complaints:
        out.section(_verbatim(source))
    out.section("*What customers praised*" + ("" if briefing.praise else "\nNothing new."))
    for source in briefing.praise:
        out.section(_verbatim(source))
    if briefing.themes:
        out.lines("*Themes, by lens*", [
            f"• {escape(name)}: {c} complaint{'s' if c != 1 else ''}, {p} praise" for name, c, p in briefing.themes
        ])
    if briefing.research:
        out.lines("*New research and conversations*", [
            f"• *{escape(s.title or s.source_name)}*{' (' + escape(s.date) + ')' if s.date else ''}: "
            f"{escape(s.text[:240])}{'…' if len(s.text) > 240 else ''}"
            for s in briefing.research
        ])
    out.divider()
    if briefing.decisions:
        lines = []
        for decision in briefing.decisions:
            line = f"• {escape(decision.question[:200])} ({decision.created_at:%-d %b})"
            for raised_by, text in decision.concerns[:3]:
                line += f"\n    :warning: concern from {_mention(raised_by)}: {escape(text[:200])}"
            lines.append(line)
        out.lines(f"*{escape(title)} decisions briefed*", lines)
    else:
        out.section(f"*{escape(title)} decisions briefed*\nNone since the last briefing.")
    votes = briefing.votes
    out.context(f"Recent briefs for {escape(title.lower())}: {votes.helpful} helpful, {votes.not_helpful} not helpful.")
    text = (f"Your {title} advocate briefing: {len(briefing.complaints)} complaints and {len(briefing.praise)} "
            f"praise quoted, {len(briefing.research)} new research items, {len(briefing.decisions)} decisions.")
    return Message(text=text, blocks=out.done())


def _verbatim(source: Source) -> str:
    score = f"score {source.feedback_score}, " if source.feedback_score is not None else ""
    where = ", ".join(p for p in (source.channel, source.date, source.customer_id) if p)
    return f"{quote(source.text, 500)}\n— {escape(score + where)}"


def _mention(user_id: str) -> str:
    # Only a well-formed user id becomes a mention; anything else is shown as text.
    if user_id[:1] in ("U", "W") and user_id.isalnum() and user_id.isupper():
        return f"<@{user_id}>"
    return escape(user_id)


def message_for(services: Services, advocate: AdvocateView, *, now: datetime) -> Message | None:
    briefing = compute(services, advocate, now=now)
    return None if briefing.empty else render(briefing)


def send(services: Services, *, now: datetime, only: AdvocateView | None = None) -> RunReport:
    report = RunReport(JOB_ID)
    deliverer = services.deliverer  # no Slack token: say so once, before any work
    week = week_of(now, services.records.timezone)
    for advocate in [only] if only else services.records.advocates.active():
        key = f"{KIND}:{advocate.slack_user_id}:{week.label}"
        if services.records.deliveries.statuses([key]).get(key) == "sent":
            report.outcomes.append(deliverer.attempt(key, now=now))
            continue
        try:
            message = message_for(services, advocate, now=now)
            if message is None:
                report.skipped += 1
                continue
            report.outcomes.append(deliverer.deliver(
                kind=KIND, recipient=advocate.slack_user_id, period=week.label,
                slack_user_id=advocate.slack_user_id, message=message, now=now,
            ))
        except Exception as exc:  # one advocate's problem must not cost the others their briefing
            log.exception("advocate briefing for %s could not be built", advocate.slack_user_id)
            report.outcomes.append(Outcome(key, "failed", f"not built: {exc}"))
    return report


def run(services: Services) -> None:
    """The scheduled job (fixed id `advocate_briefing`)."""
    log.info(send(services, now=now_utc()).line())
