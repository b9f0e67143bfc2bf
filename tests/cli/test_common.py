"""The options every command shares are declared once (cli/common.py) and mean the same everywhere."""

from __future__ import annotations

from unmask.cli import command
from unmask.cli.help import choice_of, walk


def test_every_format_option_takes_only_its_listed_values() -> None:
    """A ``--format`` anywhere is checked against its choices before the command starts (format_option):
    a value not among them is a usage error naming them, never a free string a stage meets later."""
    formats = [
        (path, param)
        for path, cmd in walk(command())
        for param in cmd.params
        if "--format" in getattr(param, "opts", ())
    ]
    assert len(formats) >= 7  # report, export, owners import/export, audience/infra imports, evidence
    for path, param in formats:
        choice = choice_of(param)
        assert choice is not None and choice.values, f"unmask {' '.join(path)} --format"
