"""`unmask init`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from unmask.cli.common import JsonOpt, err_console, print_json
from unmask.core.case import Case
from unmask.evidence import custody


@custody.logged("init", case_param="directory")
def init(
    directory: Annotated[Path, typer.Argument(help="Folder of the new case.")],
    db: Annotated[
        str | None, typer.Option("--db", help="Database URL (postgresql://…); default: SQLite in the case.")
    ] = None,
    name: Annotated[str | None, typer.Option("--name", help="Case name (default: the folder name).")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Make a new case: store, evidence folder and case.yaml."""
    case = Case.init(directory, db=db, name=name)
    info = {"case": str(case.root), "database": case.store.dialect, "evidence": str(case.evidence_dir)}
    case.close()
    if as_json:
        print_json(info)
    else:
        err_console.print(f"case made in {info['case']} ({info['database']} store)")
