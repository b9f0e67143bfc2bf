"""What every section renders with: escaping, the language, tables, numbers a test can read back, and
the evidence each figure cites.

Everything a section writes into the page goes through here: text from the case (platform data is
hostile) is cleaned of invisible characters and escaped (:func:`esc`); HTML built by the report is marked
:class:`Html` so that it is inserted as it is. Numbers in sentences are ``<data value=…>`` elements so
that a test (or a reader's script) can check them against ``stats --json`` in any language.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from unmask.core.output import html_text
from unmask.report.charts.render import figure, to_svg
from unmask.report.charts.specs import Chart
from unmask.report.evidence import Reference
from unmask.report.i18n import Lang


class Html(str):
    """HTML built by the report (already escaped): inserted into the page as it is."""

    __slots__ = ()


def esc(value: Any) -> Html:
    """Text from anywhere, cleaned and escaped; HTML built by the report passes through."""
    if isinstance(value, Html):
        return value
    return Html(html_text("–" if value is None else value))


def join(parts: Iterable[Any], sep: str = "") -> Html:
    return Html(esc(sep).join(esc(p) for p in parts))


_FIELD = re.compile(r"\{(\w+)\}")


@dataclass
class Page:
    """One report being written: its language, the base of its evidence links, and what it cites."""

    lang: Lang
    case_href: str
    """Relative path from the report's folder to the case's folder (POSIX separators)."""
    full_list: str | None = None
    """The separate file listing every capture (relative to the report), when written."""
    cited: dict[str, Reference] = field(default_factory=dict)
    """Every reference a figure cited, by anchor, in the order first cited (the evidence appendix)."""

    # -- text -------------------------------------------------------------------------------------------

    def t(self, key: str, **values: Any) -> Html:
        """The language's text ``key`` escaped, its fields filled with escaped text or report HTML."""
        template = self.lang.texts[key]
        out: list[str] = []
        pos = 0
        for m in _FIELD.finditer(template):
            out.append(esc(template[pos : m.start()]))
            out.append(esc(values[m.group(1)]))
            pos = m.end()
        out.append(esc(template[pos:]))
        return Html("".join(out))

    def num(self, value: float | None, key: str | None = None, digits: int = 0) -> Html:
        """A number as text in the language, machine-readable in ``value`` (``data-key`` names it)."""
        if value is None:
            return esc("–")
        name = f' data-key="{esc(key)}"' if key else ""
        return Html(f'<data value="{value}"{name}>{esc(self.lang.n(value, digits))}</data>')

    def pct(self, share: float | None, key: str | None = None, digits: int = 1) -> Html:
        if share is None:
            return esc("–")
        name = f' data-key="{esc(key)}"' if key else ""
        return Html(f'<data value="{share}"{name}>{esc(self.lang.pct(share, digits))}</data>')

    def day(self, value: Any, key: str | None = None) -> Html:
        """A day in words, machine-readable as YYYY-MM-DD."""
        if value is None:
            return esc("–")
        name = f' data-key="{esc(key)}"' if key else ""
        return Html(f'<data value="{esc(str(value)[:10])}"{name}>{esc(self.lang.date(value))}</data>')

    def link(self, href: str, text: Any) -> Html:
        return Html(f'<a href="{esc(href)}">{esc(text)}</a>')

    def chart(self, chart: Chart) -> Html:
        """The chart as an inline SVG figure with its title, subtitle, source and note."""
        svg = to_svg(chart, locale=self.lang.vega_locale)
        labels = {"source_label": self.lang.t("chart.source"), "note_label": self.lang.t("chart.note")}
        return Html(figure(chart, svg, **labels))

    # -- tables -----------------------------------------------------------------------------------------

    def table(
        self, header: Sequence[Any], rows: Iterable[Sequence[Any]], *, cls: str = "", numeric: bool = True
    ) -> Html:
        """A table; numbers formatted for the language and right-aligned (``numeric``)."""
        head = "".join(f"<th>{esc(h)}</th>" for h in header)
        body = []
        for row in rows:
            cells = []
            for v in row:
                if numeric and isinstance(v, int | float) and not isinstance(v, bool):
                    cells.append(f"<td class=n>{esc(self.lang.n(v, 0 if isinstance(v, int) else 1))}</td>")
                else:
                    cells.append(f"<td>{esc(v)}</td>")
            body.append("<tr>" + "".join(cells) + "</tr>")
        if not body:
            return Html("")
        klass = f' class="{cls}"' if cls else ""
        return Html(f"<table{klass}><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>")

    # -- evidence ---------------------------------------------------------------------------------------

    def cite(self, ref: Reference | None, text: Any = None) -> Html:
        """A link to ``ref`` in the evidence appendix (registered there), or nothing without one."""
        if ref is None:
            return Html("")
        self.cited.setdefault(ref.anchor, ref)
        return self.link(
            f"#{ref.anchor}", text if text is not None else self.lang.t(f"evidence.ref.{ref.kind}", id=ref.id)
        )

    def archive_link(self, ref: Reference) -> Html:
        """An ordinary link to the record in the case's WARC file (relative to the report)."""
        if not ref.warc_file:
            return Html("")
        folder = "" if self.case_href in ("", ".") else f"{self.case_href}/"
        href = f"{folder}{ref.warc_file}#offset={ref.warc_offset}"
        return self.link(href, self.lang.t("evidence.warc_record"))

    def replay_link(self, ref: Reference) -> Html:
        """An ordinary link that opens the capture in `unmask evidence serve` (on 127.0.0.1)."""
        if not ref.replay_url:
            return Html("")
        return self.link(ref.replay_url, self.lang.t("evidence.replay"))
