"""A small keep-rate chart (PNG) for the manager digest: each period's rate against the best past one.

Drawn with matplotlib's object API on the Agg canvas: no pyplot global state, safe in scheduler
threads, no display needed.

A weekly run draws a chart for each of up to a thousand managers, and a figure of its own per chart
(~40–50 ms, nearly all of it ticks and text) put a run over its 60 s target. So `KeepRateCharts`
builds one figure per run, draws what every chart shares — axes, ticks, labels, title — once into a
background, and for each chart restores it and draws only the bars, the best-period line and its
label (matplotlib's blitting): ~5 ms a chart. The picture carries no names (the file's Slack title
does), so teams with the same series get the same PNG, drawn once. One `KeepRateCharts` serves one
run (`manager_digest.send` makes it); a lock keeps two threads from drawing on it at once.
"""

from __future__ import annotations

import io
import threading
from collections import OrderedDict
from typing import Any

from outbound.blocks import Chart
from records.keep_rate import KeepRateReport

IMAGE_TITLE = "Team keep rate by week: kept on time / closed"
BAR = "#2e86c1"
BAR_BELOW_BEST = "#c0392b"
BEST = "#1e8449"
# 600 × 240 px: Slack shows it whole in the message without scaling the labels away.
SIZE_INCHES = (6.0, 2.4)
DPI = 100
CACHE_SIZE = 256
COMPRESS_LEVEL = 3


ChartKey = tuple[tuple[str, ...], tuple[float | None, ...], tuple[str, ...], tuple[float, str] | None]


def chart_key(report: KeepRateReport) -> ChartKey | None:
    """What the picture shows, and nothing else: equal keys draw equal PNGs. None: nothing to draw."""
    periods = [p for p in report.periods if p.complete]
    if not any(p.rate is not None for p in periods):
        return None
    labels = tuple(p.label.split("-", 1)[1] for p in periods)
    rates = tuple(None if p.rate is None else round(100 * p.rate, 2) for p in periods)
    latest = report.latest
    colours = tuple(BAR_BELOW_BEST if latest is p and report.below_best else BAR for p in periods)
    best = report.best_past
    best_line = (round(100 * best.rate, 2), best.label) if best is not None and best.rate is not None else None
    return labels, rates, colours, best_line


class KeepRateCharts:
    """Draws keep-rate charts on one reused matplotlib figure; identical charts come from a cache."""

    def __init__(self, *, cache_size: int = CACHE_SIZE) -> None:
        # How many distinct PNGs to keep (about 17 kB each).
        self.cache_size = cache_size
        self._cache: OrderedDict[ChartKey, bytes] = OrderedDict()
        self._lock = threading.Lock()
        self._figure: _Figure | None = None
        self.drawn = 0  # charts rendered (not from the cache), for the benchmark and tests

    def chart(self, report: KeepRateReport, *, title: str) -> Chart | None:
        """The chart of one report (None when no complete period has a rate); `title` is the file's title."""
        key = chart_key(report)
        if key is None:
            return None
        with self._lock:
            png = self._cache.get(key)
            if png is None:
                png = self._draw(key)
                self._cache[key] = png
                if len(self._cache) > self.cache_size:
                    self._cache.popitem(last=False)
            else:
                self._cache.move_to_end(key)
        return Chart(png=png, filename=f"keep-rate-{report.periods[-1].label}.png", title=title)

    def _draw(self, key: ChartKey) -> bytes:
        labels = key[0]
        if self._figure is None or self._figure.bars != len(labels):
            self._figure = _Figure(len(labels))
        self.drawn += 1
        return self._figure.render(key)


class _Figure:
    """One figure with a fixed number of bars.

    What stays the same from chart to chart — axes, ticks, labels, title — is drawn once into a
    background kept in memory; each chart restores that background and draws only its own bars, gaps,
    best-period line and label over it (the way matplotlib animations blit), then encodes the pixels.
    Text is most of matplotlib's drawing time, and almost all the text is in the background.
    """

    def __init__(self, bars: int) -> None:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure

        self.bars = bars
        self.figure = Figure(figsize=SIZE_INCHES, dpi=DPI)
        self.canvas = FigureCanvasAgg(self.figure)
        axes = self.figure.add_subplot()
        self.axes = axes
        positions = list(range(bars))
        self.rects = list(axes.bar(positions, [0.0] * bars, color=BAR))
        self.gaps = [axes.text(x, 2, "–", ha="center", fontsize=8, color="#666666") for x in positions]
        self.best_line = axes.axhline(0, color=BEST, linestyle="--", linewidth=1.2)
        self.best_text = axes.text(bars - 0.5, 0, "", ha="right", fontsize=8, color=BEST)
        # Animated artists are left out of the full draw: they are drawn per chart over the background.
        self.dynamic = [*self.rects, *self.gaps, self.best_line, self.best_text]
        for artist in self.dynamic:
            artist.set_animated(True)
        axes.set_xlim(-0.6, bars - 0.4)
        axes.set_ylim(0, 110)
        axes.set_xticks(positions)
        axes.set_yticks([0, 20, 40, 60, 80, 100])
        axes.set_ylabel("kept on time %", fontsize=8)
        axes.set_title(IMAGE_TITLE, fontsize=9)
        axes.tick_params(axis="both", labelsize=7)
        for side in ("top", "right"):
            axes.spines[side].set_visible(False)
        # Fixed margins: tight_layout would cost more than the rest of the chart together.
        self.figure.subplots_adjust(left=0.09, right=0.98, top=0.88, bottom=0.14)
        self._labels: tuple[str, ...] | None = None
        self._background: Any = None

    def render(self, key: ChartKey) -> bytes:
        from PIL import Image

        labels, rates, colours, best = key
        if labels != self._labels:  # the period labels are the same for every chart of a run
            self.axes.set_xticklabels(labels)
            self.canvas.draw()
            self._background = self.canvas.copy_from_bbox(self.figure.bbox)
            self._labels = labels
        self.canvas.restore_region(self._background)
        for rect, gap, rate, colour in zip(self.rects, self.gaps, rates, colours, strict=True):
            rect.set_height(0.0 if rate is None else rate)
            rect.set_facecolor(colour)
            gap.set_visible(rate is None)
        self.best_line.set_visible(best is not None)
        self.best_text.set_visible(best is not None)
        if best is not None:
            value, label = best
            self.best_line.set_ydata([value, value])
            self.best_text.set_position((self.bars - 0.5, value + 2))
            self.best_text.set_text(f"best {value:.0f}% ({label})")
        for artist in self.dynamic:
            if artist.get_visible():
                self.axes.draw_artist(artist)
        self.axes.draw_artist(self.axes.spines["bottom"])  # the axis line stays on top of the bars
        width, height = self.canvas.get_width_height()
        image = Image.frombuffer("RGBA", (width, height), self.canvas.buffer_rgba(), "raw", "RGBA", 0, 1)
        buffer = io.BytesIO()
        # RGB (the background is opaque) at a light compression level: a third of the encoding time.
        image.convert("RGB").save(buffer, format="png", compress_level=COMPRESS_LEVEL)
        return buffer.getvalue()


def keep_rate_chart(report: KeepRateReport, *, title: str) -> Chart | None:
    """One chart on its own (a fresh figure); a run of many digests uses one `KeepRateCharts`."""
    return KeepRateCharts(cache_size=1).chart(report, title=title)
