"""Everything the listeners use, built once from the app's parts (`bot/parts.py`) and handed to Bolt.

Listeners are plain functions; they reach this through Bolt's `context["advocate"]` (put there by a
middleware in `bot.app`), never through a module global.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from slack_sdk import WebClient

from bot.access import AccessPolicy
from bot.answering import Answerer
from bot.feedback_channels import FeedbackChannels
from bot.file_ingest import FileIngest
from bot.inbox import EventPoster, Inbox, current_work
from bot.parts import BotParts
from bot.roster import AdvocateRotation
from bot.workers import BriefWorkers, TrackedExecutor
from records.slack_records import SlackLedger

log = logging.getLogger(__name__)

CONTEXT_KEY = "advocate"
# Slack redelivers an event for about an hour at most; ids older than this are forgotten.
FORGET_EVENTS_AFTER = timedelta(days=2)
PRUNE_EVERY_CLAIMS = 1000
EVENT_THREADS = 4


@dataclass(frozen=True)
class BotIdentity:
    """Who the bot is in the workspace (from auth.test at start)."""

    user_id: str
    bot_id: str
    team_id: str
    enterprise_id: str | None = None


class BotRuntime:
    def __init__(self, *, parts: BotParts, client: WebClient, identity: BotIdentity) -> None:
        # Settings, records, functions and the factories of the heavier parts.
        self.parts = parts
        # The Web API client (with slack_sdk's retry handlers).
        self.client = client
        # The bot's own user id, bot id and workspace.
        self.identity = identity
        self.settings = parts.settings
        self.records = parts.records
        settings = parts.settings
        self.listener_pool = TrackedExecutor(size=settings.listener_threads, name="listener")
        # HTTP mode hands acknowledged events to Bolt here (bot/server.py); Socket Mode leaves it idle. Bolt's
        # dispatch does no I/O, so a few threads keep up, and fewer threads wanting the GIL keeps acks quick.
        self.event_pool = TrackedExecutor(size=EVENT_THREADS, name="event")
        self.workers = BriefWorkers(size=settings.brief_workers, queue_limit=settings.brief_queue)
        self.ledger: SlackLedger = self.records.slack
        # Acknowledged events, recorded first, so a crash before their answer loses none (bot/inbox.py).
        self.inbox = Inbox(ledger=self.ledger, pool=self.event_pool)
        # Set once warmed up and the inbox taken up (bot/server.py `warm_up`): /readyz, and HTTP mode's
        # accepted events go straight to Bolt from then on.
        self.ready = threading.Event()
        # Posts at most once, even when Slack's answer is lost or the process restarts mid-event.
        self.poster = EventPoster.for_client(client)
        self.rotation = AdvocateRotation(records=self.records, functions=parts.functions)
        self.access = AccessPolicy(
            client=client, admins=settings.admin_ids, advocate_function=self.rotation.function_of
        )
        self.access.know_workspace(team_id=identity.team_id, enterprise_id=identity.enterprise_id)
        self.answerer = Answerer(
            client=client, advisor=parts.advisor, functions=parts.functions, access=self.access,
            rotation=self.rotation, ledger=self.ledger, workers=self.workers, bot_user_id=identity.user_id,
            poster=self.poster,
        )
        self.feedback = FeedbackChannels(
            client=client, ingestor=parts.ingestor, channels=settings.feedback_channel_ids,
            bot_user_id=identity.user_id, bot_id=identity.bot_id,
        )
        self.files = FileIngest(
            client=client, ingestor=parts.ingestor, token=settings.slack_bot_token.get_secret_value(),
            download_dir=settings.data_dir / "slack_files", api_url=settings.slack_api_url,
        )
        self._claims = 0
        self.forget_old_events()

    def first_delivery(self, body: dict[str, Any]) -> bool:
        """False when this event id was handled before (Slack redelivers; also across restarts)."""
        event_id = body.get("event_id")
        if not event_id:
            return True
        if self.claim(str(event_id)):
            self._claims += 1
            if self._claims % PRUNE_EVERY_CLAIMS == 0:
                self.forget_old_events()
            return True
        log.info("event %s was redelivered (retry %s); already handled", event_id, body.get("retry_attempt", "?"))
        return False

    def claim(self, key: str) -> bool:
        """Claim `key` (an event id, or a once-only action) for this work: False when it was handled before.
        Work taken up after a restart owns the claims its first run made."""
        work = current_work()
        return self.ledger.claim_event(key, resuming_since=work.accepted_at if work and work.resumed else None)

    def open(self, app: Any) -> int:
        """Ready to answer: deliver what waits in the inbox (a previous run's unfinished events, those
        accepted while warming up), and from now on every accepted event at once. Returns how many waited."""
        taken = 0
        try:
            taken = self.inbox.resume(app)
            if taken:
                log.warning("took up %d acknowledged event(s) that were waiting in the inbox", taken)
        except Exception:  # the rows stay for the next start; answering new questions matters more
            log.exception("could not take up the events waiting in the inbox")
        self.ready.set()
        return taken

    def forget_old_events(self) -> None:
        """Event ids older than Slack redelivers for only take room (at start, then every so many events)."""
        try:
            forgotten = self.ledger.forget_events(older_than=FORGET_EVENTS_AFTER)
            if forgotten:
                log.info("forgot %d handled event ids older than %s", forgotten, FORGET_EVENTS_AFTER)
        except Exception:  # tidying never stops an answer
            log.exception("could not forget old event ids")

    def wait_idle(self, timeout: float = 30.0) -> bool:
        """Wait until listeners and brief workers have nothing in flight (tests, benchmarks, shutdown)."""
        import time

        deadline = time.monotonic() + timeout
        stages = (self.event_pool.pending, self.listener_pool.pending, self.workers.pending)
        while time.monotonic() < deadline:
            for pending in stages:  # in the order work flows: an event starts a listener, which starts a brief
                if not pending.wait(max(0.0, deadline - time.monotonic())):
                    return False
            if all(pending.count == 0 for pending in stages):
                return True
        return False

    def close(self) -> None:
        self.event_pool.shutdown(wait=True)
        self.listener_pool.shutdown(wait=True)
        self.workers.shutdown(wait=True)


def runtime(context: Any) -> BotRuntime:
    return context[CONTEXT_KEY]
