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
for `files.info` to report an image. When it never does, `ChartNotReady` says so and the deliverer sends
the digest without the chart, its figures as text (jobs/delivery.py): the unshared upload is shown nowhere.
"""

from __future__ import annotations

import time
from typing import Any

from slack_sdk.errors import SlackApiError

from outbound.poster import OncePoster
from records.deliveries import DeliveryLedger, DeliveryView

# Pauses between looks at files.info while Slack processes the upload (seconds, about 7 in all).
READY_PAUSES = (0.25, 0.5, 1.0, 2.0, 3.0)


class ChartNotReady(Exception):
    """Slack had not finished processing the chart within READY_PAUSES: the message goes without it."""


def chart_file_id(poster: OncePoster, ledger: DeliveryLedger, row: DeliveryView) -> str:
    """The id of the uploaded chart for `row`'s message: an earlier attempt's when Slack has it, else a new one."""
    assert row.chart_png is not None
    if row.chart_file_id is not None and _is_image(poster, row.chart_file_id):
        return row.chart_file_id
    chart: dict[str, Any] = row.payload.get("chart") or {}
    file_id, upload_url = poster.reserve_upload(filename=str(chart.get("filename", "chart.png")),
                                                length=len(row.chart_png))
    ledger.mark_chart(row.key, file_id)
    poster.upload_bytes(upload_url, row.chart_png)
    # No channel: the file is shared only by the message that shows it. Completing twice shows nothing
    # twice, so the retrying client may repeat this call.
    poster.client.files_completeUploadExternal(files=[{"id": file_id, "title": str(chart.get("title", "Chart"))}])
    for pause in READY_PAUSES:
        if _is_image(poster, file_id):
            return file_id
        time.sleep(pause)
    if _is_image(poster, file_id):
        return file_id
    raise ChartNotReady(f"Slack was still processing the chart {file_id} after {sum(READY_PAUSES):.0f} s")


def _is_image(poster: OncePoster, file_id: str) -> bool:
    try:
        found = poster.client.files_info(file=file_id)
    except SlackApiError as exc:
        if exc.response.get("error") in ("file_not_found", "file_deleted"):
            return False
        raise
    return str((found.get("file") or {}).get("mimetype", "")).startswith("image/")
