"""`unmask owners …`: the entity graph, ownership imports, effective ownership and paths."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from unmask.cli.common import (
    CaseOpt,
    JsonOpt,
    PublicFiguresOpt,
    RealNamesOpt,
    err_console,
    format_option,
    opened_case,
    out_console,
    output_option,
    print_json,
    privacy_policy,
)
from unmask.core.labels import label, labels, words
from unmask.evidence import custody
from unmask.owners.privacy import shown

if TYPE_CHECKING:
    from unmask.core.case import Case

app = typer.Typer(
    help="Who is behind it: entity graph, ownership imports, ultimate owners, paths.", no_args_is_help=True
)


def _import_formats() -> list[str]:
    from unmask.owners.importers import FORMATS

    return [f.name for f in FORMATS]


def _export_formats() -> tuple[str, ...]:
    from unmask.owners.export import FORMATS

    return FORMATS


def _note(message: str) -> None:
    err_console.print(f"unmask: {message}", highlight=False, markup=False, soft_wrap=True)


def _spinner(template: str, *, hidden: bool = False) -> Progress:
    """A spinner with a line of text and the time elapsed on stderr (a terminal only), gone when done."""
    return Progress(
        SpinnerColumn(),
        TextColumn(template, markup=False),
        TimeElapsedColumn(),
        console=err_console,
        transient=True,
        disable=hidden or not err_console.is_terminal,
    )


def _query(
    case: Path | None, as_json: bool, ask: Callable[[Case], dict[str, Any]], show: Callable[[Any], None]
) -> None:
    """A question to the graph: its answer, with owners as every output shows them, as JSON or through
    ``show``."""
    with opened_case(case) as the_case:
        answer = shown(ask(the_case), privacy_policy(the_case))
    if as_json:
        print_json(answer)
    else:
        show(answer)


def _change(
    case: Path | None, as_json: bool, change: Callable[[Case], dict[str, Any]], said: Callable[[Any], str]
) -> None:
    """A change to the graph, its index rebuilt after it: what changed as JSON, or in one line."""
    with opened_case(case) as the_case:
        result = change(the_case)
        _build_index(the_case)
    if as_json:
        print_json(result)
    else:
        out_console.print(said(result), highlight=False, markup=False, soft_wrap=True)


def _build_index(the_case: Any) -> None:
    """End a command that changed the graph by building the compact index the queries read."""
    from unmask.owners.index import ensure

    ensure(the_case.store, the_case.root, note=_note)


@app.command("import")
@custody.logged("owners import")
def import_cmd(
    files: Annotated[list[Path], typer.Argument(help="Files to import (one transaction for all of them).")],
    case: CaseOpt = None,
    fmt: Annotated[
        str | None,
        format_option(
            "format",
            _import_formats,
            "Force the format instead of detecting it from the content (docs/owners.md).",
        ),
    ] = None,
    keep_going: Annotated[
        bool, typer.Option("--keep-going", help="Import the valid records, list the ones skipped.")
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """Import ownership data (format detected from the content); all or nothing unless --keep-going."""
    from unmask.owners.importers.load import import_files

    with opened_case(case) as the_case, _spinner("{task.description}") as bar:
        task = bar.add_task("importing", total=None)

        def progress(path: str, count: int) -> None:
            bar.update(task, description=f"{Path(path).name}: {count:,} records")

        results = import_files(
            the_case.store, files, format_name=fmt, keep_going=keep_going, progress=progress
        )
        _build_index(the_case)
    if as_json:
        print_json({"imports": [r.as_dict() for r in results]})
        return
    for res in results:
        out_console.print(
            f"imported {res.path} ({res.format}): {res.entities:,} entities, {res.edges:,} edges "
            f"(import {res.import_id})",
            highlight=False,
            soft_wrap=True,
        )
        for problem in res.skipped:
            out_console.print(
                f"  skipped {res.path}:{problem.line}: {problem.message}", highlight=False, markup=False
            )
        for problem in res.warnings:
            out_console.print(
                f"  warning {res.path}:{problem.line}: {problem.message}", highlight=False, markup=False
            )


@app.command("show")
def show_cmd(
    entity_id: Annotated[
        str, typer.Argument(metavar="ID", help="Source ID (LEI, FtM id, BODS recordId…) or #KEY.")
    ],
    case: CaseOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """An entity with its sources and its neighbours, by kind of link."""
    from unmask.owners.show import show

    _query(case, as_json, lambda the_case: show(the_case, entity_id, note=_note), _print_entity)


def _share(edge: dict[str, Any]) -> str:
    low, high = edge["share_min"], edge["share_max"]
    if low is None and high is None:
        return "share unknown" if edge.get("kind") == "ownership" else ""
    if low == high:
        return f"{low:g}%"
    if high is None:
        return f"at least {low:g}%"
    if low is None:
        return f"at most {high:g}%"
    return f"{low:g}–{high:g}%"


def _print_entity(info: dict[str, Any]) -> None:
    top = f"  [top of its chains: {label('owner_top', info['topmark'])}]" if info["topmark"] else ""
    out_console.print(
        f"{info['name'] or '(no name)'}, {words(info['schema'])}, {info['id']} ({info['key']}){top}",
        style="bold",
    )
    for ident in info["identifiers"]:
        out_console.print(f"  {label('identifier', ident['scheme'])}: {ident['value']}", highlight=False)
    for src in info["sources"]:
        where = src["capture_url"] or f"{src['file']}:{src['line']}"
        out_console.print(f"  source {src['key']}: {where}", highlight=False, markup=False, soft_wrap=True)
    for kind, edges in info["neighbours"].items():
        out_console.print(f"  {label('edge_kind', kind)}", style="bold")
        for edge in edges:
            arrow = "→" if edge["direction"] == "out" else "←"
            dates = " ".join(x for x in (str(edge["start_date"] or ""), str(edge["end_date"] or "")) if x)
            flags = " ".join(
                f
                for f, on in (
                    ("indirect", edge["direct"] is False),
                    ("component", edge["component"]),
                    ("history", edge["replaced"]),
                )
                if on
            )
            share = _share({**edge, "kind": kind})
            what = f"{edge['name'] or edge['id']} ({edge['id']}) {edge['role'] or ''} {share} {dates} {flags}"
            where = f"{edge['source']['file']}:{edge['source']['line']}"
            out_console.print(f"    {arrow} {what}  [{where}]", highlight=False, markup=False, soft_wrap=True)


@app.command("emit-case")
@custody.logged("owners emit-case")
def emit_case_cmd(case: CaseOpt = None, as_json: JsonOpt = False) -> None:
    """Bring the case's platforms, infrastructure and app findings into the graph (idempotent)."""
    from unmask.owners.emit import emit_case
    from unmask.owners.emit_apps import emit_apps

    def emit(the_case: Case) -> dict[str, Any]:
        entities, edges = emit_case(the_case.store)
        apps = emit_apps(the_case.store)  # after the platforms: the app route links to them
        return {"entities": entities + apps[0], "edges": edges + apps[1]}

    _change(
        case,
        as_json,
        emit,
        lambda new: f"case findings in the graph: {new['entities']} new entities, {new['edges']} new edges",
    )


@app.command("resolve")
@custody.logged("owners resolve")
def resolve_cmd(
    case: CaseOpt = None,
    apply_: Annotated[
        bool, typer.Option("--apply", help="Apply the identifier-based proposals (LEI, registration…).")
    ] = False,
    include_names: Annotated[
        bool, typer.Option("--include-names", help="With --apply, apply the name-based proposals too.")
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """List proposed merges (same identifier, or same normalised name and jurisdiction) for review."""
    from unmask.owners import resolve

    with opened_case(case) as the_case:
        proposals = resolve.candidates(the_case.store)
        if apply_:
            resolve.apply(the_case.store, proposals, include_names=include_names)
            _build_index(the_case)
        policy = privacy_policy(the_case)
    if as_json:
        print_json({"candidates": policy.redact_all([p.as_dict() for p in proposals])})
        return
    if not proposals:
        out_console.print("no merge to propose")
    for p in proposals:
        state = f"applied as merge {p.merge_id}" if p.merge_id else "proposed"
        out_console.print(
            policy.redact(
                f"{p.merged['name']} ({p.merged['id']}, {p.merged['key']}) → {p.canonical['name']} "
                f"({p.canonical['id']}, {p.canonical['key']}): {label('merge_reason', p.reason)}, "
                f"score {p.score:g}, {state}"
            ),
            highlight=False,
            markup=False,
            soft_wrap=True,
        )
    if proposals and not apply_:
        out_console.print(
            "apply with `unmask owners resolve --apply` (identifiers) or `unmask owners merge A B`",
            markup=False,
        )


@app.command("merge")
@custody.logged("owners merge")
def merge_cmd(
    canonical: Annotated[
        str, typer.Argument(metavar="ID", help="The entity that stays (source ID or #KEY).")
    ],
    merged: Annotated[
        str, typer.Argument(metavar="MERGED_ID", help="The entity merged into it (source ID or #KEY).")
    ],
    case: CaseOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Merge one entity into another (reversible with `owners unmerge`)."""
    from unmask.owners.resolve import merge

    def change(the_case: Case) -> dict[str, Any]:
        return {"merge": merge(the_case.store, canonical, merged)}

    _change(case, as_json, change, lambda done: f"merge {done['merge']}: {merged} merged into {canonical}")


@app.command("unmerge")
@custody.logged("owners unmerge")
def unmerge_cmd(
    merge_id: Annotated[
        int, typer.Argument(metavar="MERGE_ID", help="A merge number (see `owners merges`).")
    ],
    case: CaseOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Revert a merge."""
    from unmask.owners.resolve import unmerge

    def change(the_case: Case) -> dict[str, Any]:
        return unmerge(the_case.store, merge_id)

    _change(case, as_json, change, lambda _done: f"merge {merge_id} reverted")


@app.command("merges")
def merges_cmd(case: CaseOpt = None, as_json: JsonOpt = False) -> None:
    """Merges applied so far (and reverted ones)."""
    from unmask.owners import resolve

    with opened_case(case) as the_case:
        rows = privacy_policy(the_case).redact_all(resolve.merges(the_case.store))
    if as_json:
        print_json({"merges": rows})
        return
    for row in rows:
        state = f"reverted {row['reverted_at']:%Y-%m-%d}" if row["reverted_at"] else "applied"
        out_console.print(
            f"{row['merge']}: {row['merged']['name']} ({row['merged']['id']}) → {row['canonical']['name']} "
            f"({row['canonical']['id']}): {label('merge_reason', row['reason'])}, {state}",
            highlight=False,
            markup=False,
            soft_wrap=True,
        )


# --- analytics commands below (owners-analytics) ---


def _parse_day(value: str | None) -> Any:
    import datetime as dt

    from unmask.core.errors import UnmaskError

    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise UnmaskError("not a date, expected YYYY-MM-DD", where=f"--at {value}") from None


AtOpt = Annotated[
    str | None,
    typer.Option(
        "--at", help="The day to answer for, YYYY-MM-DD (default: today; later changes are history)."
    ),
]


@app.command("ultimate")
def ultimate_cmd(
    entity: Annotated[
        str, typer.Argument(help="Source ID (FtM id, LEI, BODS recordId, registry number) or #internal id.")
    ],
    case: CaseOpt = None,
    at: AtOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Ultimate owners with their effective share (all paths, cycles solved), flags and control."""
    from unmask.owners.ultimate import ultimate

    day = _parse_day(at)
    _query(case, as_json, lambda the_case: ultimate(the_case, entity, at=day, note=_note), _print_ultimate)


def _effective_share(o: dict[str, Any]) -> str:
    if o["exact"]:
        return f"{o['percent']:.2f} %"
    return f"{o['percent_low']:.2f}–{o['percent_high']:.2f} %"


def _print_ultimate(result: dict[str, Any]) -> None:
    out_console.print(
        f"{result['name'] or result['entity']} ({result['entity']}) on {result['at']}",
        highlight=False,
        markup=False,
    )
    if result["is_top"]:
        out_console.print(
            f"  at the top of its chains: {label('owner_top', result['top_reason'])}",
            highlight=False,
            markup=False,
        )
    for o in result["owners"]:
        flags = f"  [{labels('owner_flag', o['flags'])}]" if o["flags"] else ""
        out_console.print(
            f"  {_effective_share(o):>18}  {o['name'] or o['id']} ({o['id']}): "
            f"{label('owner_top', o['top'])}{flags}",
            highlight=False,
            soft_wrap=True,
            markup=False,
        )
    if result["control"]:
        out_console.print("  control without shares:")
        for c in result["control"]:
            role = f" ({c['role']})" if c["role"] else ""
            out_console.print(
                f"    {label('edge_kind', c['kind'])}{role}: {c['name'] or c['id']} "
                f"over {c['of']['name'] or c['of']['id']}",
                highlight=False,
                soft_wrap=True,
                markup=False,
            )
    for f in result["flags"]:
        names = ", ".join(e["name"] or e["id"] for e in f["entities"])
        detail = f" ({f['detail']})" if f.get("detail") else ""
        out_console.print(
            f"  flag: {label('owner_flag', f['flag'])}{detail}: {names}",
            highlight=False,
            soft_wrap=True,
            markup=False,
        )


@app.command("path")
def path_cmd(
    a: Annotated[str, typer.Argument(help="Source ID or #internal id of one end.")],
    b: Annotated[str, typer.Argument(help="Source ID or #internal id of the other end.")],
    case: CaseOpt = None,
    max_paths: Annotated[int, typer.Option("--max", min=1, help="Most paths listed.")] = 10,
    max_hops: Annotated[int, typer.Option("--max-hops", min=1, help="Longest path searched.")] = 12,
    at: AtOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """The shortest chains of links between two entities (ownership, control, addresses, domains…), each
    link with its source."""
    from unmask.owners.paths import path_query

    day = _parse_day(at)
    _query(
        case,
        as_json,
        lambda the_case: path_query(the_case, a, b, k=max_paths, max_hops=max_hops, at=day, note=_note),
        lambda result: _print_paths(result, a, b, max_hops),
    )


def _print_paths(result: dict[str, Any], a: str, b: str, max_hops: int) -> None:
    if not result["paths"]:
        out_console.print(f"no path between {a} and {b} within {max_hops} links", highlight=False)
        return
    for n, p in enumerate(result["paths"], 1):
        out_console.print(f"path {n} ({p['length']} link{'' if p['length'] == 1 else 's'})", style="bold")
        for hop in p["hops"]:
            for e in hop["edges"]:
                arrow = "→" if e["direction"] == "forward" else "←"
                share = ""
                if e["share_min"] is not None:
                    share = (
                        f" {e['share_min']:g}"
                        + (f"–{e['share_max']:g}" if e["share_max"] != e["share_min"] else "")
                        + " %"
                    )
                src = e["source"]
                where = src["file"] or src["url"] or "case"
                line = f":{src['line']}" if src["line"] is not None else ""
                record = src["record_id"] or ""
                out_console.print(
                    f"  {hop['from']} {arrow} {hop['to']}  {label('edge_kind', e['kind'])}{share}  "
                    f"[{where}{line} {record}]",
                    highlight=False,
                    soft_wrap=True,
                    markup=False,
                )


@app.command("export")
def export_cmd(
    fmt: Annotated[
        str,
        format_option(
            "format", _export_formats, "For Aleph (ftm), Gephi (gexf), Neo4j (cypher) or a spreadsheet (csv)."
        ),
    ],
    output: Annotated[
        Path, output_option("File to write (csv: the edges; the nodes beside it).", metavar="FILE")
    ],
    case: CaseOpt = None,
    real_names: RealNamesOpt = False,
    public_figures: PublicFiguresOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Export the whole entity graph: FtM JSON lines, GEXF, Cypher or CSV edge and node lists."""
    from unmask.owners.export import export_graph

    with opened_case(case) as the_case, _spinner("exporting {task.description}", hidden=as_json) as bar:
        bar.add_task(fmt, total=None)
        policy = privacy_policy(the_case, real_names, public_figures)
        result = export_graph(the_case, fmt, output, policy=policy)
    if as_json:
        print_json(result.as_dict())
        return
    files = ", ".join(str(p) for p in (result.path, *result.extra_files))
    out_console.print(
        f"exported {result.nodes:,} entities and {result.edges:,} links as {result.format} to {files}"
        f" ({result.pseudonymized:,} persons pseudonymised)",
        highlight=False,
        markup=False,
        soft_wrap=True,
    )
