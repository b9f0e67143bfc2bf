"""`unmask owners …`: the entity graph, ownership imports, effective ownership and paths."""

from __future__ import annotations

import typer

app = typer.Typer(
    help="Who is behind it: entity graph, ownership imports, ultimate owners, paths.", no_args_is_help=True
)
