"""The one chart style of unmask (report and web UI alike): fonts, colours, axes, ticks on round values.

A Vega-Lite ``config`` object. Titles, subtitles, source and note lines are not drawn by Vega: the page
sets them as text around the chart (searchable, translated, escaped like every other text), and
:meth:`unmask.report.charts.specs.Chart.vega_lite` folds title and subtitle back in for interactive use.
"""

from __future__ import annotations

from typing import Any

FONT = "DejaVu Sans, Verdana, Helvetica, Arial, sans-serif"
INK = "#1b1b1b"
MUTED = "#5c5c5c"
GRID = "#e3e3e3"
PALETTE = ("#b3261e", "#1f5f99", "#3b7a2a", "#a8740f", "#6b4c9a", "#4d4d4d")
"""Series colours, in order: the first is the series the chart is about."""
SEQUENTIAL = ("#fbe3dc", "#f4a58f", "#e0603f", "#b3261e", "#6e1411")
"""The map's scale, light to dark (share of visits)."""
EMPTY = "#ececec"
"""Countries without a value on the map."""
WIDTH = 640
HEIGHT = 240

CONFIG: dict[str, Any] = {
    "font": FONT,
    "background": "white",
    "padding": {"left": 4, "right": 12, "top": 8, "bottom": 4},
    "view": {"stroke": None},
    "range": {"category": list(PALETTE)},
    "axis": {
        "labelColor": MUTED,
        "labelFontSize": 11,
        "titleColor": INK,
        "titleFontSize": 11,
        "titleFontWeight": "normal",
        "domainColor": "#888",
        "tickColor": "#888",
        "gridColor": GRID,
        "labelOverlap": "greedy",
    },
    "axisX": {"grid": False, "labelAngle": 0, "titlePadding": 8},
    "axisY": {"domain": False, "ticks": False, "titlePadding": 10, "labelPadding": 6},
    "axisBand": {"grid": False},
    "legend": {"orient": "top", "labelFontSize": 11, "titleFontSize": 11, "labelColor": INK},
    "line": {"strokeWidth": 2},
    "point": {"filled": True, "size": 30},
    "bar": {"color": PALETTE[0]},
    "text": {"fontSize": 11, "color": INK},
    "rule": {"color": MUTED},
}
