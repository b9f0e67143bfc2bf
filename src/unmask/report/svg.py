"""Small inline SVG charts for the self-contained report: a line chart and a bar chart, with axes and labels.

Pure functions from numbers to SVG text; every label is escaped (it may come from platform data).
"""

from __future__ import annotations

from collections.abc import Sequence

from unmask.core.output import html_text

WIDTH, HEIGHT = 720, 260
LEFT, RIGHT, TOP, BOTTOM = 64, 30, 28, 44
COLORS = ("#8a1c1c", "#1c4f8a", "#3b7a2a", "#8a6d1c")


def _e(value: object) -> str:
    return html_text(value)


def _fmt(value: float) -> str:
    for limit, suffix in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if abs(value) >= limit:
            return f"{value / limit:.3g}{suffix}"
    return f"{value:.3g}" if value != int(value) else f"{int(value)}"


def _ticks(top: float, count: int = 4) -> list[float]:
    if top <= 0:
        return [0.0]
    return [top * i / count for i in range(count + 1)]


def _frame(title: str, body: str, legend: Sequence[tuple[str, str]]) -> str:
    keys = "".join(
        f'<rect x="{LEFT + 150 * i}" y="{HEIGHT - 14}" width="10" height="10" fill="{color}"/>'
        f'<text x="{LEFT + 150 * i + 14}" y="{HEIGHT - 5}">{_e(name)}</text>'
        for i, (name, color) in enumerate(legend)
    )
    return (
        f'<svg viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'aria-label="{_e(title)}" class="chart" font-family="system-ui,sans-serif" font-size="11">'
        f"<title>{_e(title)}</title>"
        f'<text x="{LEFT}" y="16" font-size="13" font-weight="600">{_e(title)}</text>'
        f"{body}{keys}</svg>"
    )


def _axes(top: float, labels: Sequence[str], x_of: Sequence[float]) -> str:
    plot_h = HEIGHT - TOP - BOTTOM
    parts = [
        f'<line x1="{LEFT}" y1="{TOP}" x2="{LEFT}" y2="{HEIGHT - BOTTOM}" stroke="#444"/>',
        f'<line x1="{LEFT}" y1="{HEIGHT - BOTTOM}" x2="{WIDTH - RIGHT}" '
        f'y2="{HEIGHT - BOTTOM}" stroke="#444"/>',
    ]
    for tick in _ticks(top):
        y = HEIGHT - BOTTOM - (plot_h * tick / top if top else 0)
        parts.append(
            f'<line x1="{LEFT - 4}" y1="{y:.1f}" x2="{WIDTH - RIGHT}" y2="{y:.1f}" stroke="#ddd"/>'
            f'<text x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end">{_e(_fmt(tick))}</text>'
        )
    step = max(1, -(-len(labels) // 12))
    for i in range(0, len(labels), step):
        parts.append(
            f'<text x="{x_of[i]:.1f}" y="{HEIGHT - BOTTOM + 14}" text-anchor="middle">{_e(labels[i])}</text>'
        )
    return "".join(parts)


def line_chart(
    title: str,
    labels: Sequence[str],
    series: Sequence[tuple[str, Sequence[float | None]]],
    *,
    area: bool = False,
    markers: bool = False,
) -> str:
    """One line per series over the labels (x axis); the first series filled below when `area`.

    A None value is a gap: the line is broken there. `markers` draws a dot on every known value
    (for sparse series such as web-archive captures).
    """
    n = len(labels)
    top = max((max((v for v in values if v is not None), default=0) for _, values in series), default=0) or 1
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    x_of = [LEFT + (plot_w * i / (n - 1) if n > 1 else plot_w / 2) for i in range(n)]
    body = [_axes(top, labels, x_of)]
    legend = []
    for k, (name, values) in enumerate(series):
        color = COLORS[k % len(COLORS)]
        runs: list[list[str]] = [[]]
        dots = []
        for i, v in enumerate(values):
            if v is None:
                if runs[-1]:
                    runs.append([])
                continue
            xy = f"{x_of[i]:.1f},{HEIGHT - BOTTOM - plot_h * v / top:.1f}"
            runs[-1].append(xy)
            if markers:
                x, y = xy.split(",")
                dots.append(f'<circle cx="{x}" cy="{y}" r="2.5" fill="{color}"/>')
        runs = [r for r in runs if r]
        if area and k == 0 and len(runs) == 1 and len(runs[0]) == n and n:
            base = HEIGHT - BOTTOM
            body.append(
                f'<polygon points="{x_of[0]:.1f},{base} {" ".join(runs[0])} {x_of[-1]:.1f},{base}" '
                f'fill="{color}" fill-opacity=".15"/>'
            )
        for run in runs:
            body.append(
                f'<polyline points="{" ".join(run)}" fill="none" stroke="{color}" stroke-width="1.8"/>'
            )
        body.extend(dots)
        legend.append((name, color))
    return _frame(title, "".join(body), legend)


def bar_chart(title: str, labels: Sequence[str], series: Sequence[tuple[str, Sequence[float]]]) -> str:
    """Grouped vertical bars: one group per label, one bar per series."""
    n, m = len(labels), max(1, len(series))
    top = max((max(values, default=0) for _, values in series), default=0) or 1
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    slot = plot_w / max(1, n)
    bar = max(1.0, slot * 0.8 / m)
    x_of = [LEFT + slot * (i + 0.5) for i in range(n)]
    body = [_axes(top, labels, x_of)]
    legend = []
    for k, (name, values) in enumerate(series):
        color = COLORS[k % len(COLORS)]
        for i, v in enumerate(values):
            h = plot_h * v / top
            x = x_of[i] - slot * 0.4 + bar * k
            body.append(
                f'<rect x="{x:.1f}" y="{HEIGHT - BOTTOM - h:.1f}" width="{bar:.1f}" height="{h:.1f}" '
                f'fill="{color}"><title>{_e(labels[i])}: {_e(f"{v:,}")}</title></rect>'
            )
        legend.append((name, color))
    return _frame(title, "".join(body), legend)


def span_chart(
    title: str,
    rows: Sequence[tuple[str, str, float, float]],
    *,
    start: float,
    end: float,
    axis: Sequence[tuple[float, str]],
) -> str:
    """A timeline: one bar per row from its start to its end (any unit, e.g. epoch days).

    rows are (group, label, start, end); bars of one group share a colour (name the group in the label);
    `axis` gives the ticks.
    """
    row_h, label_w = 16, 250
    height = TOP + row_h * max(1, len(rows)) + BOTTOM
    span = (end - start) or 1.0
    plot_w = WIDTH - label_w - RIGHT

    def x(v: float) -> float:
        return label_w + plot_w * (min(max(v, start), end) - start) / span

    groups: dict[str, str] = {}
    body = []
    for value, text in axis:
        body.append(
            f'<line x1="{x(value):.1f}" y1="{TOP}" x2="{x(value):.1f}" y2="{height - BOTTOM}" stroke="#ddd"/>'
            f'<text x="{x(value):.1f}" y="{height - BOTTOM + 14}" text-anchor="middle">{_e(text)}</text>'
        )
    for i, (group, label, a, b) in enumerate(rows):
        color = groups.setdefault(group, COLORS[len(groups) % len(COLORS)])
        y = TOP + i * row_h
        shown = label if len(label) <= 40 else label[:39] + "…"
        width = max(2.0, x(b) - x(a))
        body.append(
            f'<text x="{label_w - 6}" y="{y + 12}" text-anchor="end">{_e(shown)}</text>'
            f'<rect x="{x(a):.1f}" y="{y + 3}" width="{width:.1f}" height="{row_h - 6}" fill="{color}">'
            f"<title>{_e(group)}: {_e(label)}</title></rect>"
        )
    return (
        f'<svg viewBox="0 0 {WIDTH} {height}" role="img" aria-label="{_e(title)}" class="chart" '
        f'font-family="system-ui,sans-serif" font-size="11"><title>{_e(title)}</title>'
        f'<text x="{LEFT}" y="16" font-size="13" font-weight="600">{_e(title)}</text>'
        f"{''.join(body)}</svg>"
    )
