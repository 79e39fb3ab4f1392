"""An admin DMs files with "ingest" and a kind: they are indexed on a brief worker and the admin gets a
summary per file in the thread (bot/file_ingest.py downloads them)."""

from __future__ import annotations

from typing import Any

from bot.answering import Ask
from bot.file_ingest import parse_request
from bot.runtime import BotRuntime
from outbound.text import escape, trim

INGEST_ADMINS_ONLY = ("Only admins can add material to the knowledge base. Ask the customer-experience lead, "
                      "or send them the file.")
INGEST_NO_FILE = "Attach the file to the same message as `ingest <kind>` (PDF, DOCX, Markdown, text, CSV or JSONL)."


def ingest_files(rt: BotRuntime, ask: Ask, event: dict[str, Any]) -> None:
    person = rt.access.person(ask.user)
    if not (person.internal and person.is_admin):
        rt.answerer.ephemeral(ask, INGEST_ADMINS_ONLY)
        return
    files = list(event.get("files") or [])
    if not files:
        _reply(rt, ask, INGEST_NO_FILE)
        return
    request = parse_request(ask.question)
    _reply(rt, ask, f":inbox_tray: Ingesting {len(files)} file(s)…")

    def job() -> None:
        results = rt.files.ingest(files, request)
        lines = []
        for result in results:
            name = escape(result.name)
            if result.problem:
                lines.append(f"• *{name}* {escape(result.problem)}")
                continue
            summary = result.summary
            assert summary is not None
            lines.append(f"• *{name}*: added {summary.added}, updated {summary.updated}, skipped {summary.skipped}, "
                         f"deleted {summary.deleted}, rejected {summary.rejected}")
            lines.extend(f"    ◦ {escape(str(r))}" for r in summary.rejections[:10])
        kind = request.kind or "inferred kind"
        visibility = "restricted" if request.restricted else "internal"
        _reply(rt, ask, trim(f"Ingested as {kind} ({visibility}):\n" + "\n".join(lines), 3900))

    if not rt.workers.submit(job):
        _reply(rt, ask, "I'm busy right now; send the file again in a minute.")


def _reply(rt: BotRuntime, ask: Ask, text: str) -> None:
    rt.poster.post(channel=ask.channel, thread_ts=ask.thread_ts, text=text, tries=2)
