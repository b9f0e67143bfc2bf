"""A self-contained HTML report of the headline figures.

Everything inline, no external request; every value escaped. The publishable report (charts,
methodology, evidence links) grows from here.
"""

from __future__ import annotations

import datetime as dt
import html
from pathlib import Path
from typing import Any

from unmask.analysis.figures import headline

STYLE = """
body{font:15px/1.45 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#1b1b1b}
table{border-collapse:collapse;margin:1rem 0}
td,th{border-bottom:1px solid #ddd;padding:.25rem .75rem;text-align:left}
td.n{text-align:right;font-variant-numeric:tabular-nums}.bar{background:#8a1c1c;height:.7rem;display:inline-block}
.note{color:#555;font-size:.9em}
"""


def _e(value: Any) -> str:
    return html.escape(str(value), quote=True)


def _rows(pairs: list[tuple[str, str]]) -> str:
    return "".join(f"<tr><th>{_e(k)}</th><td class=n>{_e(v)}</td></tr>" for k, v in pairs)


def render(fig: dict[str, Any], *, case_name: str, generated: dt.datetime | None = None) -> str:
    generated = generated or dt.datetime.now(dt.UTC)
    head_rows = _rows(headline(fig))
    years: dict[str, int] = {}
    for row in fig["monthly"]:
        years[row["month"][:4]] = row["videos_cumulative"]
    peak = max(years.values(), default=1) or 1
    growth = "".join(
        f"<tr><th>{_e(y)}</th><td class=n>{n:,}</td>"
        f"<td><span class=bar style='width:{round(30 * n / peak, 2)}rem'></span></td></tr>"
        for y, n in years.items()
    )
    targets = "".join(
        f"<tr><td>{_e(r['name'])}</td><td class=n>{r['videos']:,}</td><td class=n>{r['views']:,}</td></tr>"
        for r in fig["top_targets"]
    )
    note = (
        "<p class=note>Persons who are not known public figures are shown as pseudonyms.</p>"
        if fig.get("pseudonymized")
        else ""
    )
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<title>{_e(case_name)} — unmask report</title><style>{STYLE}</style></head>
<body><h1>{_e(case_name)}</h1>
<p class=note>Generated {_e(generated.strftime("%Y-%m-%d %H:%M UTC"))} by unmask from the case store.</p>
<h2>Headline figures</h2><table>{head_rows}</table>
<h2>Growth: videos by end of year</h2><table>{growth}</table>
<h2>Most targeted persons</h2>{note}
<table><tr><th>Person</th><th>Videos</th><th>Views</th></tr>{targets}</table>
</body></html>
"""


def write_report(fig: dict[str, Any], path: Path, *, case_name: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(render(fig, case_name=case_name), encoding="utf-8")
    tmp.replace(path)
    return path
