"""`/advocate customer <name or id>`: the customer card, shown only to the person who asked.

Outside a DM the feedback and promise texts are masked, and restricted feedback is shown only in a DM to
admins and advocates — the same rules as briefs. Guests and channels shared with other organisations
get a refusal.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from bot.access import GUEST_REFUSAL
from bot.runtime import BotRuntime
from outbound.layouts.customer_card import candidates_reply, card_reply, no_match_text
from records.loyalty import FeedbackItem

log = logging.getLogger(__name__)

USAGE = "Name the customer: `/advocate customer <name or id>`, e.g. `/advocate customer C10234`."
SHARED_REFUSAL = ("I don't show customer records in channels shared with other organisations. Ask in a direct "
                  "message with me or in an internal channel.")


def customer_reply(rt: BotRuntime, *, user: str, channel: str, query: str) -> dict[str, Any]:
    """The ephemeral reply to `/advocate customer QUERY` (after the ack: it reads records and the store)."""
    person = rt.access.person(user)
    if not person.internal:
        return {"text": GUEST_REFUSAL}
    place = rt.access.place(channel)
    if place.shared:
        return {"text": SHARED_REFUSAL}
    if not query:
        return {"text": USAGE}
    now = datetime.now(UTC)
    lookup = rt.parts.loyalty().lookup(query, today=now.astimezone(rt.records.timezone).date(), now=now)
    if lookup.card is None:
        if not lookup.candidates:
            return {"text": no_match_text(query)}
        return candidates_reply(query, lookup.candidates)
    card = lookup.card
    if not rt.access.restricted_allowed(person, place):
        card.feedback = _without_restricted(rt, card.customer.id, card.feedback)
    return card_reply(card, masked=not place.is_dm, now=now, tz=rt.records.timezone)


def _without_restricted(rt: BotRuntime, customer_id: str, feedback: list[FeedbackItem]) -> list[FeedbackItem]:
    """Restricted feedback reaches only admins and advocates in a DM (as restricted sources in briefs)."""
    if not feedback:
        return feedback
    try:
        where = {"$and": [{"kind": "feedback"}, {"customer_id": customer_id}, {"visibility": "restricted"}]}
        restricted = {str(h.metadata.get("record_id") or h.id) for h in rt.parts.store().by_metadata(where)}
    except Exception:  # unsure what is restricted: show none of it
        log.warning("could not tell restricted feedback of %s; none shown", customer_id, exc_info=True)
        return []
    return [item for item in feedback if item.id not in restricted]
