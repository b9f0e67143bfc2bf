"""`unmask infra …`: infrastructure scans, changes, timelines, sister sites."""

from __future__ import annotations

import typer

app = typer.Typer(
    help="Infrastructure over time: DNS, networks, masking, certificates, linking IDs.", no_args_is_help=True
)
