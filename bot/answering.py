"""Answering a question about a decision, the same way whichever way it was asked.

In the listener (after `ack()`): check who asks and where, post a visible placeholder in the thread,
hand the brief to the bounded worker pool. In the worker: read the thread, write the brief, loop in an
advocate, record the decision, and replace the placeholder with the brief (`chat.update`, which is
safe to retry: the brief is delivered once). A written brief is retried through rate limits, 5xx
answers and dropped connections for as long as SLACK_RETRY_SECONDS allows; only when Slack keeps
failing longer does the placeholder say so (UNDELIVERED). A brief that could not be written turns the
placeholder into an apology. Both carry a reference id that is also in the log.

Posts are never retried blindly (`outbound.poster`): Slack may have posted before answering 5xx. When the
placeholder cannot be confirmed, its thread is searched for it; when it is not there, the brief is
posted directly once written, instead of replacing it.
"""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.access import GUEST_REFUSAL, SHARED_CHANNEL_REFUSAL, AccessPolicy, Person, Place
from bot.roster import AdvocateChoice, AdvocateRotation
from bot.workers import BriefWorkers
from briefs.advisor import MAX_QUESTION_CHARS, Advisor, NothingToDecide
from briefs.functions import Function, guess_function
from outbound.layouts.brief_message import RenderedMessage, render_brief
from outbound.layouts.brief_view import BriefView
from outbound.poster import OncePoster, PostUncertain, describe
from outbound.text import escape, to_plain, trim, user_mention
from records.slack_records import SlackLedger

log = logging.getLogger(__name__)

PLACEHOLDER = ":hourglass_flowing_sand: Looking at how this affects customers… the brief will appear here shortly."
BUSY = ("I'm answering a lot of questions right now and couldn't take this one on. "
        "Please ask again in a minute.")
APOLOGY = ("Sorry — I couldn't put this brief together. Please try again in a moment; if it keeps happening, "
           "give an admin this reference: `{ref}`.")
UNDELIVERED = ("I wrote the brief, but Slack kept refusing to show it, so it is not on record. Please ask again "
               "in a few minutes; if it keeps happening, give an admin this reference: `{ref}`.")
NOTHING_TO_DECIDE = ("I couldn't find a decision to brief here: the message names nothing being decided. "
                     "Say what is being decided, e.g. `@Advocate we plan to close the phone line at weekends`.")
NOT_IN_CHANNEL = ("I can't post in this conversation. Invite me with `/invite @Advocate`, "
                  "or ask me in a direct message.")
THREAD_CONTEXT_MESSAGES = 30
# chat.update errors that mean the placeholder cannot take the brief (deleted, say): it is posted instead.
PLACEHOLDER_GONE = frozenset({"message_not_found", "cant_update_message", "edit_window_closed"})


@dataclass(frozen=True)
class Ask:
    """A question about a decision, however it was asked."""

    how: str  # mention, dm, command, shortcut, reaction, decision_channel, follow_up, home
    user: str
    channel: str
    question: str  # the asker's words, plain (Slack markup resolved)
    thread_ts: str | None  # the thread the answer goes into; None starts a new message (slash command, home)
    message_ts: str | None = None  # the message asked about: its own words are the question
    team_id: str | None = None
    enterprise_id: str | None = None
    event_says_shared: bool | None = None  # the Events API envelope's is_ext_shared_channel
    respond: Callable[..., Any] | None = None  # slash commands: ephemeral replies via response_url
    opener: str = ""  # a visible top-level line (slash command, home), so others see what was asked


@dataclass
class _Thread:
    texts: list[str] = field(default_factory=list)
    participants: set[str] = field(default_factory=set)


@dataclass(frozen=True)
class _Written:
    """A brief written and recorded, not yet shown."""

    brief_id: str
    writer: str  # which writer wrote it (grounded, or the language model's name)
    rendered: RenderedMessage
    choice: AdvocateChoice  # the advocate looped in, if any


class Answerer:
    def __init__(
        self,
        *,
        client: WebClient,
        advisor: Callable[[], Advisor],
        functions: list[Function],
        access: AccessPolicy,
        rotation: AdvocateRotation,
        ledger: SlackLedger,
        workers: BriefWorkers,
        bot_user_id: str,
        poster: OncePoster,
    ) -> None:
        # The bot's Web API client (retries rate limits and server errors): reads, updates, ephemeral notes.
        self.client = client
        # Posts messages at most once, even when Slack's answer is lost.
        self.poster = poster
        # The advisor, built on first use (it loads the embedding model).
        self.advisor = advisor
        # The organisation's functions, to tell which advocate a decision needs.
        self.functions = functions
        # Who may see what.
        self.access = access
        # The advocate roster's fair rotation.
        self.rotation = rotation
        # Where briefs and decisions are recorded.
        self.ledger = ledger
        # The bounded pool briefs are written on.
        self.workers = workers
        # The bot's own user id: its messages are not context, its mention is not a word.
        self.bot_user_id = bot_user_id

    # -- in the listener, after ack() ------------------------------------------------------------------
    def ask(self, ask: Ask) -> None:
        self.access.know_workspace(team_id=ask.team_id, enterprise_id=ask.enterprise_id)
        if ask.channel.startswith(("U", "W")):
            # An App Home ask: the app's DM with that person. Every later call (a refusal too) needs its id.
            try:
                ask = replace(ask, channel=str(self.client.conversations_open(users=ask.channel)["channel"]["id"]))
            except Exception as exc:
                self._apologise_privately(ask, describe(exc))
                return
        person = self.access.person(ask.user)
        if not person.internal:
            log.info("refused a brief to %s (%s)", ask.user, person.reason)
            self.ephemeral(ask, GUEST_REFUSAL)
            return
        place = self.access.place(ask.channel, event_says_shared=ask.event_says_shared)
        if place.shared:
            log.info("refused a brief in shared channel %s", ask.channel)
            self.ephemeral(ask, SHARED_CHANNEL_REFUSAL)
            return
        if len(ask.question) > MAX_QUESTION_CHARS:
            ask = replace(ask, question=trim(ask.question, MAX_QUESTION_CHARS))
        placeholder_ts: str | None = None
        try:
            thread_ts = ask.thread_ts
            if thread_ts is None:
                opener = self.poster.post(channel=ask.channel, text=ask.opener or escape(ask.question), tries=2)
                thread_ts = opener.ts
            ask = replace(ask, thread_ts=thread_ts)
            try:
                placeholder_ts = self.poster.post(
                    channel=ask.channel, thread_ts=thread_ts, text=PLACEHOLDER, tries=1).ts
            except PostUncertain as exc:
                # Not posted, as far as the thread shows: the brief will be posted directly instead.
                log.warning("no placeholder in %s (%s); the brief will be posted when written", ask.channel, exc)
        except SlackApiError as exc:
            error = exc.response.get("error")
            if error in ("not_in_channel", "channel_not_found", "is_archived", "restricted_action"):
                log.warning("could not post in %s (%s)", ask.channel, error)
                self.ephemeral(ask, NOT_IN_CHANNEL)
            else:
                self._apologise_privately(ask, f"Slack answered {error}")
            return
        except Exception as exc:  # Slack unreachable even after the client's retries
            self._apologise_privately(ask, describe(exc))
            return
        if not self.workers.submit(lambda: self.write_and_deliver(ask, person, place, placeholder_ts)):
            log.warning("brief queue full; told %s to ask again", ask.user)
            if placeholder_ts is not None:
                self._update_text(ask.channel, placeholder_ts, BUSY)
            else:
                self.ephemeral(ask, BUSY)

    def _apologise_privately(self, ask: Ask, why: str) -> None:
        reference = uuid.uuid4().hex[:10]
        log.error("could not start a brief in %s, reference %s (%s)", ask.channel, reference, why)
        self.ephemeral(ask, APOLOGY.format(ref=reference))

    def ephemeral(self, ask: Ask, text: str) -> None:
        try:
            if ask.respond is not None:
                ask.respond(text=text, response_type="ephemeral", replace_original=False)
            else:
                # Shown at most once: not tried again after a 5xx or a dropped connection.
                self.poster.post_ephemeral(channel=ask.channel, user=ask.user, text=text, thread_ts=ask.thread_ts)
        except Exception:  # a note that cannot be shown is logged, never raised into Bolt
            log.exception("could not send an ephemeral note to %s", ask.user)

    # -- on a brief worker --------------------------------------------------------------------------------
    def write_and_deliver(self, ask: Ask, person: Person, place: Place, placeholder_ts: str | None) -> None:
        """Write the brief and show it: in place of the placeholder, or as a post of its own when there
        is none. A brief that cannot be written leaves an apology; one Slack would not take within
        SLACK_RETRY_SECONDS says so. Either way nothing is recorded about a brief nobody saw."""
        assert ask.thread_ts is not None
        try:
            written = self._write(ask, person, place, placeholder_ts)
        except NothingToDecide:
            log.info("nothing to decide in the message asked about in %s (%s)", ask.channel, ask.how)
            self._apologise(ask, placeholder_ts, NOTHING_TO_DECIDE)
            return
        except Exception:
            reference = uuid.uuid4().hex[:10]
            log.exception("brief failed, reference %s (asked by %s in %s via %s)", reference, ask.user,
                          ask.channel, ask.how)
            self._apologise(ask, placeholder_ts, APOLOGY.format(ref=reference))
            return
        try:
            message_ts = self._deliver(ask, written.rendered, placeholder_ts)
        except Exception as exc:
            reference = uuid.uuid4().hex[:10]
            log.exception("brief %s was written but Slack did not take it (%s), reference %s (asked by %s in %s)",
                          written.brief_id, describe(exc), reference, ask.user, ask.channel)
            self._discard(written.brief_id)
            self._apologise(ask, placeholder_ts, UNDELIVERED.format(ref=reference))
            return
        log.info("brief %s delivered in %s (%s, %s)", written.brief_id, ask.channel, ask.how, written.writer)
        self._after_delivery(ask, written.brief_id, message_ts, written.choice, moved=message_ts != placeholder_ts)

    def _write(self, ask: Ask, person: Person, place: Place, placeholder_ts: str | None
               ) -> _Written:
        """The brief, written, recorded (before it is shown, so its buttons work at once) and rendered."""
        assert ask.thread_ts is not None
        # A slash command or App Home question starts its own thread: there is nothing to read yet.
        thread = self._thread(ask) if ask.message_ts else _Thread()
        thread.participants.add(ask.user)
        context = " ".join([*thread.texts[-8:], ask.question])
        guess = guess_function(context, self.functions)
        brief = self.advisor().brief(
            ask.question, thread=thread.texts or None, function=guess.function.id if guess else None,
            visibilities=self.access.visibilities(person, place),
        )
        view = BriefView.from_brief(brief)
        choice = AdvocateChoice(note="")
        if not place.is_dm:
            choice = self.rotation.choose(guess, participants=thread.participants, exclude={ask.user},
                                          can_loop_in=not place.is_group_dm)
            view.advocate_note = choice.note
        masked = not place.is_dm
        self.ledger.record_brief(
            brief_id=brief.id, channel=ask.channel, thread_ts=ask.thread_ts, message_ts=placeholder_ts or "",
            asked_by=ask.user, how=ask.how, question=ask.question or (thread.texts[-1] if thread.texts else ""),
            masked=masked, view=view.as_json(), lenses=[m.as_json() for m in brief.lenses[:5]],
            function=choice.function or (guess.function.id if guess else None),
            advocates=[*choice.present, *([choice.mention] if choice.mention else [])],
        )
        return _Written(brief_id=brief.id, writer=brief.writer, choice=choice,
                        rendered=render_brief(view, masked=masked, promise_button=True))

    def _deliver(self, ask: Ask, rendered: RenderedMessage, placeholder_ts: str | None) -> str:
        """The brief into its thread; the ts of the message that holds it. The client retries the update
        through Slack's failures and the poster the post, each for up to SLACK_RETRY_SECONDS."""
        if placeholder_ts is not None:
            try:
                self.client.chat_update(channel=ask.channel, ts=placeholder_ts, text=rendered.text,
                                        blocks=rendered.blocks)
                return placeholder_ts
            except SlackApiError as exc:
                if exc.response.get("error") not in PLACEHOLDER_GONE:
                    raise
                log.warning("the placeholder in %s is gone (%s); posting the brief instead", ask.channel,
                            describe(exc))
        return self.poster.post(channel=ask.channel, thread_ts=ask.thread_ts, text=rendered.text,
                                blocks=rendered.blocks, patient=True).ts

    def _discard(self, brief_id: str) -> None:
        try:
            self.ledger.discard_brief(brief_id)
        except Exception:
            log.exception("could not discard the record of undelivered brief %s", brief_id)

    def _apologise(self, ask: Ask, placeholder_ts: str | None, text: str) -> None:
        """In place of the placeholder; in the thread when there is none; privately when Slack takes neither."""
        if placeholder_ts is not None:
            if not self._update_text(ask.channel, placeholder_ts, text):
                self.ephemeral(ask, text)
            return
        try:
            self.poster.post(channel=ask.channel, thread_ts=ask.thread_ts, text=text, tries=1)
        except Exception as exc:
            log.warning("could not post the apology in %s (%s); telling %s privately", ask.channel,
                        describe(exc), ask.user)
            self.ephemeral(ask, text)

    def _after_delivery(self, ask: Ask, brief_id: str, message_ts: str, choice: AdvocateChoice, *,
                        moved: bool) -> None:
        """The record pointed at the brief's own message (`moved`: not the placeholder), the advocate ping
        (edits notify nobody, so it is a message of its own) and the permalink."""
        try:
            if moved:
                self.ledger.set_message_ts(brief_id, message_ts)
            if choice.mention:
                self.poster.post(
                    channel=ask.channel, thread_ts=ask.thread_ts, tries=2,
                    text=f"{user_mention(choice.mention)}, you're looped in as the customer advocate for this "
                         "decision: the brief above says why. Raise a concern on it if this won't work for customers.",
                )
            permalink = self.client.chat_getPermalink(channel=ask.channel, message_ts=message_ts).get("permalink")
            if permalink:
                self.ledger.set_permalink(brief_id, str(permalink))
        except Exception:  # the brief is delivered; these are extras
            log.exception("after delivering brief %s", brief_id)

    def _thread(self, ask: Ask) -> _Thread:
        """The thread's earlier messages by people (not bots), as plain text, and who took part."""
        assert ask.thread_ts is not None
        thread = _Thread()
        try:
            response = self.client.conversations_replies(
                channel=ask.channel, ts=ask.thread_ts, limit=THREAD_CONTEXT_MESSAGES + 1
            )
        except SlackApiError as exc:
            log.warning("could not read thread %s in %s (%s)", ask.thread_ts, ask.channel, exc.response.get("error"))
            return thread
        for message in response.get("messages", []):
            if message.get("bot_id") or message.get("subtype") in ("bot_message", "channel_join"):
                continue
            if message.get("user") == self.bot_user_id:
                continue
            if message.get("user"):
                thread.participants.add(str(message["user"]))
            ts = str(message.get("ts", ""))
            if ask.message_ts and (ts == ask.message_ts or _after(ts, ask.message_ts)):
                continue  # the question itself, and what came after it
            text = to_plain(str(message.get("text", "")), drop_user=self.bot_user_id)
            if text:
                thread.texts.append(text)
        thread.texts = thread.texts[-THREAD_CONTEXT_MESSAGES:]
        return thread

    def _update_text(self, channel: str, ts: str, text: str) -> bool:
        """Whether Slack took the new text."""
        try:
            self.client.chat_update(channel=channel, ts=ts, text=text, blocks=[])
            return True
        except Exception:
            log.exception("could not update message %s in %s", ts, channel)
            return False


def _after(ts: str, other: str) -> bool:
    try:
        return float(ts) > float(other)
    except ValueError:
        return False


_DECISION_OPENING = re.compile(r"^\W{0,3}(decision|proposal)\s*\W{0,3}\s*:", re.IGNORECASE)


def is_decision_message(text: str) -> bool:
    """A decision-channel message that asks for a brief: it starts with "Decision:" or "Proposal:"."""
    return bool(_DECISION_OPENING.match(text.strip()))


_QUESTION_OPENING = re.compile(
    r"^(what|how|why|who|which|when|where|should|could|would|can|will|does|do|did|is|are|was|were|has|have|"
    r"and if|what if|what about|how about|any)\b",
    re.IGNORECASE,
)


def is_follow_up_question(text: str) -> bool:
    """A reply that asks something (ends with "?" or opens like a question); "thanks!" is left alone."""
    text = text.strip()
    if len(text) < 8:
        return False
    return text.endswith("?") or bool(_QUESTION_OPENING.match(text)) and len(text.split()) >= 4
