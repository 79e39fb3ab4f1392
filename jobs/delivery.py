"""Sending digests and reminders exactly once, through the delivery ledger.

The order of things, and why:

1. The intent — the exact message — is recorded (pending) before anything is sent.
2. A lease is claimed in one conditional UPDATE; a second scheduler running by mistake gets nothing.
3. If this is not the first attempt, the DM's history is searched for a message whose metadata carries
   the delivery key: an earlier attempt may have posted and crashed before recording it.
4. The message is posted with the key in its metadata; Slack's ts is recorded. A chart, if there is
   one, is shown inside the message: it is uploaded first, unshared, its file id recorded before the
   bytes go, and the message's image block names that file (jobs/chart_file.py). It appears only
   through the message, so it cannot appear twice. When Slack has not finished processing the upload
   after a bounded wait, or would not say whether it had (5xx, timeouts), the message goes without it,
   the chart's figures (its alt text) as text in its place, and a WARNING says so: a digest on time
   without its picture beats one held back for it.
5. The row is marked sent. A chart left out is then deleted, best effort: it is the upload this attempt
   made, and the message just posted does not show it, so no message can. So is an earlier attempt's
   upload this one replaced (no message carried the key, so none shows it). A failure to delete is
   logged and changes nothing recorded; a crash before it leaves the upload, shown nowhere.

Slack's side is the shared poster's (outbound/poster.py): `chat.postMessage` is never retried blindly:
after a 5xx or a dropped connection the history is checked first, since Slack may have acted before
failing. Rate limits (429) are waited out by the client. A failure leaves the row pending with the
error, and the retry job tries again; after DELIVERY_MAX_ATTEMPTS, or on an error retrying cannot
fix, it is marked failed and shown by `advocate digest status`. Nothing is dropped silently.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from slack_sdk.errors import SlackApiError

from jobs.chart_file import ChartNotReady, chart_file_id, delete_chart
from outbound.blocks import Message
from outbound.layouts.keep_rate import went_without_chart, with_chart_file, without_chart
from outbound.poster import UNREACHABLE, OncePoster, PostUncertain, describe, is_transient
from records.deliveries import DeliveryLedger, DeliveryView

log = logging.getLogger(__name__)

Status = Literal["sent", "recovered", "already_sent", "busy", "pending", "failed"]


@dataclass(frozen=True)
class Outcome:
    key: str
    status: Status
    detail: str = ""


class Deliverer:
    def __init__(
        self,
        *,
        ledger: DeliveryLedger,
        poster: OncePoster,
        lease: timedelta = timedelta(minutes=5),
        max_attempts: int = 5,
        post_tries: int = 3,
    ) -> None:
        # The exactly-once ledger in the records database.
        self.ledger = ledger
        # Posts, searches and uploads, never blindly twice (outbound/poster.py).
        self.poster = poster
        # How long a claim holds before another process may take the delivery over.
        self.lease = lease
        # Attempts before a delivery is marked failed.
        self.max_attempts = max_attempts
        # Posts tried within one attempt after ambiguous failures (history checked before each).
        self.post_tries = post_tries

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
            return self._failed(row, f"Slack answered {describe(exc)}", transient=is_transient(exc))
        except PostUncertain as exc:
            return self._failed(row, f"Slack did not confirm the message ({exc})", transient=True)
        except UNREACHABLE as exc:
            return self._failed(row, f"could not reach Slack ({describe(exc)})", transient=True)

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
            channel = self.poster.open_dm(payload["user"])
            self.ledger.mark_channel(row.key, channel)
        since = row.created_at.timestamp()
        ts = row.slack_ts
        recovered = False
        unshown: list[str] = []  # uploads this attempt knows no message shows: deleted once the digest is sent
        if ts is None and row.attempts > 1:
            # An earlier attempt got this far; it may have posted before it stopped.
            found = self.poster.find(channel, row.key, since=since)
            if found is not None:
                ts, recovered = found.ts, True
                self.ledger.mark_posted(row.key, channel=channel, ts=ts)
                if row.chart_file_id is not None and went_without_chart(found.block_ids, found.images):
                    # It went with the chart's figures in words: no message shows the upload.
                    unshown.append(row.chart_file_id)
        if ts is None:
            blocks = payload["blocks"]
            if row.chart_png:
                try:
                    used = chart_file_id(self.poster, self.ledger, row)
                    blocks = with_chart_file(blocks, used)
                except ChartNotReady as exc:
                    log.warning("delivery %s: %s; sending it without the chart, its figures as text", row.key, exc)
                    blocks, used = without_chart(blocks), exc.file_id
                    unshown.append(used)
                # An earlier attempt's upload replaced by a fresh one: no message carries this key, so none
                # shows it.
                if row.chart_file_id is not None and row.chart_file_id != used:
                    unshown.append(row.chart_file_id)
            ts = self.poster.post(channel=channel, text=payload["text"], blocks=blocks, key=row.key,
                                  since=since, tries=self.post_tries).ts
            self.ledger.mark_posted(row.key, channel=channel, ts=ts)
        self.ledger.mark_sent(row.key, now=now)
        for file_id in unshown:
            self._delete_unshown(row.key, file_id)
        return Outcome(row.key, "recovered" if recovered else "sent", ts)

    def _delete_unshown(self, key: str, file_id: str) -> None:
        """Delete a chart upload the sent digest does not show, so it does not linger in the workspace."""
        try:
            delete_chart(self.poster, file_id)
        except Exception as exc:  # the digest is sent and recorded: nothing here may turn it into a failure
            log.warning("delivery %s: could not delete the chart %s it does not show (%s); the file stays in the "
                        "workspace, shown in no message", key, file_id, describe(exc))
            return
        log.info("delivery %s: deleted the chart %s it does not show", key, file_id)
