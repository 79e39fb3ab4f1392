"""Retrying deliveries left pending: after a Slack failure, or a crash between "recorded" and "sent".

Runs every REMINDER_INTERVAL_MINUTES. Each pending delivery nobody holds (its lease expired) gets
one more attempt, which first looks in the DM for an earlier post carrying its key (jobs/delivery.py).
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from jobs.common import RunReport, now_utc
from jobs.parts import JobParts

log = logging.getLogger(__name__)

JOB_ID = "retry_deliveries"
# Deliveries older than this are no longer worth sending (next week's digest replaces them);
# they stay pending and are listed by `advocate digest status`.
MAX_AGE = timedelta(days=7)


def send(parts: JobParts, *, now: datetime) -> RunReport:
    report = RunReport(JOB_ID)
    ledger = parts.records.deliveries
    for key in ledger.outstanding(now=now, since=now - MAX_AGE):
        report.outcomes.append(parts.deliverer().attempt(key, now=now))
    return report


def run(parts: JobParts) -> None:
    """The scheduled job (fixed id `retry_deliveries`)."""
    report = send(parts, now=now_utc())
    if report.outcomes:
        log.info(report.line())
