"""Help screens a new user can read: an example on every screen, placeholders that say what goes there.

Typer builds the click command tree from the command functions; :func:`readable` finishes it from
``help.yaml`` (data, in one place):

* ``examples``: for each command path (``""`` is ``unmask`` itself), the lines shown under "Examples"
  at the end of its help screen, each with a note saying what it does;
* ``options`` and ``arguments``: the placeholder of an option's value (``--case DIR``) by flag, and of
  an argument by its parameter name, when the declaration gives no ``metavar`` of its own.

An option with a fixed set of values (:class:`unmask.cli.common.Choice`, an Enum, a Literal) shows them
(``cof|json|csv``), or names them (``FORMAT``) and lists them in its help text when they are many; a
flag shows nothing; anything else falls back on its type (``N``,
``NUMBER``, ``TEXT``, ``PATH``), never on a Python type name. An argument reads ``URL`` in the usage
line when required, ``[URL]`` when optional and ``FILE...`` when repeated.

The test suite parses every example, like every command line in README.md and docs/, against this tree
(tests/cli/test_documented_commands.py).
"""

from __future__ import annotations

import inspect
import typing
from collections.abc import Iterator
from dataclasses import dataclass
from enum import Enum
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import typer
import typer.main
import yaml
from rich.markup import escape
from typer._click import Command, Context  # Typer vendors click: its command and context types
from typer.core import TyperArgument, TyperGroup, TyperOption

from unmask.cli.common import Choice

FAST_LOADER: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

MAX_LISTED = 20
"""The longest list of choices shown as a placeholder (ftm|gexf|cypher|csv); a longer one is named
(FORMAT) and listed in the help text."""

TYPE_PLACEHOLDERS: dict[type, str] = {int: "N", float: "NUMBER", str: "TEXT", Path: "PATH"}
"""The last resort: a placeholder by the value's type."""


@dataclass(frozen=True)
class Example:
    run: str
    note: str


@dataclass(frozen=True)
class HelpData:
    examples: dict[str, tuple[Example, ...]]
    options: dict[str, str]
    arguments: dict[str, str]


@cache
def help_data() -> HelpData:
    text = resources.files("unmask.cli").joinpath("help.yaml").read_text(encoding="utf-8")
    raw = yaml.load(text, Loader=FAST_LOADER)  # read on every command: libyaml's parser when installed
    return HelpData(
        examples={
            path: tuple(Example(str(e["run"]), str(e["note"])) for e in entries)
            for path, entries in raw["examples"].items()
        },
        options={str(k): str(v) for k, v in raw["options"].items()},
        arguments={str(k): str(v) for k, v in raw["arguments"].items()},
    )


def choice_of(param: Any) -> Choice | None:
    """The Choice that checks an option's value, if any (Typer keeps `Choice.check` as the wrapped
    callback)."""
    callback = getattr(param, "callback", None)
    if callback is None:
        return None
    owner = getattr(inspect.unwrap(callback), "__self__", None)
    return owner if isinstance(owner, Choice) else None


def _value_type(annotation: Any) -> Any:
    """The type of one value: list[X] → X."""
    if typing.get_origin(annotation) is list:
        (annotation,) = typing.get_args(annotation)
    return annotation


def _by_type(param: TyperOption) -> str | None:
    descriptor = param.type_descriptor
    if descriptor.choices is not None:
        return "|".join(str(c.value if isinstance(c, Enum) else c) for c in descriptor.choices)
    value_type = _value_type(descriptor.annotation)
    for known, placeholder in TYPE_PLACEHOLDERS.items():
        if isinstance(value_type, type) and issubclass(value_type, known):
            return placeholder
    return "VALUE"


def _listed(choice: Choice | None) -> bool:
    """Whether the choices fit in the placeholder column; longer lists go in the help text."""
    return choice is not None and len(choice.metavar) <= MAX_LISTED


def option_placeholder(param: TyperOption) -> str | None:
    """What an option's value is, in the words of its help screen (None for a flag)."""
    if param.metavar is not None:
        return param.metavar or None
    if param.is_flag:
        return None
    choice = choice_of(param)
    if choice is not None:
        return choice.metavar if _listed(choice) else choice.what.upper()
    for opt in param.opts:
        if opt in help_data().options:
            return help_data().options[opt]
    return _by_type(param)


class ReadableOption(TyperOption):
    """An option whose help shows a placeholder that means something, nothing for a flag, and the
    choices when they do not fit in the placeholder (read when the help is shown: see Choice)."""

    def display_type_rich(self, ctx: Context) -> str | None:
        return option_placeholder(self)

    @property
    def help(self) -> str | None:
        text: str | None = self.__dict__.get("help")
        choice = choice_of(self)
        if choice is None or _listed(choice):
            return text
        return f"{text or ''} One of: {', '.join(choice.values)}.".strip()

    @help.setter
    def help(self, value: str | None) -> None:
        self.__dict__["help"] = value


class ReadableArgument(TyperArgument):
    """An argument shown as its placeholder (URL, FILE...), without a Python type beside it."""

    def display_type_rich(self, ctx: Context) -> str | None:
        return None

    def get_usage_pieces(self, ctx: Context) -> list[str]:
        name = self.display_name_raw
        return [name if self.required else f"[{name}]"]


def argument_placeholder(param: TyperArgument) -> str:
    name = param.metavar or help_data().arguments.get(param.name or "") or (param.name or "value").upper()
    if param.nargs != 1 and not name.endswith(("...", "…")):
        name += "..."
    return name


def epilog(examples: tuple[Example, ...]) -> str:
    """The "Examples" block of a help screen (rich renders it: markup escaped)."""
    blocks = ["Examples:"]
    blocks += [f"# {escape(example.note)}\n{escape(example.run)}" for example in examples]
    return "\n\n".join(blocks)


def walk(command: Command, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], Command]]:
    """Every command of the tree with its path (``()`` for ``unmask`` itself), parents first."""
    yield path, command
    if isinstance(command, TyperGroup):
        for name, sub in command.commands.items():
            yield from walk(sub, (*path, name))


def readable(command: Command) -> Command:
    """The command tree with examples and readable placeholders on every help screen."""
    examples = help_data().examples
    for path, cmd in walk(command):
        found = examples.get(" ".join(path))
        if found and not cmd.epilog:
            cmd.epilog = epilog(found)
        help_option = cmd.get_help_option(Context(cmd, info_name=path[-1] if path else "unmask"))
        for param in [*cmd.params, *([help_option] if help_option is not None else [])]:
            if isinstance(param, TyperArgument):
                param.metavar = argument_placeholder(param)
                param.__class__ = ReadableArgument
            elif isinstance(param, TyperOption):
                param.__class__ = ReadableOption
    return command


def command_tree(app: typer.Typer) -> Command:
    """The click command of a Typer app, ready to run or to read."""
    return readable(typer.main.get_command(app))
