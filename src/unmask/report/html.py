"""`unmask report`: one self-contained HTML file of a case's findings, figures, methodology and evidence.

The summary comes first: sentences with numbers written from the data, each linked to its section and
to the evidence it rests on, a completeness notice when the census is incomplete, and what was not
examined. The sections follow (unmask.report.sections: one record each; a section whose stage did not run
is left out and named). Charts are Vega-Lite rendered to inline SVG (unmask.report.charts); everything is
inline and a strict Content-Security-Policy forbids any request. Every value from the case is escaped and
cleaned of bidi controls and invisible characters (platform data is hostile); names and free text go
through the case's privacy policy (unmask.core.privacy). The only links out of the page are ordinary
relative links to the case's WARC files and to the full evidence list written beside the report.
Whatever analysis the case lacks is computed here; `unmask analyze` is never required first.
"""

from __future__ import annotations

import datetime as dt
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import unmask
from unmask.core.case import Case
from unmask.core.output import in_case, output_target, write_text
from unmask.core.privacy import PrivacyPolicy
from unmask.report.charts.render import warm_up
from unmask.report.evidence import EvidenceIndex, evidence_index, full_list_path, write_full_list
from unmask.report.graph import script_csp_source
from unmask.report.i18n import Lang, language
from unmask.report.page import Page, esc
from unmask.report.sections import SECTIONS, Context, Finding, Section
from unmask.report.sections.base import STAGES, stages_run, verdict

CSP = f"default-src 'none'; style-src 'unsafe-inline'; img-src data:; script-src {script_csp_source()}"
"""Nothing loads from anywhere; the one script that runs is the graph view's, allowed by its hash."""
STYLE = (Path(__file__).parent / "style.css").read_text(encoding="utf-8")


@dataclass
class ReportData:
    """Everything the report shows, gathered from the case."""

    case_name: str
    lang: Lang
    sections: list[Section]
    """The sections shown, in order."""
    data: dict[str, Any]
    """Each shown section's gathered data, by key."""
    skipped: list[tuple[str, str]]
    """(section key, stage) of the sections left out because their stage did not run."""
    stages: dict[str, bool]
    figures: dict[str, Any]
    runs: list[dict[str, Any]]
    """The crawl runs (unmask.report.methodology), oldest first."""
    evidence: EvidenceIndex
    case_href: str
    """Relative path from the report's folder to the case's folder (POSIX separators)."""


def gather(case: Case, out_dir: Path, policy: PrivacyPolicy, case_name: str | None, lang: str) -> ReportData:
    """Read everything the report shows. The big reads (figures, evidence index, analysis) run beside the
    rest, each on its own connection, while the chart engine starts."""
    from unmask.analysis.figures import FigureOptions, compute_figures
    from unmask.report.methodology import analysis

    words = language(lang)
    _ = policy.matcher  # built once, before the threads share the policy
    ctx = Context(case, policy, words)
    ctx.stages = stages_run(case, [*STAGES, *(s.needs for s in SECTIONS if s.needs is not None)])
    with ThreadPoolExecutor(max_workers=4) as pool:
        engine = pool.submit(warm_up)
        ctx.futures["figures"] = pool.submit(compute_figures, case.store, FigureOptions(privacy=policy))
        ctx.futures["evidence"] = pool.submit(evidence_index, case, policy=policy)
        if ctx.stages["census"]:
            ctx.futures["analysis"] = pool.submit(analysis, case, policy, ctx.methodology["runs"])
        shown = [s for s in SECTIONS if s.needs is None or ctx.stages[s.needs.name]]
        ctx.skipped = [(s.key, s.needs.name) for s in SECTIONS if s.needs and not ctx.stages[s.needs.name]]
        data = {s.key: s.gather(ctx) for s in shown}
        engine.result()
        rel = os.path.relpath(case.root.resolve(), out_dir.resolve())
        return ReportData(
            case_name=case_name or case.config.name,
            lang=words,
            sections=shown,
            data=data,
            skipped=ctx.skipped,
            stages=ctx.stages,
            figures=ctx.figures,
            runs=ctx.methodology["runs"],
            evidence=ctx.evidence,
            case_href=Path(rel).as_posix(),
        )


def _banner(data: ReportData, page: Page) -> str:
    """The completeness notice, at the top of the report (before the navigation) when the latest census
    run is incomplete: the census's own verdict where it gives one in the report's language, else why."""
    complete, reasons = verdict(data.figures, data.runs)
    if complete or not data.stages.get("census"):
        return ""
    sentence = data.figures.get("verdict")
    if sentence and page.lang.code == "en":
        return f"<div class=banner role=alert><p><strong>{esc(sentence)}</strong></p></div>"
    items = "".join(f"<li>{esc(r)}</li>" for r in reasons)
    return (
        f"<div class=banner role=alert><p><strong>{page.t('summary.incomplete_title')}</strong> "
        f"{page.t('summary.incomplete')}</p>" + (f"<ul>{items}</ul>" if items else "") + "</div>"
    )


def _not_examined(data: ReportData, page: Page) -> str:
    lang = page.lang
    missing = [stage for stage, ran in data.stages.items() if not ran]
    if not missing:
        return ""
    items = "".join(
        "<li>"
        + page.t("summary.stage_missing", stage=lang.t(f"stage.{s}.name"), how=lang.t(f"stage.{s}.how"))
        + "</li>"
        for s in missing
    )
    return f"<div class=not-examined><p>{page.t('summary.not_examined')}</p><ul>{items}</ul></div>"


def _summary(findings: list[Finding], data: ReportData, page: Page) -> str:
    lang = page.lang
    items: list[str] = []
    for f in findings:
        refs: list[str] = [page.link(f"#{f.section}", lang.t(f"section.{f.section}"))]
        if f.evidence:
            refs.append(f.evidence)
        items.append(f"<li>{f.sentence} <span class=refs>→ {esc(' · ').join(refs)}</span></li>")
    body = f"<ul class=findings>{''.join(items)}</ul>" if items else f"<p>{page.t('summary.nothing')}</p>"
    return (
        f'<section id="summary"><h2>{page.t("section.summary")}</h2>{body}'
        f"{_not_examined(data, page)}</section>"
    )


def render(data: ReportData, *, generated: dt.datetime | None = None, full_list: str | None = None) -> str:
    generated = generated or dt.datetime.now(dt.UTC)
    lang = data.lang
    page = Page(lang, data.case_href, full_list)
    bodies: dict[str, str] = {}
    for s in data.sections:
        if not s.renders_last:
            bodies[s.key] = s.render(data.data[s.key], page)
    findings = [f for s in data.sections for f in s.findings(data.data[s.key], page)]
    summary = _summary(findings, data, page)
    for s in data.sections:
        if s.renders_last:
            bodies[s.key] = s.render(data.data[s.key], page)
    keys = ["summary", *(s.key for s in data.sections)]
    nav = " ".join(f'<a href="#{key}">{page.t(f"section.{key}")}</a>' for key in keys)
    sections = "".join(
        f'<section id="{s.key}"><h2>{page.t(f"section.{s.key}")}</h2>{bodies[s.key]}</section>'
        for s in data.sections
    )
    stamp = lang.time(generated.replace(tzinfo=None))
    return f"""<!doctype html>
<html lang="{lang.code}"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="{CSP}">
<meta name="viewport" content="width=device-width,initial-scale=1">
<link rel="icon" href="data:,">
<title>{esc(data.case_name)} — {page.t("report.title")}</title><style>{STYLE}</style></head>
<body><header><h1>{esc(data.case_name)}</h1>
<p class=generated>{page.t("report.generated", when=stamp, version=unmask.__version__)}</p></header>
{_banner(data, page)}
<nav>{nav}</nav>
{summary}
{sections}
</body></html>
"""


def write_report(
    case: Case,
    path: Path,
    *,
    real_names: bool = False,
    case_name: str | None = None,
    policy: PrivacyPolicy | None = None,
    lang: str = "en",
    generated: dt.datetime | None = None,
    fmt: str | None = None,
) -> Path:
    """Gather, render and write the report atomically (never over the case's own files), HTML or PDF
    (``fmt``, or by the file's suffix), with the full evidence list beside it; returns the report's path."""
    path = output_target(path, case)
    pdf = fmt == "pdf" or (fmt is None and path.suffix.lower() == ".pdf")
    policy = policy or PrivacyPolicy.for_case(case, real_names=real_names)
    with ThreadPoolExecutor(max_workers=1) as side:
        if pdf:
            from unmask.report.pdf import preload

            side.submit(preload)
        data = gather(case, path.parent, policy, case_name, lang)
        given = data.evidence.provided
        listing = side.submit(write_full_list, case, path, policy=policy, given=given)
        text = render(data, generated=generated, full_list=full_list_path(path).name)
        listing.result()
    if pdf:
        from unmask.report.pdf import write_pdf

        write_pdf(text, path, private=in_case(path, case))
    else:
        write_text(path, text, private=in_case(path, case))
    return path
