"""The keep-rate text: last week's kept on time / closed against the best past week, and what is still open
past due beside it (the manager digest's team rate, and App Home's own and team rates)."""

from __future__ import annotations

from typing import Any

from slack_sdk.models.blocks import ImageBlock

from records.keep_rate import KeepRateReport

CHART_BLOCK_ID = "keep_rate_chart"
# The block that stands in the chart's place, its figures in words, when the chart cannot be shown.
CHART_FIGURES_BLOCK_ID = "keep_rate_chart_figures"
# Stands for the chart's Slack file id until the deliverer has uploaded it (jobs/chart_file.py).
CHART_FILE_PLACEHOLDER = "F0CHARTFILE"
MAX_ALT_TEXT = 2000
# How the alt text starts: it tells a screen reader what the image is, and says nothing once there is none.
ALT_TEXT_LEAD = "Bar chart, "


def keep_rate_text(report: KeepRateReport, *, title: str = "Team keep rate") -> str:
    latest, best = report.latest, report.best_past
    if latest is None or (latest.rate is None and not latest.overdue_open):
        return f"*{title}*\nNo promises fell due last week."
    if latest.rate is None:
        text = f"*{title}* last week ({latest.label}): none of the promises due was closed."
    else:
        text = (f"*{title}* last week ({latest.label}): *{latest.rate:.0%}* kept on time "
                f"({latest.kept_on_time} of {latest.closed} closed; {latest.kept_late} kept late, "
                f"{latest.broken} broken).")
    if latest.overdue_open:
        many = latest.overdue_open != 1
        text += (f"\n{latest.overdue_open} promise{'s' if many else ''} due last week "
                 f"{'are' if many else 'is'} still open past due: not in the rate until closed, "
                 "and already too late to be kept on time.")
    text += "\n" + report.best_past_text()
    if best is not None and best.rate is not None:
        if report.below_best:
            text += " :small_red_triangle_down: Below the best: the standard is the best week, not the average."
        elif latest.rate is not None:
            text += " :white_check_mark: At or above the best."
    if latest.customers:
        text += (f"\nCustomers: {latest.customers_all_kept} of {latest.customers} "
                 f"({latest.customer_rate:.0%}) had every promise kept on time.")
    return text


def chart_alt_text(report: KeepRateReport, *, title: str) -> str:
    """What the chart shows, in words: each complete period's rate with its counts, and the best past one."""
    unit = report.period_kind
    complete = [p for p in report.periods if p.complete]
    bars = [f"{p.label.split('-', 1)[1]} {p.rate:.0%} ({p.kept_on_time} of {p.closed})"
            for p in complete if p.rate is not None]
    text = f"{ALT_TEXT_LEAD}{title} (kept on time / closed): " + (", ".join(bars) or "nothing closed")
    empty = len(complete) - len(bars)
    if bars and empty:
        text += f"; the other {empty} {unit}{'s' if empty != 1 else ''} closed none"
    return (text + ". " + report.best_past_text())[:MAX_ALT_TEXT]


def chart_image_block(report: KeepRateReport, *, title: str) -> ImageBlock:
    """The chart inside the message; the deliverer puts the uploaded file's id in place of the placeholder."""
    return ImageBlock(block_id=CHART_BLOCK_ID, slack_file={"id": CHART_FILE_PLACEHOLDER}, title=title[:2000],
                      alt_text=chart_alt_text(report, title=title))


def with_chart_file(blocks: list[dict[str, Any]], file_id: str) -> list[dict[str, Any]]:
    """The blocks with the uploaded chart's file id in its image block (a copy; the stored payload stays)."""
    return [{**block, "slack_file": {"id": file_id}} if block.get("block_id") == CHART_BLOCK_ID else block
            for block in blocks]


def went_without_chart(block_ids: frozenset[str], images: int) -> bool:
    """Whether a message posted earlier is one sent without its chart: it carries the chart's figures in
    words and shows no image. Anything less certain counts as showing the chart."""
    return CHART_FIGURES_BLOCK_ID in block_ids and images == 0


def without_chart(blocks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The blocks with the chart's image block replaced by its figures in words (its alt text, as plain text,
    so that names and percentages show as written): for a message sent when the chart cannot be shown."""
    shown: list[dict[str, Any]] = []
    for block in blocks:
        if block.get("block_id") != CHART_BLOCK_ID:
            shown.append(block)
            continue
        figures = str(block.get("alt_text") or "").removeprefix(ALT_TEXT_LEAD).strip()
        if figures:
            shown.append({"type": "section", "block_id": CHART_FIGURES_BLOCK_ID,
                          "text": {"type": "plain_text", "text": figures[:1].upper() + figures[1:], "emoji": False}})
    return shown
