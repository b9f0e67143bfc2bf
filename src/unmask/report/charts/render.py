"""Charts to inline SVG at report time: Vega-Lite through vl-convert (offline; no script in the page).

The SVG is then made safe to inline: only drawing elements and presentation attributes are kept (no
script, no foreign object, no event handler, no link out), and every id is prefixed with the chart's key
so that several charts in one page do not share clip paths or gradients.
"""

from __future__ import annotations

import re
from typing import Any

from lxml import etree

from unmask.core.output import html_text
from unmask.report.charts.specs import Chart
from unmask.report.charts.style import CONFIG

SVG_NS = "http://www.w3.org/2000/svg"
ELEMENTS = frozenset(
    {
        "svg",
        "g",
        "path",
        "rect",
        "circle",
        "ellipse",
        "line",
        "polyline",
        "polygon",
        "text",
        "tspan",
        "title",
        "desc",
        "defs",
        "clipPath",
        "linearGradient",
        "radialGradient",
        "stop",
    }
)
"""What a chart may contain; anything else is dropped with its content."""
ATTRIBUTES = frozenset(
    {
        "viewBox",
        "width",
        "height",
        "x",
        "y",
        "x1",
        "y1",
        "x2",
        "y2",
        "cx",
        "cy",
        "r",
        "rx",
        "ry",
        "fx",
        "fy",
        "dx",
        "dy",
        "d",
        "points",
        "transform",
        "fill",
        "fill-opacity",
        "stroke",
        "stroke-width",
        "stroke-opacity",
        "stroke-dasharray",
        "stroke-dashoffset",
        "stroke-linecap",
        "stroke-linejoin",
        "stroke-miterlimit",
        "opacity",
        "font-family",
        "font-size",
        "font-weight",
        "font-style",
        "letter-spacing",
        "text-anchor",
        "dominant-baseline",
        "alignment-baseline",
        "clip-path",
        "id",
        "class",
        "offset",
        "stop-color",
        "stop-opacity",
        "gradientUnits",
        "gradientTransform",
        "role",
        "aria-label",
        "aria-roledescription",
        "version",
        "pointer-events",
        "paint-order",
        "style",
    }
)
"""Presentation attributes a chart may carry (no event handler, no link)."""
_URL_REF = re.compile(r"url\(#([^)]+)\)")
_FORBIDDEN_STYLE = re.compile(r"url\((?!#)|expression|@import|javascript:", re.IGNORECASE)


def to_svg(chart: Chart, *, locale: str = "en-US") -> str:
    """The chart as a cleaned SVG fragment (numbers and dates on the axes in ``locale``)."""
    import vl_convert

    spec: dict[str, Any] = {**chart.spec, "config": CONFIG}
    convert: Any = vl_convert.vegalite_to_svg  # its locale arguments are typed as literal names
    raw = convert(spec, format_locale=locale, time_format_locale=locale, allowed_base_urls=[])
    return clean_svg(raw, chart.key, label=chart.title)


def clean_svg(raw: str, prefix: str, *, label: str = "") -> str:
    root = etree.fromstring(
        raw.encode("utf-8"), parser=etree.XMLParser(resolve_entities=False, no_network=True)
    )
    for el in list(root.iter()):
        if not isinstance(el.tag, str):  # comments, processing instructions
            el.getparent().remove(el)
            continue
        name = etree.QName(el).localname
        if etree.QName(el).namespace != SVG_NS or name not in ELEMENTS:
            el.getparent().remove(el)
            continue
        for attr in list(el.attrib):
            local = etree.QName(attr).localname if attr.startswith("{") else attr
            value = el.attrib[attr]
            if attr.startswith("{") or local not in ATTRIBUTES or _FORBIDDEN_STYLE.search(value):
                del el.attrib[attr]
            elif local == "id":
                el.attrib[attr] = f"{prefix}-{value}"
            elif "url(#" in value:
                el.attrib[attr] = _URL_REF.sub(lambda m: f"url(#{prefix}-{m.group(1)})", value)
    root.attrib["class"] = "chart"
    root.attrib["role"] = "img"
    if label:
        root.attrib["aria-label"] = label
    text = etree.tostring(root, encoding="unicode")
    return text


def figure(chart: Chart, svg: str, *, source_label: str, note_label: str) -> str:
    """The chart in the page: title (the finding), subtitle (what and unit), the SVG, source and note."""
    note = f" · {html_text(note_label)}: {html_text(chart.note)}" if chart.note else ""
    return (
        f'<figure class="chart" id="fig-{html_text(chart.key)}">'
        f"<figcaption><span class=chart-title>{html_text(chart.title)}</span>"
        f"<span class=chart-sub>{html_text(chart.subtitle)}</span></figcaption>"
        f"{svg}"
        f"<p class=chart-source>{html_text(source_label)}: {html_text(chart.source)}{note}</p></figure>"
    )


def warm_up() -> None:
    """Start the chart engine (about a second, once per process) so that the first chart does not wait."""
    import vl_convert

    vl_convert.vegalite_to_svg({"mark": "point", "data": {"values": [{"a": 1}]}}, allowed_base_urls=[])
