"""Vega-Lite specifications of the report's charts, built from plain rows (no pandas).

Each builder returns a :class:`Chart`: the spec (data inline) plus the text the page sets around it —
a title that states the finding, a subtitle saying what is shown and in which unit, the source line
naming the run or import, and a note (a partial period, a change marked). The web UI renders the same
specs interactively (:meth:`Chart.vega_lite`).

Conventions of the one style: months on a UTC time axis with ticks on whole years or quarters, counts on
round ticks from zero, a partial last period drawn dashed and labelled, annotations as a thin rule with a
short label, series labelled directly at their end instead of a legend where there are few.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from unmask.report.charts.style import CONFIG, EMPTY, HEIGHT, MUTED, SEQUENTIAL, WIDTH


@dataclass(frozen=True)
class Chart:
    key: str
    """Unique in the page (its SVG ids are prefixed with it)."""
    title: str
    subtitle: str
    source: str
    spec: dict[str, Any]
    note: str = ""

    def vega_lite(self) -> dict[str, Any]:
        """The complete spec for interactive use: title, subtitle and the style's config included."""
        return {
            "$schema": "https://vega.github.io/schema/vega-lite/v5.json",
            **self.spec,
            "title": {"text": self.title, "subtitle": self.subtitle, "anchor": "start"},
            "config": CONFIG,
        }


@dataclass(frozen=True)
class Series:
    name: str
    values: Sequence[float | None]
    """One value per period (None: no value there, the line is broken)."""


@dataclass(frozen=True)
class Mark:
    """An annotation: a thin rule at ``at`` (a month "YYYY-MM" or a day "YYYY-MM-DD") with a label."""

    at: str
    label: str


@dataclass(frozen=True)
class Axes:
    x: str
    y: str
    y_format: str = ",.0f"


@dataclass(frozen=True)
class Partial:
    """The last period is partial: drawn dashed and labelled."""

    label: str


@dataclass(frozen=True)
class Text:
    """The text around a chart."""

    title: str
    subtitle: str
    source: str
    note: str = ""


TICKS = 5
"""Ticks on a value axis; the scale ends on a tick (round values, the top one included)."""


def _day(period: str) -> str:
    return period if len(period) > 7 else f"{period}-01"


def _time_x(periods: Sequence[str], title: str) -> dict[str, Any]:
    """A UTC month axis: ticks on years (every second year past 12), or on quarters for short spans."""
    n = len(periods)
    if n > 36:
        ticks: dict[str, Any] = {"interval": "year", "step": 2 if n > 144 else 1}
        fmt = "%Y"
    elif n > 12:
        ticks, fmt = {"interval": "month", "step": 3}, "%b %Y"
    else:
        ticks, fmt = {"interval": "month", "step": 1}, "%b %Y"
    return {
        "field": "t",
        "type": "temporal",
        "scale": {"type": "utc"},
        "title": title,
        "axis": {"tickCount": ticks, "format": fmt, "labelFlush": True},
    }


def _y(axes: Axes) -> dict[str, Any]:
    return {
        "field": "v",
        "type": "quantitative",
        "title": axes.y,
        "scale": {"nice": TICKS, "zero": True},
        "axis": {"format": axes.y_format, "tickMinStep": 1, "tickCount": TICKS},
    }


def _marks(marks: Sequence[Mark]) -> list[dict[str, Any]]:
    if not marks:
        return []
    values = [{"t": _day(m.at), "label": m.label} for m in marks]
    x = {"field": "t", "type": "temporal"}
    return [
        {
            "data": {"values": values},
            "mark": {"type": "rule", "strokeDash": [2, 2], "color": MUTED},
            "encoding": {"x": x},
        },
        {
            "data": {"values": values},
            "mark": {"type": "text", "align": "left", "dx": 3, "y": 2, "baseline": "top", "color": MUTED},
            "encoding": {"x": x, "text": {"field": "label"}},
        },
    ]


LABEL_GAP_PX = 14
"""Least vertical distance, in pixels, between two line-end labels (11 px bold text and a little air)."""


def _last(values: Sequence[float | int | None]) -> float | None:
    return next((float(v) for v in reversed(values) if v is not None), None)


def _tick_increment(start: float, stop: float, count: int) -> float:
    """d3-array's tickIncrement (Vega's linear ``nice`` uses it): a step of 1, 2 or 5 times a power of ten;
    negative for steps below 1 (its reciprocal)."""
    step = (stop - start) / max(0, count)
    power = math.floor(math.log10(step))
    error = step / 10**power
    factor = (
        10 if error >= math.sqrt(50) else 5 if error >= math.sqrt(10) else 2 if error >= math.sqrt(2) else 1
    )
    return factor * 10**power if power >= 0 else -(10**-power) / factor


def nice_top(high: float, count: int) -> float:
    """The top of the domain Vega gives ``scale: {nice: count, zero: true}`` over values up to ``high``
    (d3-scale's linear ``nice``)."""
    if high <= 0:
        return 0.0
    start, stop, previous = 0.0, high, None
    for _ in range(10):
        step = _tick_increment(start, stop, count)
        if step == previous:
            break
        if step > 0:
            stop = math.ceil(stop / step) * step
        elif step < 0:
            stop = math.floor(stop * step) / step
        else:
            break
        previous = step
    return stop


def dodge(
    ends: Sequence[tuple[str, float]], top: float, height: float, gap: float
) -> list[tuple[str, float]]:
    """Label positions (in data units) for line ends, each as near its end as can be with at least ``gap``
    pixels between any two, kept inside the plot; equal ends keep the series' order, top to bottom."""
    if not ends:
        return []
    unit = (top or 1.0) / height  # data units per pixel
    step = gap * unit
    order = sorted(range(len(ends)), key=lambda i: (-ends[i][1], i))
    ys = [ends[i][1] for i in order]
    for k in range(1, len(ys)):  # top down: each at least a step below the one above
        ys[k] = min(ys[k], ys[k - 1] - step)
    if ys[-1] < 0:  # below the plot: the lowest at 0, the rest pushed up
        ys[-1] = 0.0
        for k in range(len(ys) - 2, -1, -1):
            ys[k] = max(ys[k], ys[k + 1] + step)
    return [(ends[i][0], y) for i, y in sorted(zip(order, ys, strict=True))]


def time_series(
    key: str,
    text: Text,
    periods: Sequence[str],
    series: Sequence[Series],
    axes: Axes,
    *,
    partial: Partial | None = None,
    area: bool = False,
    marks: Sequence[Mark] = (),
    points: bool = False,
) -> Chart:
    """Lines over months (``periods`` "YYYY-MM"), one per series, labelled at their end."""
    rows = []
    last = len(periods) - 1
    for s in series:
        for i, (period, value) in enumerate(zip(periods, s.values, strict=True)):
            if value is None:
                continue
            rows.append(
                {
                    "t": _day(period),
                    "v": value,
                    "s": s.name,
                    "partial": bool(partial) and i == last,
                    "tail": bool(partial) and i >= last - 1,
                }
            )
    colour = {"field": "s", "type": "nominal", "legend": None, "sort": [s.name for s in series]}
    y_axis = _y(axes)
    top = nice_top(max((float(v) for s in series for v in s.values if v is not None), default=0.0), TICKS)
    if len(series) > 1:  # the domain Vega would choose, fixed: end labels can be dodged
        top = top or 1.0  # all zero: a scale from 0 to 1 (not a degenerate one)
        y_axis["scale"] = {"domain": [0, top], "nice": False, "zero": True}
    enc = {"x": _time_x(periods, axes.x), "y": y_axis, "color": colour}
    mark: dict[str, Any] = {"type": "area", "line": True, "opacity": 0.18} if area else {"type": "line"}
    if points:
        mark["point"] = True
    layers: list[dict[str, Any]] = [
        {"transform": [{"filter": "!datum.partial"}], "mark": mark, "encoding": enc},
    ]
    if partial:
        layers.append(
            {
                "transform": [{"filter": "datum.tail"}],
                "mark": {"type": "line", "strokeDash": [4, 3]},
                "encoding": enc,
            }
        )
        layers.append(
            {
                "transform": [{"filter": "datum.partial"}],
                "mark": {"type": "point", "shape": "circle", "filled": False, "size": 40},
                "encoding": enc,
            }
        )
    if len(series) > 1:  # each series named at its end, labels moved apart where their ends are close
        end_at = {r["s"]: r["t"] for r in rows}
        ends = [(s.name, v) for s in series if (v := _last(s.values)) is not None]
        labels = [
            {"t": end_at[name], "ly": ly, "s": name} for name, ly in dodge(ends, top, HEIGHT, LABEL_GAP_PX)
        ]
        layers.append(
            {
                "data": {"values": labels},
                "mark": {
                    "type": "text",
                    "align": "left",
                    "dx": 6,
                    "fontWeight": "bold",
                    "baseline": "middle",
                },
                "encoding": {
                    "x": enc["x"],
                    "y": {**y_axis, "field": "ly"},
                    "color": colour,
                    "text": {"field": "s"},
                },
            }
        )
    elif partial:
        layers.append(
            {
                "transform": [{"filter": "datum.partial"}],
                "mark": {"type": "text", "align": "right", "dy": -10, "color": MUTED},
                "encoding": {"x": enc["x"], "y": enc["y"], "text": {"value": partial.label}},
            }
        )
    layers.extend(_marks(marks))
    spec = {
        "width": WIDTH - (110 if len(series) > 1 else 0),
        "height": HEIGHT,
        "data": {"values": rows},
        "layer": layers,
    }
    return Chart(key, text.title, text.subtitle, text.source, spec, text.note)


def bars(
    key: str,
    text: Text,
    labels: Sequence[str],
    series: Sequence[Series],
    axes: Axes,
    *,
    partial_last: str | None = None,
) -> Chart:
    """Vertical bars, one per label (grouped when several series; a legend names them)."""
    rows = [
        {
            "x": label,
            "v": value or 0,
            "s": s.name,
            "partial": partial_last is not None and i == len(labels) - 1,
        }
        for s in series
        for i, (label, value) in enumerate(zip(labels, s.values, strict=True))
    ]
    enc: dict[str, Any] = {
        "x": {
            "field": "x",
            "type": "ordinal",
            "sort": list(labels),
            "title": axes.x,
            "axis": {"labelAngle": 0},
        },
        "y": _y(axes),
        "color": {
            "field": "s",
            "type": "nominal",
            "sort": [s.name for s in series],
            "legend": {"title": None} if len(series) > 1 else None,
        },
        "opacity": {"condition": {"test": "datum.partial", "value": 0.4}, "value": 1},
    }
    if len(series) > 1:
        enc["xOffset"] = {"field": "s", "sort": [s.name for s in series]}
    spec = {
        "width": WIDTH,
        "height": HEIGHT,
        "data": {"values": rows},
        "mark": {"type": "bar", "width": {"band": 0.8 / max(1, len(series))}},
        "encoding": enc,
    }
    return Chart(key, text.title, text.subtitle, text.source, spec, text.note)


@dataclass(frozen=True)
class Span:
    group: str
    label: str
    start: str
    """ISO 8601 time."""
    end: str


def timeline(key: str, text: Text, spans: Sequence[Span], x_title: str, marks: Sequence[Mark] = ()) -> Chart:
    """One bar per row from its start to its end (infrastructure over time), coloured by group."""
    labels = list(dict.fromkeys(s.label for s in spans))
    rows = [{"g": s.group, "y": s.label, "t": s.start, "t2": s.end} for s in spans]
    spec = {
        "width": WIDTH - 260,
        "height": {"step": 16},
        "data": {"values": rows},
        "layer": [
            {
                "mark": {"type": "bar", "minBandSize": 3, "cornerRadius": 1},
                "encoding": {
                    "x": {"field": "t", "type": "temporal", "scale": {"type": "utc"}, "title": x_title},
                    "x2": {"field": "t2"},
                    "y": {"field": "y", "type": "nominal", "sort": labels, "title": None,
                          "axis": {"labelLimit": 250}},
                    "color": {"field": "g", "type": "nominal", "legend": None},
                },
            },
            *_marks(marks),
        ],
    }  # fmt: skip
    return Chart(key, text.title, text.subtitle, text.source, spec, text.note)


MAP_HEIGHT = 320
"""The whole globe fits the chart (Equal Earth); Antarctica is left out."""


@cache
def world() -> dict[str, Any]:
    """Natural Earth's 1:110m countries as TopoJSON, each country's id its ISO 3166-1 alpha-2 code
    (charts/data/world-110m.json; see SOURCE.md there)."""
    data: dict[str, Any] = json.loads((Path(__file__).parent / "data" / "world-110m.json").read_text("utf-8"))
    return data


def world_map(key: str, text: Text, shares: dict[str, float], names: dict[str, str], legend: str) -> Chart:
    """Countries shaded by their share (0–1); countries without a share in light grey."""
    values = [
        {"id": code.upper(), "share": share, "name": names.get(code.upper(), code)}
        for code, share in shares.items()
    ]
    topo = {"values": world(), "format": {"type": "topojson", "feature": "countries"}}
    land = {"filter": "datum.id !== 'AQ'"}
    outline = {"type": "geoshape", "stroke": "white", "strokeWidth": 0.5}
    fields = ["share", "name"]
    spec = {
        "width": WIDTH,
        "height": MAP_HEIGHT,
        "projection": {"type": "equalEarth", "fit": {"type": "Sphere"}},
        "layer": [
            {"data": topo, "transform": [land], "mark": {**outline, "fill": EMPTY}},
            {
                "data": topo,
                "transform": [
                    land,
                    {"lookup": "id", "from": {"data": {"values": values}, "key": "id", "fields": fields}},
                    {"filter": "isValid(datum.share)"},
                ],
                "mark": outline,
                "encoding": {
                    "color": {
                        "field": "share",
                        "type": "quantitative",
                        "scale": {"range": list(SEQUENTIAL), "zero": True, "nice": True},
                        "legend": {
                            "title": legend,
                            "format": ".0%",
                            "orient": "none",
                            "legendX": 0,
                            "legendY": MAP_HEIGHT - 34,
                            "direction": "horizontal",
                            "gradientLength": 160,
                        },
                    }
                },
            },
        ],
    }  # fmt: skip
    return Chart(key, text.title, text.subtitle, text.source, spec, text.note)
