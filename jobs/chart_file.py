"""The digest's chart as a Slack file shown inside the message: an image block with `slack_file: {"id": …}`.

The layout puts an image block whose file id is a placeholder (`outbound/layouts/keep_rate.py`); before
the message is posted, the chart is uploaded with Slack's three steps — reserve (Slack gives the file id),
send the bytes, complete it *without* a channel, so the file is shown nowhere on its own — and the
placeholder becomes that id. The file id is recorded in the delivery ledger before the bytes go.

Exactly once: the chart appears only through the message, and the message is posted once (the
deliverer's history check), so a retry can never show it twice. An attempt that stopped after
uploading leaves its file id recorded; the next attempt reuses that file when Slack knows it as an image,
and otherwise uploads afresh (the earlier one was never shown).

Slack finishes processing an upload asynchronously, and an image block naming a file it has not yet
processed is refused (`invalid_blocks`: "invalid slack file"), so the upload waits — briefly, about 7 s —
for `files.info` to report an image. A look Slack does not answer (5xx, rate limit, timeout, no
connection) counts as "not yet"; an answer saying the request is wrong (invalid_auth, missing_scope, …)
is raised, and the deliverer fails the delivery at once as for any other call. When no look reports an
image, `ChartNotReady` says so and the deliverer sends the digest without the chart, its figures as text,
then deletes the upload (`delete_chart`), which no message shows (jobs/delivery.py).
"""

from __future__ import annotations

import time
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from outbound.client import make_look_client, with_patience
from outbound.poster import UNREACHABLE, OncePoster, describe, is_transient
from records.deliveries import DeliveryLedger, DeliveryView

# Pauses between looks at files.info while Slack processes the upload (seconds, about 7 in all).
READY_PAUSES = (0.25, 0.5, 1.0, 2.0, 3.0)
# Seconds one look waits for Slack's answer (or out a rate limit): a look not answered in time counts as
# "not yet", so a Slack that hangs holds the digest for at most the pauses and six of these (about 19 s).
LOOK_SECONDS = 2.0
# Seconds deleting an unshown upload is retried: cleanup after the digest is sent, never worth minutes.
DELETE_SECONDS = 10.0
# What Slack answers for a file that is not (or no longer) there.
GONE_ERRORS = frozenset({"file_not_found", "file_deleted"})


class ChartNotReady(Exception):
    """No look within READY_PAUSES found the chart processed (or Slack did not answer): the message goes without it."""

    def __init__(self, message: str, *, file_id: str) -> None:
        super().__init__(message)
        # The upload this attempt made and completed: shown by no message, so deleted once the digest is sent.
        self.file_id = file_id


def chart_file_id(poster: OncePoster, ledger: DeliveryLedger, row: DeliveryView) -> str:
    """The id of the uploaded chart for `row`'s message: an earlier attempt's when Slack has it, else a new one."""
    assert row.chart_png is not None
    looker = make_look_client(poster.client, LOOK_SECONDS)
    if row.chart_file_id is not None and _known_image(looker, row.chart_file_id):
        return row.chart_file_id
    chart: dict[str, Any] = row.payload.get("chart") or {}
    file_id, upload_url = poster.reserve_upload(filename=str(chart.get("filename", "chart.png")),
                                                length=len(row.chart_png))
    ledger.mark_chart(row.key, file_id)
    poster.upload_bytes(upload_url, row.chart_png)
    # No channel: the file is shared only by the message that shows it. Completing twice shows nothing
    # twice, so the retrying client may repeat this call.
    poster.client.files_completeUploadExternal(files=[{"id": file_id, "title": str(chart.get("title", "Chart"))}])
    unanswered: Exception | None = None  # why the last look got no answer, if it got none
    started = time.monotonic()
    for pause in (*READY_PAUSES, None):
        try:
            if _is_image(looker, file_id):
                return file_id
            unanswered = None
        except (SlackApiError, *UNREACHABLE) as exc:
            if not is_transient(exc):
                raise
            unanswered = exc
        if pause is not None:
            time.sleep(pause)
    waited = f"{time.monotonic() - started:.0f} s"
    if unanswered is not None:
        raise ChartNotReady(f"Slack did not answer whether the chart {file_id} was processed "
                            f"({describe(unanswered)}) for {waited}", file_id=file_id)
    raise ChartNotReady(f"Slack was still processing the chart {file_id} after {waited}", file_id=file_id)


def delete_chart(poster: OncePoster, file_id: str) -> None:
    """Delete an upload that no message shows. Deleting twice deletes nothing more, so 5xx answers and dropped
    connections are retried, for DELETE_SECONDS; a file already gone counts as deleted. Raises SlackApiError
    or an UNREACHABLE error when Slack would not delete it."""
    try:
        with_patience(poster.client, DELETE_SECONDS).files_delete(file=file_id)
    except SlackApiError as exc:
        if exc.response.get("error") not in GONE_ERRORS:
            raise


def _known_image(client: WebClient, file_id: str) -> bool:
    """Whether Slack knows an earlier attempt's upload as an image; no answer counts as no (a fresh upload
    is made, and the earlier one was never shown)."""
    try:
        return _is_image(client, file_id)
    except (SlackApiError, *UNREACHABLE) as exc:
        if not is_transient(exc):
            raise
        return False


def _is_image(client: WebClient, file_id: str) -> bool:
    try:
        found = client.files_info(file=file_id)
    except SlackApiError as exc:
        if exc.response.get("error") in GONE_ERRORS:
            return False
        raise
    return str((found.get("file") or {}).get("mimetype", "")).startswith("image/")
