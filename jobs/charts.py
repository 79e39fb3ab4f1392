"""A small keep-rate chart (PNG) for the manager digest: each period's rate against the best past one.

Drawn with matplotlib's object API on the Agg canvas: no pyplot global state, safe in scheduler
threads, no display needed.
"""

from __future__ import annotations

import io

from jobs.blocks import Chart
from knowledge.records.keep_rate import KeepRateReport


def keep_rate_chart(report: KeepRateReport, *, title: str) -> Chart | None:
    """None when no complete period has a rate (nothing to draw)."""
    periods = [p for p in report.periods if p.complete]
    if not any(p.rate is not None for p in periods):
        return None
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    labels = [p.label.split("-", 1)[1] for p in periods]
    rates = [100 * p.rate if p.rate is not None else 0.0 for p in periods]
    figure = Figure(figsize=(6, 2.4), dpi=100)
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    colours = ["#c0392b" if report.latest is p and report.below_best else "#2e86c1" for p in periods]
    axes.bar(labels, rates, color=colours)
    for position, period in enumerate(periods):
        if period.rate is None:
            axes.text(position, 2, "–", ha="center", fontsize=8, color="#666666")
    best = report.best_past
    if best is not None and best.rate is not None:
        axes.axhline(100 * best.rate, color="#1e8449", linestyle="--", linewidth=1.2)
        axes.text(len(periods) - 0.5, 100 * best.rate + 2, f"best {100 * best.rate:.0f}% ({best.label})",
                  ha="right", fontsize=8, color="#1e8449")
    axes.set_ylim(0, 110)
    axes.set_ylabel("kept on time %", fontsize=8)
    axes.set_title(title, fontsize=9)
    axes.tick_params(axis="both", labelsize=7)
    for side in ("top", "right"):
        axes.spines[side].set_visible(False)
    # Fixed margins: tight_layout would cost more than the rest of the chart together.
    figure.subplots_adjust(left=0.09, right=0.98, top=0.88, bottom=0.14)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return Chart(png=buffer.getvalue(), filename=f"keep-rate-{report.periods[-1].label}.png", title=title)
