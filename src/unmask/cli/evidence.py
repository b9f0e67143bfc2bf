"""`unmask evidence …`: seal, verify, custody log, WACZ export, offline replay."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from unmask.cli.common import (
    CaseOpt,
    JsonOpt,
    err_console,
    format_option,
    opened_case,
    out_console,
    output_option,
    print_json,
)
from unmask.evidence import custody

app = typer.Typer(
    help="Evidence that stands up: seal and timestamp, verify, custody log, WACZ export, offline replay.",
    no_args_is_help=True,
)


@app.command("seal")
@custody.logged("evidence seal")
def seal_cmd(
    case: CaseOpt = None,
    tsa: Annotated[
        list[str] | None,
        typer.Option(
            "--tsa", help="Timestamp authority URL (repeatable; default: evidence.tsa in case.yaml)."
        ),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Write a manifest of every evidence file and the capture rows, and timestamp it with each TSA."""
    from unmask.evidence.seal import seal

    with opened_case(case) as the_case:
        data = seal(the_case, tsa or None).as_dict(the_case)
    if as_json:
        print_json(data)
        return
    out_console.print(
        f"sealed {data['files']} files and {data['captures']} capture rows: {escape(data['manifest'])}",
        highlight=False,
    )
    out_console.print(f"  sha256 {data['sha256']}", highlight=False)
    for stamp in data["timestamps"]:
        out_console.print(f"  timestamp {stamp['time']} from {escape(stamp['tsa'])}", highlight=False)
    for failed in data["failed_timestamps"]:
        err_console.print(
            f"  [yellow]timestamp from {escape(failed['tsa'])} failed:[/] {escape(failed['error'])}",
            highlight=False,
        )
    if not data["timestamps"]:
        err_console.print(
            "  no timestamp: the seal proves integrity from now on, not the time", highlight=False
        )


@app.command("verify")
def verify_cmd(case: CaseOpt = None, as_json: JsonOpt = False) -> None:
    """Re-hash every evidence file and check records, capture rows, seals, tokens and the custody log."""
    from unmask.core.progress import progress_display
    from unmask.evidence.verify import verify

    bar = progress_display("verify", show=err_console.is_terminal, console=err_console, unit="bytes")
    with opened_case(case) as the_case, bar as step:
        result = verify(the_case, progress=step)
    if as_json:
        print_json(result.as_dict())
    else:
        for failure in result.failures:
            out_console.print(escape(str(failure)), highlight=False, soft_wrap=True)
        checked = result.checked
        summary = (
            f"{checked['files']} files ({checked['bytes']:,} bytes), {checked['warc_records']} WARC records, "
            f"{checked['captures']} capture rows, {checked['manifests']} manifests, "
            f"{checked['timestamps']} timestamps, {checked['custody_entries']} custody entries"
        )
        if result.ok:
            err_console.print(f"[green]all hold[/]: {summary}", highlight=False)
        else:
            err_console.print(f"[red]{len(result.failures)} failures[/] in {summary}", highlight=False)
    if not result.ok:
        raise typer.Exit(1)


@app.command("log")
def log_cmd(case: CaseOpt = None, as_json: JsonOpt = False) -> None:
    """The custody log: one entry per command that changed the case."""
    from unmask.evidence.manifest import custody_path

    with opened_case(case) as the_case:
        path = custody_path(the_case)
        lines = list(custody.read_log(path))
        broken = list(custody.chain_problems(path))
    if as_json:
        print_json([line.entry for line in lines if line.entry is not None])
    else:
        for line in lines:
            entry = line.entry
            if entry is None:
                out_console.print(f"{line.number:>4}  (not a JSON line)", markup=False, highlight=False)
                continue
            rows = entry.get("changed", {}).get("rows", {})
            changed = ", ".join(f"{name} {delta:+,}" for name, delta in rows.items()) or "no rows changed"
            seal = f"  sealed {entry['seal']}" if entry.get("seal") else ""
            command = " ".join(entry.get("command", []))
            out_console.print(
                f"{entry.get('seq', line.number):>4}  {entry.get('time', '')}  {command}"
                f"  [{entry.get('outcome')}]  {changed}{seal}",
                markup=False,
                highlight=False,
                soft_wrap=True,
            )
    if broken:
        err_console.print(f"[red]the log's chain is broken[/] at byte {broken[0][0]}: {escape(broken[0][1])}")
    elif lines:
        err_console.print(f"{len(lines)} entries, chain intact", highlight=False)


@app.command("export")
def export_cmd(
    output: Annotated[Path, output_option("The package to write (outside the case).")],
    case: CaseOpt = None,
    package_format: Annotated[
        str, format_option("format", ("wacz",), "Package format: wacz.", metavar="FORMAT")
    ] = "wacz",
    as_json: JsonOpt = False,
) -> None:
    """Write the captures, their index and pages, the seals and the custody log as one WACZ package."""
    from unmask.evidence.wacz import export_wacz

    with opened_case(case) as the_case:
        result = export_wacz(the_case, output)
    if as_json:
        print_json(result.as_dict())
    else:
        out_console.print(
            f"wrote {escape(str(result.path))}: {result.captures} captures, {result.pages} HTML pages, "
            f"{result.bytes:,} bytes",
            highlight=False,
        )


@app.command("serve")
def serve_cmd(
    case: CaseOpt = None,
    port: Annotated[
        int | None, typer.Option("--port", help="Port on 127.0.0.1 (default: evidence.serve_port, 8642).")
    ] = None,
) -> None:
    """Replay the case's captures offline on 127.0.0.1 (ReplayWeb.page); Ctrl-C stops."""
    from unmask.evidence.serve import ReplayServer

    with opened_case(case) as the_case:
        server = ReplayServer(the_case, port=the_case.config.evidence.serve_port if port is None else port)
        out_console.print(server.url, highlight=False, soft_wrap=True)
        err_console.print("replaying the captures offline (later ones too); Ctrl-C stops", highlight=False)
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            err_console.print("stopped", highlight=False)
