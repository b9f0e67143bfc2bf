"""Options and output helpers shared by every command.

The consoles never read markup (platform text such as ``[/bold]`` or ``[link=…]`` is shown as written)
and clean every string of control, bidi and invisible format characters before it reaches the
terminal; styles are given with ``style=``, never inside the text."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.text import Text

from unmask.core.case import Case
from unmask.core.output import display_text
from unmask.core.privacy import PrivacyPolicy


class SafeConsole(Console):
    """A rich console for hostile text: markup and highlighting off, every string cleaned."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("markup", False)
        kwargs.setdefault("highlight", False)
        super().__init__(**kwargs)

    def render_str(self, text: str, **kwargs: Any) -> Text:
        kwargs["markup"] = False
        return super().render_str(display_text(text, lines=True), **kwargs)


err_console = SafeConsole(stderr=True)
out_console = SafeConsole()

CaseOpt = Annotated[
    Path | None,
    typer.Option("--case", help="Case folder (default: the current folder).", show_default=False),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON on stdout and nothing else.")]
RealNamesOpt = Annotated[
    bool,
    typer.Option(
        "--real-names",
        help="Name depicted persons who are not public figures (no pseudonyms; protected "
        "persons stay hidden).",
    ),
]
PublicFiguresOpt = Annotated[
    list[Path] | None,
    typer.Option(
        "--public-figures",
        help="CSV of public figures (columns name, aliases separated by | or ;) named in this output; "
        "repeatable. `unmask analyze --public-figures` records a list in the case.",
        show_default=False,
    ),
]


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


def privacy_policy(
    case: Case, real_names: bool = False, public_figures: list[Path] | None = None
) -> PrivacyPolicy:
    """The privacy policy of one command's outputs (unmask.core.privacy)."""
    return PrivacyPolicy.for_case(case, real_names=real_names, public_figure_files=public_figures or ())


def print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2, default=str) + "\n")
