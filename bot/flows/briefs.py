"""The buttons under a brief and what follows them: Helpful / Not helpful (recorded), Full brief (a modal),
Raise a customer concern (a modal for advocates; posted in the thread and recorded on the decision), and
Record a promise (the promise modal, prefilled with the question)."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Ack

from bot.access import GUEST_REFUSAL
from bot.flows.promises import open_promise_modal
from bot.flows.replies import clicked_in, note, tell
from bot.runtime import BotRuntime
from outbound.layouts.brief_message import full_brief_modal
from outbound.layouts.brief_view import BriefView
from outbound.layouts.modals import CONCERN_BLOCK, concern_modal, metadata, submitted
from outbound.poster import describe
from outbound.text import escape, user_mention
from records.slack_records import MAX_CONCERN_CHARS

log = logging.getLogger(__name__)

GONE = "That brief is no longer on record; ask again to get a fresh one."
CONCERN_NOT_POSTED = ("Your concern is recorded on the decision, but Slack would not post it in the thread just "
                     "now. Mention the people deciding there, or raise it again in a few minutes.")
ADVOCATES_ONLY = ("Concerns are raised by customer advocates, so they reach the people who weigh them. "
                  "`/advocate advocates` lists them: mention the one for this decision in the thread.")


def vote(rt: BotRuntime, body: dict[str, Any], brief_id: str, *, helpful: bool) -> None:
    """One vote per person per brief (a second click changes it)."""
    recorded = rt.ledger.record_feedback(brief_id, user=str(body["user"]["id"]), helpful=helpful)
    tell(rt, body, ("Thanks — recorded as helpful." if helpful else
                    "Thanks — recorded as not helpful. Say in the thread what was missing; it helps.")
         if recorded else GONE, in_thread=True)


def open_full_brief(rt: BotRuntime, body: dict[str, Any], brief_id: str) -> None:
    """Every section and source, for members, and only in the conversation the brief was given in."""
    if not rt.access.person(str(body["user"]["id"])).internal:
        tell(rt, body, GUEST_REFUSAL, in_thread=True)  # a guest in the channel sees the message, not the rest of it
        return
    brief = rt.ledger.brief(brief_id)
    # Only from the conversation it was given in: a brief from a DM is not opened elsewhere.
    if brief is None or brief.channel != clicked_in(body):
        tell(rt, body, GONE, in_thread=True)
        return
    rt.client.views_open(trigger_id=body["trigger_id"],
                         view=full_brief_modal(BriefView.from_json(brief.view), masked=brief.masked))


def open_promise_from_brief(rt: BotRuntime, body: dict[str, Any], brief_id: str) -> None:
    brief = rt.ledger.brief(brief_id)
    if brief is None:
        tell(rt, body, GONE, in_thread=True)
        return
    open_promise_modal(rt, trigger_id=body["trigger_id"], user=str(body["user"]["id"]), text=brief.question,
                       channel=brief.channel, thread_ts=brief.thread_ts, message_ts=brief.thread_ts)


def _may_raise_concerns(rt: BotRuntime, user: str) -> bool:
    person = rt.access.person(user)
    return person.internal and (person.is_advocate or person.is_admin)


def open_concern(rt: BotRuntime, body: dict[str, Any], brief_id: str) -> None:
    """The concern modal, for advocates and admins."""
    if not _may_raise_concerns(rt, str(body["user"]["id"])):
        tell(rt, body, ADVOCATES_ONLY, in_thread=True)
        return
    brief = rt.ledger.brief(brief_id)
    if brief is None:
        tell(rt, body, GONE, in_thread=True)
        return
    decision = BriefView.from_json(brief.view).decision
    rt.client.views_open(trigger_id=body["trigger_id"], view=concern_modal(brief_id=brief.id, decision=decision))


def submit_concern(rt: BotRuntime, ack: Ack, *, user: str, view: dict[str, Any]) -> None:
    """Record the concern on the decision, then post it in the decision's thread."""
    text = submitted(view, CONCERN_BLOCK).strip()
    if not text:
        ack(response_action="errors", errors={CONCERN_BLOCK: "Say what won't work for customers."})
        return
    if len(text) > MAX_CONCERN_CHARS:
        ack(response_action="errors", errors={CONCERN_BLOCK: f"Keep it under {MAX_CONCERN_CHARS:,} characters."})
        return
    if not _may_raise_concerns(rt, user):
        ack(response_action="errors", errors={CONCERN_BLOCK: "Only customer advocates raise concerns."})
        return
    try:
        brief = rt.ledger.record_concern(str(metadata(view).get("brief_id", "")), user=user, text=text)
    except (LookupError, ValueError) as exc:
        ack(response_action="errors", errors={CONCERN_BLOCK: str(exc)})
        return
    ack()
    quoted = "\n".join(f">{escape(line)}" for line in text.splitlines() if line.strip())
    try:
        rt.poster.post(  # at most once, even when Slack's answer is lost
            channel=brief.channel, thread_ts=brief.thread_ts, tries=2,
            text=f":warning: {user_mention(user)} raised a customer concern on this decision:\n{quoted}",
        )
    except Exception as exc:  # recorded, not shown: the advocate hears so rather than nothing
        log.error("concern on the decision of brief %s by %s recorded but not posted (%s)", brief.id, user,
                  describe(exc))
        note(rt, channel=brief.channel, user=user, thread_ts=brief.thread_ts, text=CONCERN_NOT_POSTED)
        return
    log.info("concern recorded on the decision of brief %s by %s", brief.id, user)
