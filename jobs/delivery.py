"""Sending digests and reminders exactly once, through the delivery ledger.

The order of things, and why:

1. The intent — the exact message — is recorded (pending) before anything is sent.
2. A lease is claimed in one conditional UPDATE; a second scheduler running by mistake gets nothing.
3. If this is not the first attempt, the DM's history is searched for a message whose metadata carries
   the delivery key: an earlier attempt may have posted and crashed before recording it.
4. The message is posted with the key in its metadata; Slack's ts is recorded.
5. The chart, if there is one, goes into the message's thread in the three steps `files_upload_v2`
   takes — reserve an upload (Slack gives its file id), send the bytes, complete it into the thread —
   and the file id is recorded in the ledger *before* the bytes go, so before anything can be shown.
   An attempt that finds a file id recorded first looks in the thread for that file: an earlier one
   may have shared it and stopped before closing the row. Found, it is not uploaded again.
6. The row is marked sent.

`chat.postMessage` and `files.completeUploadExternal` are never retried blindly: after a 5xx or a
dropped connection the history (or the thread) is checked first, since Slack may have acted before
failing. Rate limits (429) are waited out by the client. A failure leaves the row pending with the
error, and the retry job tries again; after DELIVERY_MAX_ATTEMPTS, or on an error retrying cannot
fix, it is marked failed and shown by `advocate digest status`. Nothing is dropped silently.
"""

from __future__ import annotations

import logging
import time
import urllib.request
from dataclasses import dataclass
from datetime import datetime, timedelta
from http.client import HTTPException
from typing import Any, Literal
from urllib.error import URLError

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackRequestError

from outbound.actions import METADATA_EVENT_TYPE
from outbound.blocks import Message
from records.deliveries import DeliveryLedger, DeliveryView, delivery_key

log = logging.getLogger(__name__)

Status = Literal["sent", "recovered", "already_sent", "busy", "pending", "failed"]
# Slack errors that a later attempt can get past.
TRANSIENT_ERRORS = frozenset({
    "ratelimited", "internal_error", "fatal_error", "service_unavailable", "request_timeout", "team_added_to_org",
})
HISTORY_PAGES = 5


@dataclass(frozen=True)
class Outcome:
    key: str
    status: Status
    detail: str = ""


class _Ambiguous(Exception):
    """chat.postMessage failed in a way that may have posted anyway."""

    def __init__(self, cause: Exception) -> None:
        super().__init__(str(cause))
        self.cause = cause


class Deliverer:
    def __init__(
        self,
        *,
        ledger: DeliveryLedger,
        client: WebClient,
        post_client: WebClient,
        lease: timedelta = timedelta(minutes=5),
        max_attempts: int = 5,
        post_tries: int = 3,
        pause_seconds: float = 1.0,
    ) -> None:
        # The exactly-once ledger in the records database.
        self.ledger = ledger
        # Slack client for everything but posting (retries 429, 5xx and dropped connections itself).
        self.client = client
        # Slack client for chat.postMessage: retries only 429; the deliverer handles the rest.
        self.post_client = post_client
        # How long a claim holds before another process may take the delivery over.
        self.lease = lease
        # Attempts before a delivery is marked failed.
        self.max_attempts = max_attempts
        # Posts tried within one attempt after ambiguous failures (history checked before each).
        self.post_tries = post_tries
        # Seconds between those tries (multiplied by the try number).
        self.pause_seconds = pause_seconds

    def deliver(
        self,
        *,
        kind: str,
        recipient: str,
        period: str,
        slack_user_id: str | None,
        message: Message,
        now: datetime,
    ) -> Outcome:
        """Record the intent for (kind, recipient, period) and send it unless it was already."""
        payload: dict[str, Any] = {**message.payload(), "user": slack_user_id}
        chart = message.chart.png if message.chart else None
        if not slack_user_id:
            error = (f"{recipient} has no Slack user id: add a slack_user_id column to the staff CSV and "
                     "run `advocate staff import` again")
            row, _ = self.ledger.record_intent(kind=kind, recipient=recipient, period=period, payload=payload,
                                               chart_png=chart, status="failed", error=error, now=now)
            return Outcome(row.key, "already_sent" if row.status == "sent" else "failed", row.last_error or error)
        message.validate()
        row, _ = self.ledger.record_intent(kind=kind, recipient=recipient, period=period, payload=payload,
                                           chart_png=chart, now=now)
        if row.status == "sent":
            return Outcome(row.key, "already_sent")
        if row.status == "failed":
            return Outcome(row.key, "failed", row.last_error or "")
        return self.attempt(row.key, now=now)

    def attempt(self, key: str, *, now: datetime) -> Outcome:
        """One attempt at a recorded delivery (also what the retry job calls)."""
        row = self.ledger.claim(key, now=now, lease=self.lease)
        if row is None:
            current = self.ledger.get(key)
            if current is None:
                return Outcome(key, "failed", "no such delivery")
            if current.status == "sent":
                return Outcome(key, "already_sent")
            if current.status == "failed":
                return Outcome(key, "failed", current.last_error or "")
            return Outcome(key, "busy", "another process holds this delivery")
        try:
            return self._send(row, now=now)
        except SlackApiError as exc:
            error = str(exc.response.get("error") or f"HTTP {exc.response.status_code}")
            transient = exc.response.status_code >= 500 or exc.response.status_code == 429 or error in TRANSIENT_ERRORS
            return self._failed(row, f"Slack answered {error}", transient=transient)
        except _Ambiguous as exc:
            return self._failed(row, f"Slack did not confirm the message ({_describe(exc.cause)})", transient=True)
        except (SlackRequestError, URLError, HTTPException, OSError) as exc:
            return self._failed(row, f"could not reach Slack ({_describe(exc)})", transient=True)

    def _failed(self, row: DeliveryView, error: str, *, transient: bool) -> Outcome:
        failed = not transient or row.attempts >= self.max_attempts
        self.ledger.release(row.key, error=error, failed=failed)
        if failed:
            log.error("delivery %s failed after %d attempt(s): %s", row.key, row.attempts, error)
        else:
            log.warning("delivery %s stays pending (attempt %d): %s", row.key, row.attempts, error)
        return Outcome(row.key, "failed" if failed else "pending", error)

    def _send(self, row: DeliveryView, *, now: datetime) -> Outcome:
        payload = row.payload
        channel = row.slack_channel
        if channel is None:
            opened = self.client.conversations_open(users=payload["user"])
            channel = str(opened["channel"]["id"])
            self.ledger.mark_channel(row.key, channel)
        ts = row.slack_ts
        recovered = False
        if ts is None and row.attempts > 1:
            # An earlier attempt got this far; it may have posted before it stopped.
            ts = self.find_posted(channel, row.key, since=row.created_at)
            if ts is not None:
                recovered = True
                self.ledger.mark_posted(row.key, channel=channel, ts=ts)
        if ts is None:
            ts = self._post(channel, row)
            self.ledger.mark_posted(row.key, channel=channel, ts=ts)
        if row.chart_png:
            self._share_chart(row, channel=channel, ts=ts)
        self.ledger.mark_sent(row.key, now=now)
        return Outcome(row.key, "recovered" if recovered else "sent", ts)

    def _share_chart(self, row: DeliveryView, *, channel: str, ts: str) -> None:
        """The chart into the message's thread, once: its file id is in the ledger before it can be seen."""
        assert row.chart_png is not None
        if row.chart_file_id is not None and self.chart_in_thread(channel, ts, row.chart_file_id):
            return  # an earlier attempt shared it and stopped before the row was closed
        # Nothing of an earlier attempt is in the thread: whatever it reserved was never shown, and
        # Slack drops uploads that are not completed. Start afresh.
        chart = row.payload.get("chart") or {}
        reserved = self.client.files_getUploadURLExternal(
            filename=str(chart.get("filename", "chart.png")), length=len(row.chart_png)
        )
        file_id, upload_url = str(reserved["file_id"]), str(reserved["upload_url"])
        self.ledger.mark_chart(row.key, file_id)
        self._upload_bytes(upload_url, row.chart_png)
        # Slack may share the file and still answer 5xx: no blind retry (post_client), the next attempt
        # looks in the thread for this file id first.
        self.post_client.files_completeUploadExternal(
            files=[{"id": file_id, "title": str(chart.get("title", "Chart"))}], channel_id=channel, thread_ts=ts,
        )

    def _upload_bytes(self, url: str, data: bytes) -> None:
        """Step 2 of an upload: the bytes to the URL Slack gave (what files_upload_v2 does)."""
        request = urllib.request.Request(url, data=data, method="POST",
                                         headers={"Content-Type": "application/octet-stream"})
        handlers: list[urllib.request.BaseHandler] = [urllib.request.HTTPSHandler(context=self.client.ssl)]
        if self.client.proxy:
            handlers.append(urllib.request.ProxyHandler({"http": self.client.proxy, "https": self.client.proxy}))
        opener = urllib.request.build_opener(*handlers)
        with opener.open(request, timeout=self.client.timeout) as response:
            if response.status != 200:
                raise SlackRequestError(f"the chart upload answered HTTP {response.status}")

    def chart_in_thread(self, channel: str, ts: str, file_id: str) -> bool:
        """Whether the file with this id was shared into the message's thread."""
        cursor: str | None = None
        for _ in range(HISTORY_PAGES):
            response = self.client.conversations_replies(channel=channel, ts=ts, limit=200, cursor=cursor)
            for message in response.get("messages") or []:
                if any(str(f.get("id")) == file_id for f in message.get("files") or []):
                    return True
            cursor = (response.get("response_metadata") or {}).get("next_cursor") or None
            if not cursor:
                return False
        return False

    def _post(self, channel: str, row: DeliveryView) -> str:
        last: Exception | None = None
        for attempt in range(self.post_tries):
            if attempt:
                time.sleep(self.pause_seconds * attempt)
                found = self.find_posted(channel, row.key, since=row.created_at)
                if found is not None:
                    return found
            try:
                response = self.post_client.chat_postMessage(
                    channel=channel,
                    text=row.payload["text"],
                    blocks=row.payload["blocks"],
                    metadata={"event_type": METADATA_EVENT_TYPE, "event_payload": {"delivery_key": row.key}},
                    unfurl_links=False,
                    unfurl_media=False,
                )
                return str(response["ts"])
            except SlackApiError as exc:
                status = exc.response.status_code
                if status < 500 and exc.response.get("error") not in TRANSIENT_ERRORS - {"ratelimited"}:
                    raise
                last = exc
            except (URLError, HTTPException, ConnectionError, TimeoutError) as exc:
                last = exc
        assert last is not None
        raise _Ambiguous(last)

    def find_posted(self, channel: str, key: str, *, since: datetime) -> str | None:
        """The ts of a message in the DM carrying this delivery key, if one was posted."""
        cursor: str | None = None
        oldest = f"{since.timestamp() - 60:.6f}"
        for _ in range(HISTORY_PAGES):
            response = self.client.conversations_history(
                channel=channel, oldest=oldest, include_all_metadata=True, limit=200, cursor=cursor
            )
            for message in response.get("messages") or []:
                metadata = message.get("metadata") or {}
                if (metadata.get("event_type") == METADATA_EVENT_TYPE
                        and (metadata.get("event_payload") or {}).get("delivery_key") == key):
                    return str(message["ts"])
            cursor = (response.get("response_metadata") or {}).get("next_cursor") or None
            if not cursor:
                return None
        return None


def _describe(exc: BaseException) -> str:
    if isinstance(exc, SlackApiError):
        return str(exc.response.get("error") or f"HTTP {exc.response.status_code}")
    return type(exc).__name__ + (f": {exc.reason}" if isinstance(exc, URLError) else "")


def key_of(kind: str, recipient: str, period: str) -> str:
    return delivery_key(kind, recipient, period)
