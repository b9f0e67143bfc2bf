"""Options and output helpers shared by every command."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from unmask.core.case import Case

err_console = Console(stderr=True)
out_console = Console()

CaseOpt = Annotated[
    Path | None,
    typer.Option("--case", help="Case folder (default: the current folder).", show_default=False),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON on stdout and nothing else.")]


def open_case(path: Path | None) -> Case:
    return Case.open(path)


@contextmanager
def opened_case(path: Path | None) -> Iterator[Case]:
    """The case for one command, closed when the command is done (also on an error)."""
    case = Case.open(path)
    try:
        yield case
    finally:
        case.close()


def print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2, default=str) + "\n")
