"""Options and output helpers shared by every command.

The consoles never read markup (platform text such as ``[/bold]`` or ``[link=…]`` is shown as written)
and clean every string of control, bidi and invisible format characters before it reaches the
terminal; styles are given with ``style=``, never inside the text."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from functools import cached_property
from pathlib import Path
from typing import Annotated, Any

import orjson
import typer
from rich.console import Console
from rich.text import Text

from unmask.cli import _startup
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


class Choice:
    """The values an option accepts (``--format csv|json``): anything else is a usage error naming them
    (exit 2), before the command starts. Case and surrounding spaces do not matter.

    ``values`` is where the values are defined (a format table…), or a function returning them, read only
    when a value is checked or a help screen shows them, so that a costly import waits until then.
    Declare it as the option's callback: ``typer.Option("--format", callback=Choice(…).check)``, or for a
    ``--format`` option through :func:`format_option`."""

    def __init__(self, what: str, values: Iterable[str] | Callable[[], Iterable[str]]) -> None:
        self.what = what
        self._values = values

    @cached_property
    def values(self) -> tuple[str, ...]:
        found = self._values() if callable(self._values) else self._values
        return tuple(str(v) for v in found)

    @property
    def metavar(self) -> str:
        return "|".join(self.values)

    def check(self, value: str | None) -> str | None:
        """The canonical spelling of ``value``; a usage error for a value not among the choices."""
        if value is None:
            return None
        wanted = value.strip().casefold()
        for known in self.values:
            if known.casefold() == wanted:
                return known
        raise typer.BadParameter(f"unknown {self.what} {value!r}; choose from {', '.join(self.values)}")


def format_option(
    what: str, values: Iterable[str] | Callable[[], Iterable[str]], help: str, *names: str, **settings: Any
) -> Any:
    """A ``--format`` option (also called ``names``, e.g. ``-f``) that takes only ``values`` (:class:`Choice`,
    whose usage error calls them a ``what``): ``Annotated[str | None, format_option(…)]``."""
    return typer.Option(..., "--format", *names, callback=Choice(what, values).check, help=help, **settings)


def output_option(help: str, *names: str, **settings: Any) -> Any:
    """The ``-o``/``--output`` option of a command that writes a file or folder (``names``: the order of
    its spellings, ``-o --output`` unless given), in ``Annotated`` or as the default of a required one.
    What it is given never lands on the case's own files: the command or the stage it calls checks it
    first (``unmask.core.output.output_target``)."""
    return typer.Option(..., *(names or ("-o", "--output")), help=help, **settings)


CaseOpt = Annotated[
    Path | None,
    typer.Option("--case", help="Case folder (default: the current folder).", show_default=False),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON on stdout and nothing else.")]
PlatformOpt = Annotated[str | None, typer.Option("--platform", help="Only this platform (its base URL).")]
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
    _startup.command_loaded()
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


JSON_OPTIONS = (
    orjson.OPT_INDENT_2
    | orjson.OPT_NON_STR_KEYS
    | orjson.OPT_SERIALIZE_NUMPY
    | orjson.OPT_PASSTHROUGH_DATETIME
    | orjson.OPT_PASSTHROUGH_DATACLASS
)
"""Indented like ``json.dumps(indent=2)``; NumPy numbers as numbers; dates and dataclasses through ``str``
as before."""


def print_json(data: Any) -> None:
    """``--json`` output. Written by orjson (C: 5 ms where the standard library's indenting encoder, pure
    Python, took 90 ms for the 10,000 owners of an `owners ultimate` answer); what orjson refuses
    (integers beyond 64 bits) by the standard library."""
    try:
        text = orjson.dumps(data, default=str, option=JSON_OPTIONS).decode("utf-8")
    except (orjson.JSONEncodeError, TypeError):
        text = json.dumps(data, ensure_ascii=False, indent=2, default=str)
    sys.stdout.write(text + "\n")
