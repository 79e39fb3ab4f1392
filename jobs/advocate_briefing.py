"""The weekly advocate briefing: what customers said about the advocate's function since the last one.

New research and feedback since the last briefing that reached this advocate (or the last seven days:
feedback by its own date, other material by its date or when it was ingested),
chosen by retrieval on the function's own words; complaints and praise get the same number of places,
since good experiences deserve as much coverage as bad ones. Themes are grouped by lens. Then the
function's decisions with the concerns raised, and how helpful recent briefs were. The message is laid
out by `outbound/layouts/advocate_briefing.py`.
"""

from __future__ import annotations

import logging
from collections import Counter
from datetime import datetime, timedelta

from jobs.common import RunReport, now_utc, week_of
from jobs.delivery import Outcome
from jobs.parts import BriefingSources, JobParts
from knowledge.retrieval import Source
from outbound.blocks import Message
from outbound.layouts.advocate_briefing import Briefing, advocate_briefing_message
from records.advocates import AdvocateView

log = logging.getLogger(__name__)

JOB_ID = "advocate_briefing"
KIND = "advocate"
DEFAULT_LOOKBACK = timedelta(days=7)
EACH_SIDE = 3  # verbatims shown on each side: complaints and praise get the same room
CANDIDATES = 40


def compute(parts: JobParts, advocate: AdvocateView, *, now: datetime) -> Briefing:
    records = parts.records
    tz = records.timezone
    since = records.deliveries.last_sent_at(kind=KIND, recipient=advocate.slack_user_id) or now - DEFAULT_LOOKBACK
    function = next((f for f in parts.functions if f.id == advocate.function), None)
    query = f"{function.title}: {', '.join(function.words)}" if function else advocate.function
    knowledge = parts.briefing_sources()
    new_ids = _ingested_since(knowledge, since)
    since_day = since.astimezone(tz).date().isoformat()

    def is_new(source: Source) -> bool:
        # Feedback is new by its own date (an old export ingested today is not news); undated material,
        # like most research, is new when it was ingested since.
        if source.date:
            return source.date >= since_day or (source.kind != "feedback" and source.id in new_ids)
        return source.id in new_ids

    retriever = knowledge.retriever
    vectors = retriever.embed_question(query)
    bands = parts.settings.score_bands
    complaint, praise, middle = bands.complaint, bands.praise, bands.neutral
    sides: dict[tuple[int, int], list[Source]] = {}
    for band in (complaint, praise, middle):
        found = retriever.search(query, k=CANDIDATES, kinds=["feedback"], score_range=band, query_vectors=vectors)
        sides[band] = sorted((s for s in found if is_new(s)), key=lambda s: s.date, reverse=True)
    research = [s for s in retriever.search(query, k=12, kinds=["research", "transcript"], query_vectors=vectors)
                if is_new(s)]
    themes = _themes(knowledge, sides[complaint], sides[praise], sides[middle])
    return Briefing(
        advocate=advocate, function=function, week_label=week_of(now, tz).label, since=since,
        complaints=sides[complaint][:EACH_SIDE], praise=sides[praise][:EACH_SIDE], research=_distinct(research)[:3],
        themes=themes, decisions=records.advocates.decisions(function=advocate.function, since=since),
        votes=records.advocates.brief_votes(function=advocate.function, since=since),
        new_feedback=sum(len(v) for v in sides.values()),
    )


def _ingested_since(knowledge: BriefingSources, since: datetime) -> set[str]:
    # The record manager knows when each chunk was (re)indexed: "new" also means newly ingested.
    try:
        return set(knowledge.record_manager.list_keys(after=since.timestamp(), limit=50_000))
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
    knowledge: BriefingSources, complaints: list[Source], praise: list[Source], middle: list[Source]
) -> list[tuple[str, int, int]]:
    counts: dict[str, Counter[str]] = {}
    for side, sources in (("complaint", complaints), ("praise", praise), ("middle", middle)):
        for source in sources:
            match = knowledge.lens_matcher.match(source.text, vector=source.vector, top=1)
            if match:
                counts.setdefault(match[0].lens.title, Counter())[side] += 1
    ranked = sorted(counts.items(), key=lambda item: -sum(item[1].values()))
    return [(title, c["complaint"], c["praise"]) for title, c in ranked[:4]]


def message_for(parts: JobParts, advocate: AdvocateView, *, now: datetime) -> Message | None:
    briefing = compute(parts, advocate, now=now)
    return None if briefing.empty else advocate_briefing_message(briefing)


def send(parts: JobParts, *, now: datetime, only: AdvocateView | None = None) -> RunReport:
    report = RunReport(JOB_ID)
    deliverer = parts.deliverer()  # no Slack token: say so once, before any work
    week = week_of(now, parts.records.timezone)
    for advocate in [only] if only else parts.records.advocates.active():
        key = f"{KIND}:{advocate.slack_user_id}:{week.label}"
        if parts.records.deliveries.statuses([key]).get(key) == "sent":
            report.outcomes.append(deliverer.attempt(key, now=now))
            continue
        try:
            message = message_for(parts, advocate, now=now)
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


def run(parts: JobParts) -> None:
    """The scheduled job (fixed id `advocate_briefing`)."""
    log.info(send(parts, now=now_utc()).line())
