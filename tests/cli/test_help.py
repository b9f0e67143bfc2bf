"""Every help screen reads for a new user: an example, plain placeholders, help for every option."""

from __future__ import annotations

import re
import subprocess

import pytest
from typer._click import Command
from typer.core import TyperArgument, TyperOption

from tests.helpers.cli import UNMASK
from unmask import __version__
from unmask.cli import command
from unmask.cli.help import choice_of, help_data, option_placeholder, walk

SCREENS = [path for path, _ in walk(command())]
PYTHON_TYPE = re.compile(r"<[\w\[\]|., ]+>|\b(?:NoneType|list\[|Optional\[)")
ARGUMENT_IN_BRACES = re.compile(r"\{\w+\}")


def _help(path: tuple[str, ...], capsys: pytest.CaptureFixture[str]) -> str:
    code = command().main([*path, "--help"], prog_name="unmask", standalone_mode=False)
    assert code in (0, None)
    return capsys.readouterr().out


def _command(path: tuple[str, ...]) -> Command:
    return dict(walk(command()))[path]


@pytest.mark.parametrize("path", SCREENS, ids=[" ".join(p) or "unmask" for p in SCREENS])
def test_every_help_screen_ends_with_an_example_and_shows_no_python_types(
    path: tuple[str, ...], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "120")
    text = _help(path, capsys)
    assert text.lstrip().startswith(f"Usage: {' '.join(['unmask', *path])}")
    examples = text.split("Examples:", 1)[1]
    assert f"unmask {' '.join(path)}".strip() in examples
    assert "#" in examples  # each example says what it does
    assert not PYTHON_TYPE.search(text), PYTHON_TYPE.search(text)
    usage = text.lstrip().splitlines()[0]
    assert not ARGUMENT_IN_BRACES.search(usage), usage  # URL, not {url}


def test_every_command_has_examples_and_every_example_a_command() -> None:
    examples = help_data().examples
    paths = {" ".join(path) for path in SCREENS}
    assert set(examples) == paths
    for path, entries in examples.items():
        for example in entries:
            assert example.run.startswith(f"unmask {path}".strip()), example.run
            assert example.note and not example.note.endswith(".")


@pytest.mark.parametrize("path", SCREENS, ids=[" ".join(p) or "unmask" for p in SCREENS])
def test_every_command_option_and_argument_says_what_it_is_for(path: tuple[str, ...]) -> None:
    cmd = _command(path)
    assert cmd.help, f"unmask {' '.join(path)} has no help text"
    for param in cmd.params:
        assert getattr(param, "help", None), f"unmask {' '.join(path)} {param.name}: no help text"


@pytest.mark.parametrize("path", SCREENS, ids=[" ".join(p) or "unmask" for p in SCREENS])
def test_every_placeholder_says_what_goes_there(path: tuple[str, ...]) -> None:
    """An option's value is named by its declaration, its choices or help.yaml, never guessed from its
    Python type; a flag shows none; an argument reads in capitals (URL, FILE...)."""
    options = help_data().options
    for param in _command(path).params:
        if isinstance(param, TyperOption) and not param.is_flag:
            named = param.metavar or choice_of(param) or any(opt in options for opt in param.opts)
            assert named, f"unmask {' '.join(path)} {param.opts[0]}: add its placeholder to cli/help.yaml"
            placeholder = option_placeholder(param) or ""
            assert placeholder == placeholder.upper() or "|" in placeholder, placeholder
        elif isinstance(param, TyperOption):
            assert option_placeholder(param) is None
        elif isinstance(param, TyperArgument):
            assert param.metavar and param.metavar == param.metavar.upper()


@pytest.mark.slow
@pytest.mark.parametrize("flag", ["--version", "-V"])
def test_version_prints_the_version(flag: str) -> None:
    proc = subprocess.run([*UNMASK, flag], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0 and proc.stderr == ""
    assert proc.stdout == f"unmask {__version__}\n"
