"""The keep-rate chart: one reused figure draws exactly what a fresh one draws; equal series are drawn once."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from PIL import Image

from jobs.charts import KeepRateCharts, keep_rate_chart
from records.keep_rate import KeepRateReport, period_grid

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def report(kept: list[int | None], *, broken: int = 1) -> KeepRateReport:
    """Twelve past weeks: `kept` promises kept on time each (None: nothing closed that week) and `broken`."""
    grid = period_grid(NOW, "week", ZoneInfo("Europe/London"), 12)
    for period, count in zip(grid[:-1], kept, strict=True):
        if count is not None:
            period.kept_on_time, period.broken = count, broken
    return KeepRateReport("team:x", "week", grid)


def test_a_reused_figure_draws_exactly_what_a_fresh_one_draws() -> None:
    first = report([9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 3])  # below its best: the last bar is red
    second = report([4, None, 4, 6, 8, 2, 5, 7, 9, 1, 3, 9], broken=2)  # a week with nothing closed
    charts = KeepRateCharts()
    shared_first = charts.chart(first, title="A")
    shared_second = charts.chart(second, title="B")
    assert shared_first is not None and shared_second is not None
    alone_second = keep_rate_chart(second, title="B")
    assert alone_second is not None
    # Nothing of the first chart is left under the second: the pixels are the same as a fresh figure's.
    assert shared_second.png == alone_second.png
    assert shared_first.png != shared_second.png
    image = Image.open(io.BytesIO(shared_first.png))
    assert image.format == "PNG" and image.size == (600, 240)
    red = image.convert("RGB").getpixel((553, 200))  # the last bar, low down
    assert red == (0xC0, 0x39, 0x2B)
    assert shared_second.filename == "keep-rate-2026-W48.png" and shared_second.title == "B"


def test_equal_series_are_drawn_once_and_an_empty_report_has_no_chart() -> None:
    charts = KeepRateCharts()
    one = charts.chart(report([5] * 12), title="Kim's team")
    other = charts.chart(report([5] * 12), title="Sam's team")
    assert one is not None and other is not None
    assert one.png == other.png and (one.title, other.title) == ("Kim's team", "Sam's team")
    assert charts.drawn == 1
    assert charts.chart(report([None] * 12), title="nothing") is None
