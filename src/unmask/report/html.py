"""`unmask report`: one self-contained HTML file of a case's figures, with methodology and evidence.

Everything is inline (styles, SVG charts drawn here, a data: favicon); a strict Content-Security-Policy
forbids any request. Every value from the case is escaped and cleaned of bidi controls and invisible
characters: platform data is hostile input. Names and free text (URLs, run messages) go through the
case's privacy policy (unmask.core.privacy), the same one every other output uses. The only
links are ordinary relative `<a href>` links to the case's WARC files (and anchors within the page).
Whatever analysis the case lacks (or holds with other privacy settings, or older than the last crawl)
is computed here; `unmask analyze` is never required first.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from unmask.analysis.analyze import PARTS, AnalysisOptions, load_results, run_analysis
from unmask.analysis.audience import audience_summary
from unmask.analysis.audience import headline as audience_headline
from unmask.analysis.figures import FigureOptions, compute_figures, headline
from unmask.analysis.history_curve import archive_curve, census_at
from unmask.core.case import Case
from unmask.core.output import html_text, in_case, output_target, write_text
from unmask.core.privacy import PrivacyPolicy
from unmask.report import methodology as meth
from unmask.report.graph import graph_section, script_csp_source
from unmask.report.infra import infra_section
from unmask.report.svg import bar_chart, line_chart

CSP = f"default-src 'none'; style-src 'unsafe-inline'; img-src data:; script-src {script_csp_source()}"
"""Nothing loads from anywhere; the one script that runs is the graph view's, allowed by its hash."""
STYLE = """
body{font:15px/1.45 system-ui,sans-serif;max-width:64rem;margin:2rem auto;padding:0 1rem;color:#1b1b1b}
table{border-collapse:collapse;margin:1rem 0}
td,th{border-bottom:1px solid #ddd;padding:.25rem .75rem;text-align:left;vertical-align:top}
td.n{text-align:right;font-variant-numeric:tabular-nums}
.note{color:#555;font-size:.9em}.url{word-break:break-all;font-size:.85em}
svg.chart{width:100%;max-width:45rem;height:auto;display:block;margin:1rem 0}
nav a{margin-right:1rem}
"""
HEADLINE_EVIDENCE = {
    "Videos": "",
    "Photos": "",
    "Galleries": "",
    "Hours of video": "duration",
    "Video views": "views",
    "Uploaders": "uploader",
    "Depicted persons": "persons",
    "First upload": "upload_date",
    "Last upload": "upload_date",
}
"""Headline figure → item field whose captures are its evidence ("" = any capture that listed items).
Figures not named here (removals, requests) are explained by the crawl runs of the methodology."""
SECTIONS = (
    ("headline", "Headline figures"),
    ("growth", "Growth"),
    ("targets", "Targets"),
    ("concentration", "Concentration"),
    ("distributions", "Durations and tags"),
    ("audience", "Audience"),
    ("infrastructure", "Infrastructure"),
    ("owners", "Who is behind it"),
    ("methodology", "Methodology"),
    ("evidence", "Evidence"),
)


def _e(value: Any) -> str:
    return html_text("–" if value is None else value)


def _n(value: Any) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:,.1f}"
    return f"{value:,}" if isinstance(value, int) else str(value)


def _pct(share: float) -> str:
    return f"{share * 100:.1f} %"


def _table(header: Sequence[str], rows: Iterable[Sequence[Any]], *, raw: int | None = None) -> str:
    """A table; numbers right-aligned. Column `raw` holds HTML built here (already escaped)."""
    head = "".join(f"<th>{_e(h)}</th>" for h in header)
    body = []
    for row in rows:
        cells = []
        for i, v in enumerate(row):
            if i == raw:
                cells.append(f"<td>{v}</td>")
            elif isinstance(v, int | float) and not isinstance(v, bool):
                cells.append(f"<td class=n>{_e(_n(v))}</td>")
            else:
                cells.append(f"<td>{_e(_n(v))}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    return f"<table><tr>{head}</tr>{''.join(body)}</table>"


@dataclass
class ReportData:
    """Everything the report shows, gathered from the case."""

    case_name: str
    figures: dict[str, Any]
    analysis: dict[str, Any]
    audience: list[dict[str, Any]]
    archive: list[dict[str, Any]]
    """The platform's size as web-archive captures showed it, a point per month (`unmask history`)."""
    methodology: dict[str, Any]
    evidence: dict[str, Any]
    infrastructure: str
    owners: str | None
    """The entity-graph view (unmask.report.graph), None when the case has no entity graph."""
    """The Infrastructure section, rendered from the case's infra observations (unmask.report.infra)."""
    evidence_href: str
    """Relative path from the report's folder to the case's evidence folder (POSIX separators)."""


def gather(
    case: Case,
    out_dir: Path,
    *,
    real_names: bool = False,
    case_name: str | None = None,
    policy: PrivacyPolicy | None = None,
) -> ReportData:
    """Read everything the report shows. The big reads (figures, evidence index, methodology, analysis)
    run two at a time, each on its own connection: the database does the work, so both cores help."""
    policy = policy or PrivacyPolicy.for_case(case, real_names=real_names)
    _ = policy.matcher  # built once, before the threads share the policy
    options = FigureOptions(privacy=policy)
    with ThreadPoolExecutor(max_workers=2) as pool:
        figures = pool.submit(compute_figures, case.store, options)
        evidence = pool.submit(meth.evidence, case, policy=policy)
        method = meth.methodology(case, policy=policy)
        analysis = _analysis(case, policy, method["runs"])
        audience = [d for d in audience_summary(case.store)["domains"] if d["monthly"] or d["countries"]]
        rel = os.path.relpath(case.evidence_dir.resolve(), out_dir.resolve())
        return ReportData(
            case_name=case_name or case.config.name,
            figures=figures.result(),
            analysis=analysis,
            audience=audience,
            archive=[p.as_dict() for p in archive_curve(case.store)],
            methodology=method,
            evidence=evidence.result(),
            infrastructure=infra_section(case.store),
            owners=graph_section(case, policy=policy),
            evidence_href=Path(rel).as_posix(),
        )


def _analysis(case: Case, policy: PrivacyPolicy, runs: list[dict[str, Any]]) -> dict[str, Any]:
    """The stored analysis when it fits (all parts, all platforms, same privacy policy, newer than every
    run)."""
    stored = load_results(case.store)
    last_crawl = max((r["finished"] or r["started"] for r in runs), default="")
    fits = all(
        part in stored
        and stored[part]["platform_id"] is None
        and stored[part]["params"].get("privacy") == policy.fingerprint
        and stored[part]["computed_at"] >= last_crawl
        for part in PARTS
    )
    if fits:
        return {part: stored[part]["result"] for part in PARTS}
    result = run_analysis(case, AnalysisOptions(privacy=policy, save=False))
    return {part: result[part] for part in PARTS}


# -- sections ------------------------------------------------------------------------------------------


def _warc_link(data: ReportData, capture: dict[str, Any], text: str) -> str:
    if not capture.get("warc_file"):
        return _e(text)
    href = f"{data.evidence_href}/{capture['warc_file']}#offset={capture['warc_offset']}"
    return f'<a href="{_e(href)}">{_e(text)}</a>'


def _headline(data: ReportData) -> str:
    captures = {c["id"]: c for c in data.evidence["captures"]}
    by_field = data.evidence["by_field"]
    rows = []
    for label, value in headline(data.figures):
        field = HEADLINE_EVIDENCE.get(label)
        if field is None:
            cell = '<a href="#runs">crawl runs</a>'
        else:
            ids = by_field.get(field, []) if field else [c["id"] for c in data.evidence["captures"]]
            anchor = f"#ev-{field}" if field else "#evidence"
            cell = (
                f"{_warc_link(data, captures[ids[0]], f'capture {ids[0]}')} · "
                f'<a href="{_e(anchor)}">{len(ids):,} captures</a>'
                if ids
                else "no capture"
            )
        rows.append((label, value, cell))
    return _table(["Figure", "Value", "Evidence"], rows, raw=2)


def _growth(data: ReportData) -> str:
    g = data.analysis["growth"]
    monthly = g["monthly"]
    months = [m["month"] for m in monthly]
    parts = []
    if monthly:
        parts.append(
            line_chart(
                "Videos and photos uploaded per month",
                months,
                [("videos", [m["videos"] for m in monthly]), ("photos", [m["photos"] for m in monthly])],
            )
        )
        parts.append(
            line_chart(
                "Videos and photos online, cumulative by upload month",
                months,
                [
                    ("videos", [m["videos_cumulative"] for m in monthly]),
                    ("photos", [m["photos_cumulative"] for m in monthly]),
                ],
                area=True,
            )
        )
    else:
        parts.append("<p>No item with an upload date.</p>")
    parts.append(_archive_growth(data.archive, monthly))
    runs = g["runs"]
    if runs:
        labels = [f"#{r['run']}" for r in runs]
        parts.append(
            bar_chart(
                "Items per crawl run: new and removed",
                labels,
                [("new", [r["new"] for r in runs]), ("removed", [r["removed"] for r in runs])],
            )
        )
        parts.append(
            _table(
                ["Run", "Status", "Started", "Finished", "New", "Removed", "Present after"],
                [
                    (
                        f"#{r['run']}",
                        r["status"],
                        r["started"],
                        r["finished"],
                        r["new"],
                        r["removed"],
                        r["present_after"],
                    )
                    for r in runs
                ],
            )
        )
    return "".join(parts)


def _archive_growth(archive: list[dict[str, Any]], monthly: list[dict[str, Any]]) -> str:
    """The web-archive curve (what the site said of itself over time) beside the census's own curve."""
    if not archive:
        return (
            "<p>No web-archive history in this case: <code>unmask history URL</code> adds the size the "
            "platform showed in archived captures over time.</p>"
        )
    months = [p["month"] for p in archive]
    series: list[tuple[str, list[float | None]]] = [
        ("videos stated (archive)", [p["videos"] for p in archive]),
        ("photos stated (archive)", [p["photos"] for p in archive]),
        ("listed (archive pagination)", [p["listed"] for p in archive]),
        ("videos online (census, by upload month)", list(census_at(months, monthly, "videos_cumulative"))),
    ]
    series = [(name, values) for name, values in series if any(v is not None for v in values)]
    chart = line_chart(
        "Catalogue size over time: web-archive captures and census", months, series, markers=True
    )
    table = _table(
        ["Month", "Videos stated", "Photos stated", "Listed"],
        [(p["month"], p["videos"], p["photos"], p["listed"]) for p in archive],
    )
    note = (
        "<p>Archive points are what the platform's own pages stated in captures replayed from the web "
        "archive (one a month). The census curve counts today's items by upload month, so items removed "
        "since then are missing from it: a gap between the curves is a lower bound on removals.</p>"
    )
    return chart + note + table


def _targets(data: ReportData) -> str:
    t = data.analysis["targets"]
    persons, items = t["persons"], t["items"]
    note = (
        "<p class=note>Persons who are not known public figures are shown as pseudonyms "
        "(stable within this case, not reversible without the case folder).</p>"
        if data.figures["pseudonymized"]
        else "<p class=note>Real names shown on request (<code>--real-names</code>).</p>"
    )
    summary = (
        f"<p>{persons['persons']:,} depicted persons, {persons['public_figures']:,} of them known public "
        f"figures. {_pct(items['non_public_share'])} of videos and photos present "
        f"({items['non_public']['items']:,} of {items['media']:,}) depict a person not known to be a public "
        "figure.</p>"
    )
    rows = [
        (p["name"], "yes" if p["public_figure"] else "no", p["items"], p["videos"], p["photos"], p["views"])
        for p in persons["top"]
    ]
    return summary + note + _table(["Person", "Public figure", "Items", "Videos", "Photos", "Views"], rows)


def _concentration(data: ReportData) -> str:
    c = data.analysis["concentration"]
    v, u = c["views"], c["uploaders"]
    rows = [
        ("Videos with a view count", v["videos"]),
        ("Their views", v["views"]),
        ("Share held by the top 1 % of videos", _pct(v["top1_share"])),
        ("Share held by the top 10 % of videos", _pct(v["top10_share"])),
        ("Gini coefficient of video views", f"{v['gini']:.3f}"),
        ("Uploaders", u["uploaders"]),
        ("Items per uploader (median / max)", f"{_n(u['median'])} / {_n(u['max'])}"),
        ("Share of items by the top 10 uploaders", _pct(u["top10_share"])),
    ]
    years = [y for y in c["views_by_year"] if y["year"] is not None]
    chart = (
        bar_chart(
            "Views per video by upload year",
            [y["year"] for y in years],
            [("views per video", [y["views_per_video"] or 0 for y in years])],
        )
        if years
        else ""
    )
    by_year = _table(
        ["Upload year", "Videos", "Views", "Views per video"],
        [(y["year"] or "unknown", y["videos"], y["views"], y["views_per_video"]) for y in c["views_by_year"]],
    )
    top = _table(["Uploader", "Items"], [(t["name"], t["items"]) for t in u["top"]])
    return _table(["Figure", "Value"], rows) + chart + by_year + "<h3>Top uploaders</h3>" + top


def _distributions(data: ReportData) -> str:
    d = data.analysis["distributions"]
    hist = d["durations"]["histogram"]
    median = d["durations"]["median_s"]
    text = f"<p>Median video duration: {median / 60:.1f} min.</p>" if median is not None else ""
    chart = bar_chart(
        "Videos by duration", [b["bin"] for b in hist], [("videos", [b["videos"] for b in hist])]
    )
    tags = _table(["Tag", "Items"], [(t["tag"], t["items"]) for t in d["tags"]["overall"][:25]])
    return text + chart + "<h3>Most frequent tags</h3>" + tags


def _audience(data: ReportData) -> str:
    if not data.audience:
        return "<p>The case holds no audience data (<code>unmask audience import FILE</code>).</p>"
    parts = ["<p class=note>Third-party traffic estimates, as imported; not measured by unmask.</p>"]
    for d in data.audience:
        parts.append(f"<h3>{_e(d['domain'])}</h3>")
        summary = audience_headline(d)
        if summary:
            parts.append(f"<p>{_e(summary)}</p>")
        if d["monthly"]:
            parts.append(
                line_chart(
                    f"Estimated monthly visits: {d['domain']}",
                    [m["month"] for m in d["monthly"]],
                    [("visits", [m["visits"] for m in d["monthly"]])],
                    area=True,
                )
            )
        best = d["best_3_months"]
        if best:
            parts.append(f"<p>Best 3 months: {_e(', '.join(best['months']))}: {best['visits']:,} visits.</p>")
        if d["countries"]:
            period = f" ({d['countries_period']})" if d["countries_period"] else ""
            parts.append(f"<p>Countries{_e(period)}:</p>")
            parts.append(
                _table(["Country", "Share"], [(c["country"], _pct(c["share"])) for c in d["countries"][:15]])
            )
    return "".join(parts)


def _methodology(data: ReportData) -> str:
    m = data.methodology
    platforms = _table(
        ["Platform", "Base URL", "Adapter"],
        [(p["name"], p["base_url"], p["adapter"]) for p in m["platforms"]],
    )
    runs = []
    for r in m["runs"]:
        fetched = ", ".join(
            f"{kind}: " + ", ".join(f"{n:,} {status}" for status, n in sorted(counts.items()))
            for kind, counts in r["frontier"].items()
        )
        runs.append(
            (
                f"#{r['run']}",
                r["start_url"],
                f"{r['status']} ({r['phase']})" + (", re-crawl" if r["incremental"] else ""),
                r["started"],
                r["finished"],
                r["sessions"],
                r["requests"],
                r["refused"],
                r["errors"],
                fetched or "–",
                r["adapter"],
                f"delay {_n(r['delay'])} s, concurrency {_n(r['concurrency'])}",
            )
        )
    s = m["settings"]
    settings = _table(
        ["Fetch setting", "Value"],
        [
            ("User agent", s["user_agent"]),
            ("Delay between requests to one host (case default)", f"{s['delay']} s"),
            ("Connections per host (case default)", s["concurrency"]),
            ("Adaptive throttling", "yes" if s["autothrottle"] else "no"),
            ("robots.txt obeyed", "yes" if s["obey_robots"] else "no"),
            ("Retries", s["retries"]),
            ("Largest body read", f"{s['max_response_bytes']:,} bytes"),
            ("Through a proxy", "yes" if s["proxy"] else "no"),
        ],
    )
    limits = "".join(f"<li>{_e(text)}</li>" for text in m["limitations"])
    return (
        "<p>Catalogue metadata only: unmask never downloads media. It reads robots.txt, then sitemaps and "
        "listing pages, and fetches an item's own page only for fields those did not give. Every response "
        "is archived in a WARC file and recorded as a capture; each item field names the capture it came "
        "from.</p>"
        f"<h3>Platforms</h3>{platforms}"
        '<h3 id="runs">Crawl runs</h3>'
        + _table(
            [
                "Run",
                "Start URL",
                "Status",
                "Started",
                "Finished",
                "Sessions",
                "Requests",
                "Refused",
                "Failed",
                "URLs by kind and outcome",
                "Adapter",
                "Politeness",
            ],
            runs,
        )
        + f"<h3>Fetch settings</h3>{settings}<h3>Limitations</h3><ul>{limits}</ul>"
    )


def _evidence(data: ReportData) -> str:
    ev = data.evidence
    captures = ev["captures"]
    shown = (
        f"the {len(captures):,} most relevant of {ev['total']:,}" if ev["total"] > len(captures) else "all"
    )
    kinds: dict[str, int] = {}
    for c in captures:
        kinds[c["kind"]] = kinds.get(c["kind"], 0) + 1
    fields = "".join(
        f'<li id="ev-{_e(field)}">{_e(field)}: {len(ids):,} captures, e.g. '
        + ", ".join(f'<a href="#cap-{i}">{i}</a>' for i in ids[:10])
        + "</li>"
        for field, ids in sorted(ev["by_field"].items())
    )
    rows = "".join(
        f'<tr id="cap-{c["id"]}"><td class=n>{c["id"]}</td><td>{_e(c["kind"])}</td>'
        f"<td class=url>{_e(c['url'])}</td><td>{_e(c['requested'])}</td><td class=n>{_e(c['status'])}</td>"
        f"<td class=n>{c['items']:,}</td><td>{_e(', '.join(c['fields']))}</td>"
        f"<td>{_warc_link(data, c, 'WARC record')}</td></tr>"
        for c in captures
    )
    return (
        f"<p>Captures that provided item fields: {shown}; sitemaps and listings first. "
        "By kind: " + _e(", ".join(f"{k} {n:,}" for k, n in kinds.items()) or "none") + ". "
        "A WARC link names the file (relative to this report) and the record's byte offset; "
        "<code>warcio extract FILE OFFSET</code> prints the exchange.</p>"
        f"<h3>Captures by field</h3><ul>{fields}</ul>"
        "<table><tr><th>Capture</th><th>Kind</th><th>URL</th><th>Requested</th><th>Status</th>"
        f"<th>Items</th><th>Fields</th><th>Archive</th></tr>{rows}</table>"
    )


SECTION_BODY = {
    "headline": _headline,
    "growth": _growth,
    "targets": _targets,
    "concentration": _concentration,
    "distributions": _distributions,
    "audience": _audience,
    "infrastructure": lambda data: data.infrastructure,
    "owners": lambda data: (
        data.owners
        or (
            "<p class=note>No entity graph in this case: <code>unmask owners import FILE</code> loads "
            "registry and ownership data, <code>unmask owners emit-case</code> adds the platform, its "
            "domains and addresses.</p>"
        )
    ),
    "methodology": _methodology,
    "evidence": _evidence,
}


def render(data: ReportData, *, generated: dt.datetime | None = None) -> str:
    generated = generated or dt.datetime.now(dt.UTC)
    nav = "".join(f'<a href="#{key}">{_e(title)}</a>' for key, title in SECTIONS)
    body = "".join(
        f'<section id="{key}"><h2>{_e(title)}</h2>{SECTION_BODY[key](data)}</section>'
        for key, title in SECTIONS
    )
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="{CSP}">
<meta name="viewport" content="width=device-width,initial-scale=1">
<link rel="icon" href="data:,">
<title>{_e(data.case_name)} — unmask report</title><style>{STYLE}</style></head>
<body><h1>{_e(data.case_name)}</h1>
<p class=note>Generated {_e(generated.strftime("%Y-%m-%d %H:%M UTC"))} by unmask from the case store.</p>
<nav>{nav}</nav>
{body}
</body></html>
"""


def write_report(
    case: Case,
    path: Path,
    *,
    real_names: bool = False,
    case_name: str | None = None,
    policy: PrivacyPolicy | None = None,
) -> Path:
    """Gather, render and write the report atomically (never over the case's own files); returns its
    path."""
    path = output_target(path, case)
    data = gather(case, path.parent, real_names=real_names, case_name=case_name, policy=policy)
    write_text(path, render(data), private=in_case(path, case))
    return path
