"""`unmask analyze`: growth, targets, concentration, distributions — computed, stored, shown."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from unmask.cli.common import (
    CaseOpt,
    JsonOpt,
    PlatformOpt,
    RealNamesOpt,
    err_console,
    opened_case,
    out_console,
    print_json,
    privacy_policy,
)
from unmask.evidence import custody


@custody.logged("analyze")
def analyze(
    case: CaseOpt = None,
    as_json: JsonOpt = False,
    public_figures: Annotated[
        list[Path] | None,
        typer.Option(
            "--public-figures",
            help="CSV of public figures (columns name, aliases separated by | or ;), recorded in the case "
            "and named in every output from now on; repeatable.",
            show_default=False,
        ),
    ] = None,
    platform: PlatformOpt = None,
    top: Annotated[int, typer.Option("--top", min=1, max=1000, help="Length of the list of persons.")] = 20,
    real_names: RealNamesOpt = False,
) -> None:
    """Analyse the census (growth, targets, concentration, distributions) and store the results."""
    from unmask.analysis.analyze import AnalysisOptions, run_analysis
    from unmask.analysis.targets import import_public_figures

    with opened_case(case) as the_case:
        for path in public_figures or []:
            matched = import_public_figures(the_case.store, path)
            if not as_json:
                err_console.print(f"{path}: names {matched:,} depicted persons; recorded as public figures")
        policy = privacy_policy(the_case, real_names)
        result = run_analysis(the_case, AnalysisOptions(platform=platform, top=top, privacy=policy))
    if as_json:
        print_json(result)
    else:
        print_analysis(result)


def _table(title: str, columns: list[str], rows: list[list[Any]]) -> Table:
    table = Table(title=title)
    for i, column in enumerate(columns):
        table.add_column(column, justify="left" if i == 0 else "right")
    for row in rows:
        table.add_row(*(_cell(v) for v in row))
    return table


def _cell(value: Any) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:,.4g}" if value < 1 else f"{value:,.1f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def _pct(share: float) -> str:
    return f"{share * 100:.1f} %"


def print_analysis(result: dict[str, Any]) -> None:
    tables = [
        *_growth(result["growth"]),
        _targets(result["targets"]),
        *_concentration(result["concentration"]),
        *_distributions(result["distributions"]),
    ]
    for table in tables:
        out_console.print(table)
    if result["params"]["pseudonymized"]:
        out_console.print(
            "Persons who are not on the public-figure list are shown as pseudonyms (--real-names).",
            style="dim",
        )


def _growth(g: dict[str, Any]) -> list[Table]:
    years: dict[str, dict[str, Any]] = {}
    for row in g["monthly"]:
        years[row["month"][:4]] = row
    kinds = ["videos", "photos", "galleries"]
    by_year = [[y, *(row[f"{k}_cumulative"] for k in kinds)] for y, row in years.items()]
    runs = [[r["run"], r["status"], r["new"], r["removed"], r["present_after"]] for r in g["runs"]]
    return [
        _table("items by end of upload year (cumulative)", ["year", *kinds], by_year),
        _table("crawl runs", ["run", "status", "new", "removed", "present after"], runs),
    ]


def _targets(t: dict[str, Any]) -> Table:
    persons, items = t["persons"], t["items"]
    rows = [
        [p["name"], "yes" if p["public_figure"] else "no", p["items"], p["views"]] for p in persons["top"]
    ]
    title = (
        f"depicted persons: {persons['persons']:,} ({persons['public_figures']:,} public figures); "
        f"{_pct(items['non_public_share'])} of videos and photos depict a non-public person"
    )
    return _table(title, ["person", "public", "items", "views"], rows)


def _concentration(c: dict[str, Any]) -> list[Table]:
    v, u = c["views"], c["uploaders"]
    head = [
        ["videos with views", v["videos"]],
        ["views", v["views"]],
        ["top 1 % of videos hold", _pct(v["top1_share"])],
        ["top 10 % of videos hold", _pct(v["top10_share"])],
        ["Gini of video views", f"{v['gini']:.3f}"],
        ["uploaders", u["uploaders"]],
        ["items per uploader (median)", u["median"]],
        ["items per uploader (max)", u["max"]],
        ["top 10 uploaders hold", _pct(u["top10_share"])],
    ]
    by_year = [
        [y["year"] or "unknown", y["videos"], y["views"], y["views_per_video"]] for y in c["views_by_year"]
    ]
    return [
        _table("concentration", ["figure", "value"], head),
        _table("video views by upload year", ["year", "videos", "views", "views per video"], by_year),
    ]


def _distributions(d: dict[str, Any]) -> list[Table]:
    durations = d["durations"]
    hist = [[b["bin"], b["videos"]] for b in durations["histogram"]]
    median = durations["median_s"]
    title = "video durations" + (f" (median {median / 60:.1f} min)" if median is not None else "")
    tags = [[t["tag"], t["items"]] for t in d["tags"]["overall"][:20]]
    return [_table(title, ["duration", "videos"], hist), _table("most frequent tags", ["tag", "items"], tags)]
