"""The inbox: an Events API delivery is recorded before Slack hears it was received, and taken up again on
the next start when the process stopped before its work ended.

Slack never redelivers an event it got a 200 for, so a process killed between the acknowledgement and the
answer would lose the question. The order is therefore:

1. `accept`: a row in `slack_inbox` (records), then the 200 (bot/server.py);
2. `deliver`: Bolt runs the listeners; a `WorkTally` in the context counts the work they start on the
   listener and brief pools (bot/workers.py);
3. when the last of that work ends, the row is removed.

On start, once the app can answer (`resume`), the rows a previous run on this host left, and any row older
than `STALE_AFTER` (a replica that never came back), are taken over (one process wins each row) and
delivered again. A taken-up event must not be answered twice when the first run got as far as posting:

- its claim in `slack_events` counts as its own when made after it was accepted (`BotRuntime.claim`);
- every message the work posts carries a key made of the event id and the post's place in the work
  (`EventPoster`); a taken-up work looks for each key in the conversation before posting, and reuses a
  message it finds. The brief itself replaces the placeholder (`chat.update`), so at most the brief is
  written again into the same message.

An event taken up `MAX_RESUMES` times without finishing (it stops the process every time) is dropped
with a warning.

Socket Mode deliveries take the same path (bot/socket_mode.py): recorded, then acknowledged over the
socket, then handed to Bolt.

Limits: a crash after the brief was delivered but before the row is removed (milliseconds) has the brief
written again into the same message, and recorded a second time in `slack_briefs`.
"""

from __future__ import annotations

import asyncio
import contextvars
import json
import logging
import os
import queue
import socket
import threading
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from slack_bolt import App
from slack_bolt.request import BoltRequest
from slack_sdk.errors import SlackApiError

from bot.workers import CURRENT_TALLY, TrackedExecutor, WorkTally
from outbound.poster import UNREACHABLE, OncePoster, Posted, PostUncertain
from records.clock import now_utc
from records.slack_records import SlackLedger

log = logging.getLogger(__name__)

# No event's work takes this long (briefs take seconds; the brief queue is bounded): a row older than this
# belongs to a process that stopped, whatever host it ran on.
STALE_AFTER = timedelta(minutes=15)
MAX_RESUMES = 3


def this_host() -> str:
    """What stays the same when this app restarts in place: the host name (a container's id, a pod's name)."""
    return os.environ.get("HOSTNAME") or socket.gethostname() or "localhost"


@dataclass
class AcceptedWork:
    """One accepted event's work, in the context of everything it runs (`current_work()`)."""

    event_id: str
    accepted_at: datetime
    resumed: bool  # taken up again after its first process stopped
    tally: WorkTally
    _posts: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def next_post_key(self) -> str:
        """The key of the work's next message: the same, post for post, when the work runs again."""
        with self._lock:
            self._posts += 1
            return f"{self.event_id}#{self._posts}"


_CURRENT_WORK: contextvars.ContextVar[AcceptedWork | None] = contextvars.ContextVar("advocate_accepted_work",
                                                                                   default=None)


def current_work() -> AcceptedWork | None:
    """The accepted event whose work the calling code is part of, if any."""
    return _CURRENT_WORK.get()


class EventPoster(OncePoster):
    """A `OncePoster` whose posts inside an accepted event's work carry keys derived from the event, so the
    work, taken up again after a crash, finds what it had posted instead of posting it a second time."""

    def post(self, *, channel: str, text: str, blocks: list[dict[str, Any]] | None = None,
             thread_ts: str | None = None, key: str | None = None, since: float | None = None,
             tries: int = 3, patient: bool = False) -> Posted:
        work = current_work()
        if work is None or key is not None:
            return super().post(channel=channel, text=text, blocks=blocks, thread_ts=thread_ts, key=key,
                                since=since, tries=tries, patient=patient)
        key, since = work.next_post_key(), work.accepted_at.timestamp()
        if work.resumed:
            try:
                found = self.find(channel, key, thread_ts=thread_ts, since=since)
            except (SlackApiError, *UNREACHABLE) as exc:  # cannot tell whether it is there: do not post again
                raise PostUncertain(exc) from exc
            if found is not None:
                log.info("event %s: its message %s was posted before the restart; not posting it again",
                         work.event_id, key)
                return found
        return super().post(channel=channel, text=text, blocks=blocks, thread_ts=thread_ts, key=key,
                            since=since, tries=tries, patient=patient)


class Inbox:
    """Accepts events durably, delivers them to Bolt on the event pool, and takes up what a crash left."""

    def __init__(self, *, ledger: SlackLedger, pool: TrackedExecutor) -> None:
        # Where accepted events and claims are recorded.
        self.ledger = ledger
        # The threads acknowledged events are handed to Bolt on.
        self.pool = pool
        self.host = this_host()
        self.owner = f"{self.host}/{uuid.uuid4().hex[:12]}"
        self.app: App | None = None  # set by `resume`: until then events are accepted and wait in the inbox
        self._writer = _GroupWriter(ledger=ledger, owner=self.owner)
        self._in_hand: set[str] = set()
        self._lock = threading.Lock()

    # -- on the event loop, before the acknowledgement -------------------------------------------------------
    async def accept(self, event_id: str, body: str) -> datetime | None:
        """Record the event; when it was accepted, or None when the inbox holds it already (a redelivery of
        an event still being handled). Raises when the records database cannot take it: then Slack must
        not hear it was received, and delivers it again later."""
        return await self._writer.accept(event_id, body)

    def accept_now(self, event_id: str, body: str) -> datetime | None:
        """`accept` for a caller on a thread of its own (Socket Mode's): written at once, in its own
        transaction."""
        return self.ledger.accept_events([(event_id, body)], owner=self.owner)[0]

    def start(self, event_id: str, request: BoltRequest, accepted_at: datetime) -> None:
        """Hand an accepted event (its request, built from the verified body) to Bolt, unless the app is not
        ready yet (`resume` will)."""
        with self._lock:
            if self.app is None or event_id in self._in_hand:
                return
            self._in_hand.add(event_id)
        self._submit(event_id, request, accepted_at, resumed=False)

    # -- once the app can answer --------------------------------------------------------------------------
    def resume(self, app: App) -> int:
        """Deliver what is waiting: events this host's previous run left unfinished, those accepted while this
        run warmed up, and stale ones of any host. From now on accepted events go straight to Bolt.
        Returns how many were taken up."""
        with self._lock:
            self.app = app
        escaped = self.host.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        taken = 0
        for event in self.ledger.unfinished_events(owners_like=f"{escaped}/%", stale_before=now_utc() - STALE_AFTER):
            if event.resumed >= MAX_RESUMES:
                log.warning("event %s was taken up %d times without finishing; dropped", event.event_id,
                            event.resumed)
                self._finish(event.event_id)
                continue
            with self._lock:
                if event.event_id in self._in_hand:
                    continue  # accepted by this run after it became ready: on its way already
                self._in_hand.add(event.event_id)
            if not self.ledger.take_event(event, owner=self.owner):
                with self._lock:
                    self._in_hand.discard(event.event_id)
                continue  # another process took it first
            resumed = event.owner != self.owner
            try:
                request = _request(event.body)
            except (AttributeError, TypeError, KeyError, IndexError, ValueError):  # read when accepted: a damaged row
                log.warning("event %s in the inbox cannot be read; dropped", event.event_id)
                self._finish(event.event_id)
                continue
            if resumed:
                log.warning("event %s was acknowledged but not finished before a restart; answering it now",
                            event.event_id)
            self._submit(event.event_id, request, event.accepted_at, resumed=resumed)
            taken += 1
        return taken

    # -- delivery -------------------------------------------------------------------------------------------------
    def _submit(self, event_id: str, request: BoltRequest, accepted_at: datetime, *, resumed: bool) -> None:
        try:
            self.pool.submit(self._deliver, event_id, request, accepted_at, resumed)
        except RuntimeError:  # shutting down: the row stays, the next start answers it
            log.warning("the app is stopping; event %s waits in the inbox for the next start", event_id)
            with self._lock:
                self._in_hand.discard(event_id)

    def _deliver(self, event_id: str, request: BoltRequest, accepted_at: datetime, resumed: bool) -> None:
        """Bolt runs the listeners of an event already acknowledged (its own answer goes nowhere)."""
        assert self.app is not None
        tally = WorkTally(finished=lambda: self._finish(event_id))
        work = AcceptedWork(event_id=event_id, accepted_at=accepted_at, resumed=resumed, tally=tally)
        work_token, tally_token = _CURRENT_WORK.set(work), CURRENT_TALLY.set(tally)
        try:
            response = self.app.dispatch(request)
            if response.status >= 400:
                log.warning("an acknowledged event was refused by Bolt (status %s)", response.status)
        except Exception:  # Bolt reports listener errors itself; this is Bolt failing
            log.exception("an acknowledged event could not be dispatched")
        finally:
            CURRENT_TALLY.reset(tally_token)
            _CURRENT_WORK.reset(work_token)
            tally.done()

    def _finish(self, event_id: str) -> None:
        try:
            self.ledger.finish_event(event_id)
        except Exception:  # the row stays: the next start looks again, and the claim keeps it answered once
            log.exception("could not remove event %s from the inbox", event_id)
        with self._lock:
            self._in_hand.discard(event_id)


def _request(body: str) -> BoltRequest:
    """The Bolt request of a recorded event. Its signature was checked when it was accepted (and would be
    stale now), so it is handed over as Socket Mode hands requests: parsed, not verified again."""
    return BoltRequest(body=json.loads(body), mode="socket_mode")


class _GroupWriter:
    """Writes accepted events on a thread of its own, every event that came meanwhile in one transaction.

    The event loop must not wait on the records database: with briefs keeping the cores busy a write
    takes milliseconds (SQLite: for the write lock), and 50 events at once, one after another, would hold
    the last acknowledgement for the sum of them. Here a burst costs about one commit."""

    def __init__(self, *, ledger: SlackLedger, owner: str) -> None:
        # Where the events are recorded.
        self.ledger = ledger
        # The process the events are recorded for.
        self.owner = owner
        self._queue: queue.SimpleQueue[tuple[str, str, asyncio.Future[datetime | None]]] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    async def accept(self, event_id: str, body: str) -> datetime | None:
        future: asyncio.Future[datetime | None] = asyncio.get_running_loop().create_future()
        self._start()
        self._queue.put((event_id, body, future))
        return await future

    def _start(self) -> None:
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="inbox-writer", daemon=True)
                self._thread.start()

    def _run(self) -> None:
        while True:
            batch = [self._queue.get()]
            while True:
                try:
                    batch.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            try:
                results = self.ledger.accept_events([(event_id, body) for event_id, body, _ in batch],
                                                    owner=self.owner)
            except Exception as exc:  # each request hears it (503): Slack delivers those events again
                for _, _, future in batch:
                    future.get_loop().call_soon_threadsafe(_settle, future, None, exc)
                continue
            for (_, _, future), accepted_at in zip(batch, results, strict=True):
                future.get_loop().call_soon_threadsafe(_settle, future, accepted_at, None)


def _settle(future: asyncio.Future[datetime | None], result: datetime | None, error: Exception | None) -> None:
    if future.done():  # the request went away meanwhile
        return
    if error is not None:
        future.set_exception(error)
    else:
        future.set_result(result)
