"""The one chart style: Vega-Lite rendered offline to inline SVG with round ticks, axis titles, whole years
or quarters on time axes, a dashed partial last month; SVG cleaned to drawing elements, ids per chart, every
label escaped."""

from __future__ import annotations

import re

import pytest
from lxml import etree

from unmask.report.charts.render import clean_svg, to_svg
from unmask.report.charts.specs import Axes, Partial, Series, Text, bars, time_series, world_map

SVG = "{http://www.w3.org/2000/svg}"
TEXT = Text("a finding", "what is shown", "the source")
MONTHS = [f"{2018 + i // 12}-{i % 12 + 1:02d}" for i in range(100)]


def _axis_labels(svg: str, axis: str) -> list[str]:
    root = etree.fromstring(svg.encode())
    (group,) = [g for g in root.iter(f"{SVG}g") if (g.get("aria-label") or "").startswith(f"{axis}-axis")]
    return [
        t.text or "" for g in group.iter(f"{SVG}g") if "role-axis-label" in (g.get("class") or "") for t in g
    ]


def _number(label: str) -> float:
    return float(label.replace(",", "").replace(".", ""))


@pytest.mark.slow
def test_value_ticks_are_round_and_the_top_one_is_drawn() -> None:
    for top, step in ((2590, 500), (6_100_000, 1_000_000), (13, 2)):
        values = [top * i / 99 for i in range(100)]
        svg = to_svg(time_series("t", TEXT, MONTHS, [Series("videos", values)], Axes("Month", "Videos")))
        ticks = [_number(v) for v in _axis_labels(svg, "Y")]
        assert ticks[0] == 0 and ticks[-1] >= top, ticks
        assert all(t % step == 0 for t in ticks), ticks
        assert 'aria-label="Y-axis titled &apos;Videos&apos;' in svg or "Y-axis titled 'Videos'" in svg


def test_time_ticks_fall_on_whole_years_or_quarters() -> None:
    long = to_svg(time_series("l", TEXT, MONTHS, [Series("v", list(range(100)))], Axes("Month", "Videos")))
    assert _axis_labels(long, "X") == [str(y) for y in range(2018, 2027)][: len(_axis_labels(long, "X"))]
    months = MONTHS[:20]
    short = to_svg(time_series("s", TEXT, months, [Series("v", list(range(20)))], Axes("Month", "Videos")))
    labels = _axis_labels(short, "X")
    assert labels and all(re.fullmatch(r"(Jan|Apr|Jul|Oct) 20\d\d", label) for label in labels), labels


def test_a_partial_last_month_is_dashed_and_labelled() -> None:
    values = [100.0] * 11 + [40.0]
    chart = time_series(
        "p",
        TEXT,
        MONTHS[:12],
        [Series("v", values)],
        Axes("Month", "Videos"),
        partial=Partial("partial month"),
    )
    svg = to_svg(chart)
    assert "stroke-dasharray" in svg and "partial month" in svg


def test_german_axes_group_thousands_with_points() -> None:
    svg = to_svg(bars("b", TEXT, ["a", "b"], [Series("v", [2500, 1200])], Axes("x", "y")), locale="de-DE")
    assert "2.500" in _axis_labels(svg, "Y") or "2.000" in _axis_labels(svg, "Y")


def test_labels_from_the_platform_are_escaped_and_nothing_active_survives() -> None:
    hostile = "<script>alert(1)</script><img src=x onerror=alert(2)>"
    svg = to_svg(bars("h", TEXT, [hostile, "ok"], [Series("views", [3, 4])], Axes(hostile, "y")))
    assert "<script" not in svg and "<img" not in svg and "&lt;script&gt;" in svg
    raw = (
        '<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink">'
        '<defs><clipPath id="clip1"><rect width="1" height="1"/></clipPath></defs>'
        "<script>alert(1)</script><foreignObject><div>x</div></foreignObject>"
        '<a xlink:href="https://example.invalid/"><text>link</text></a>'
        '<g clip-path="url(#clip1)" onclick="alert(1)" style="fill:url(https://example.invalid/x)">'
        '<rect width="2" height="2" fill="url(#clip1)"/></g><image href="https://example.invalid/i.png"/></svg>'
    )
    cleaned = clean_svg(raw, "c7")
    assert "script" not in cleaned and "foreignObject" not in cleaned and "example.invalid" not in cleaned
    assert "onclick" not in cleaned and "<image" not in cleaned and "<a " not in cleaned
    assert 'id="c7-clip1"' in cleaned and 'clip-path="url(#c7-clip1)"' in cleaned
    assert 'fill="url(#c7-clip1)"' in cleaned


def test_world_map_is_drawn_from_shipped_data() -> None:
    svg = to_svg(world_map("m", TEXT, {"US": 0.4, "JP": 0.1, "XX": 0.2}, {"US": "United States"}, "Share"))
    paths = svg.count("<path")
    assert paths > 150  # every country outline of Natural Earth 1:110m, with no request
    assert "Share" in svg and "40%" in svg


def test_the_spec_for_the_web_ui_carries_title_and_style() -> None:
    chart = bars("b", TEXT, ["a"], [Series("v", [1])], Axes("x", "y"))
    spec = chart.vega_lite()
    assert spec["title"] == {"text": "a finding", "subtitle": "what is shown", "anchor": "start"}
    assert spec["config"]["font"].startswith("DejaVu Sans") and spec["$schema"].endswith("v5.json")


def _end_labels(svg: str, names: set[str]) -> dict[str, float]:
    root = etree.fromstring(svg.encode())
    out: dict[str, float] = {}
    for t in root.iter(f"{SVG}text"):
        if t.text in names:
            match = re.fullmatch(r"translate\(([-\d.]+),([-\d.]+)\)", t.get("transform") or "")
            assert match, t.get("transform")
            out[t.text] = float(match.group(2))
    return out


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ([5.0] * 12, [5.0] * 12),  # equal end values
        ([10.0, 20.0] + [51.0] * 10, [1.0] * 11 + [50.0]),  # nearly equal, at the top
        ([0.0] * 12, [0.0] * 12),  # all zero
        ([3.0] * 11 + [0.0], [1.0] * 11 + [0.0]),  # equal at the bottom
        ([900.0] * 12, [10.0] * 11 + [880.0]),
    ],
)
def test_line_end_labels_never_overlap(first: list[float], second: list[float]) -> None:
    """Two series ending at (nearly) the same value: their end labels are drawn apart, inside the plot."""
    from unmask.report.charts.specs import LABEL_GAP_PX
    from unmask.report.charts.style import HEIGHT

    names = {"Threads", "Paid requests"}
    chart = time_series("e", TEXT, MONTHS[:12], [Series("Threads", first), Series("Paid requests", second)],
                        Axes("Month", "Threads per month"))  # fmt: skip
    ys = _end_labels(to_svg(chart), names)
    assert set(ys) == names
    assert abs(ys["Threads"] - ys["Paid requests"]) >= LABEL_GAP_PX - 0.5, ys
    assert all(-LABEL_GAP_PX <= y <= HEIGHT + LABEL_GAP_PX for y in ys.values()), ys


def test_line_end_labels_stay_at_their_ends_when_far_apart() -> None:
    from unmask.report.charts.specs import dodge

    assert dodge([("a", 100.0), ("b", 10.0)], 100.0, 240, 14) == [("a", 100.0), ("b", 10.0)]
    placed = dict(dodge([("a", 50.0), ("b", 50.0), ("c", 50.0)], 100.0, 240, 14))
    assert placed["a"] > placed["b"] > placed["c"]  # equal ends keep the series' order, top to bottom
