"""Every command line the documentation shows is one the CLI accepts, and the first hour's runs.

The lines come from README.md, docs/*.md (fenced code blocks, and inline code spans that start with
`unmask`) and the help screens' examples (src/unmask/cli/help.yaml). Each is parsed by the real click
command tree after a small convention (docs/cli.md, "How commands are written here") is applied:

* a word in capitals (DIR, URL, FILE, HOST:PORT, YYYY-MM-DD) is a placeholder: it stands for any
  value the option or argument takes (a number for a number, one of the choices for a choice);
* ``[…]`` is optional: the line must parse with every optional part left out and with all of them in,
  so a required option shown in brackets is a mistake;
* ``a|b|c`` lists values that each must be accepted; ``…`` or ``...`` after a word repeats it, and on
  its own stands for "more options";
* ``#`` starts a comment; a shell operator (``|``, ``&&``, ``>``) ends the command;
* an inline span naming only a command (`unmask owners import`) is a reference to it, not a command line.

A curated set of documented lines then runs end to end, as written, in a scratch folder: the demo
platform's census from init to report, the infra sources listing, and the ownership queries on the
shared GLEIF and BODS data.
"""

from __future__ import annotations

import json
import re
import shlex
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import typer
import yaml
from typer._click import Command, Context, exceptions
from typer.core import TyperArgument, TyperGroup, TyperOption

from tests.helpers.cli import UNMASK
from tests.helpers.ports import PortTaken, address_in_use, kernel_port, on_a_free_port
from unmask.cli import command
from unmask.cli.help import choice_of

ROOT = Path(__file__).resolve().parents[2]
SHARED = ROOT.parent / "shared" / "data"
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
HELP_YAML = ROOT / "src" / "unmask" / "cli" / "help.yaml"
SHELL_OPERATORS = {"|", "||", "&&", ";", "&", ">", ">>", "2>", "2>&1", "<"}
ELLIPSES = ("…", "...")
BACKSLASH = "\\"


@dataclass(frozen=True)
class DocLine:
    where: str
    text: str
    inline: bool


# -- finding the command lines ------------------------------------------------------------------------


def _command_part(text: str) -> list[str] | None:
    """The words of the `unmask …` command in a line, or None when the line runs no unmask command."""
    try:
        words = shlex.split(text.replace("\\|", "|"), comments=True)
    except ValueError:
        return None
    for i, word in enumerate(words):
        if word == "unmask" or word.endswith("/unmask"):
            rest = words[i + 1 :]
            end = next((k for k, w in enumerate(rest) if w in SHELL_OPERATORS), len(rest))
            return rest[:end]
    return None


def _markdown_lines(path: Path) -> Iterator[DocLine]:
    """Command lines of code blocks (a line ending in a backslash, or followed by indented lines,
    continues there) and inline code spans starting with `unmask`."""
    fence: str | None = None
    current: DocLine | None = None
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        where = f"{path.relative_to(ROOT)}:{number}"
        stripped = line.strip()
        continued = current is not None and current.text.endswith(BACKSLASH)
        if current is not None and fence and stripped and (continued or line[:1].isspace()):
            current = DocLine(current.where, f"{current.text.removesuffix(BACKSLASH)} {stripped}", False)
            continue
        if current is not None:
            yield current
            current = None
        if stripped.startswith(("```", "~~~")):
            fence = None if fence else stripped[:3]
            continue
        if fence:
            text = stripped.removeprefix("$ ")
            if _command_part(text) is not None:
                current = DocLine(where, text, inline=False)
            continue
        for span in re.findall(r"(?<!`)`([^`]+)`(?!`)", line):
            if span.split(" ", 1)[0] == "unmask":
                yield DocLine(where, span, inline=True)
    if current is not None:
        yield current


def documented_lines() -> list[DocLine]:
    found = [line for path in DOCS for line in _markdown_lines(path)]
    examples = yaml.safe_load(HELP_YAML.read_text(encoding="utf-8"))["examples"]
    for path, entries in examples.items():
        for n, entry in enumerate(entries, 1):
            found.append(DocLine(f"help.yaml examples[{path!r}][{n}]", entry["run"], inline=False))
    return found


# -- the convention -----------------------------------------------------------------------------------


@dataclass
class Group:
    items: list[str | Group]


def structure(words: list[str]) -> Group:
    """Words with their optional groups: `[--apply [--include-names]]`, `[--public-figures CSV]…`."""
    top = Group([])
    stack = [top]
    for raw in words:
        word = raw
        for mark in ELLIPSES:
            word = word.removesuffix(mark)
        if not word:
            continue  # "…" on its own: "and more options"
        while word.startswith("["):
            group = Group([])
            stack[-1].items.append(group)
            stack.append(group)
            word = word[1:]
        closes = 0
        while word.endswith("]") and "[" not in word and len(stack) - closes > 1:
            word, closes = word[:-1], closes + 1
        if word:
            stack[-1].items.append(word)
        for _ in range(closes):
            stack.pop()
    assert len(stack) == 1, f"unbalanced brackets in {' '.join(words)!r}"
    return top


def flatten(group: Group, with_optional: bool) -> list[str]:
    out: list[str] = []
    for item in group.items:
        if isinstance(item, Group):
            if with_optional:
                out += flatten(item, True)
        else:
            out.append(item)
    return out


def is_placeholder(word: str) -> bool:
    return word[:1].isalpha() and word == word.upper() and any(c.isalpha() for c in word)


def alternatives(word: str) -> list[str]:
    return word.split("|") if not word.startswith("-") and "|" in word else [word]


def sample(param: Any, word: str) -> str:
    """The value a placeholder stands for, as the parameter takes it; a literal value as written."""
    if not is_placeholder(word):
        return word
    choice = choice_of(param)
    if choice is not None:
        return choice.values[0]
    descriptor = getattr(param, "type_descriptor", None)
    if descriptor is not None and descriptor.choices:
        first = descriptor.choices[0]
        return str(getattr(first, "value", first))
    annotation = descriptor.annotation if descriptor is not None else str
    if annotation in (int, float):
        return "1"
    return word


class DocError(AssertionError):
    pass


def _option(command: Command, name: str) -> TyperOption | None:
    help_option = command.get_help_option(Context(command))
    for param in [*command.params, help_option]:
        if isinstance(param, TyperOption) and name in (*param.opts, *param.secondary_opts):
            return param
    return None


def to_argv(root: Command, words: list[str], pick: int) -> tuple[list[str], bool]:
    """The argv a documented line stands for (placeholders given values, the pick-th of each list of
    alternatives), and whether it only names a command."""
    cmd, argv, names_only = root, [], True
    arguments = [p for p in cmd.params if isinstance(p, TyperArgument)]
    position = 0
    i = 0
    while i < len(words):
        options = alternatives(words[i])
        word = options[pick % len(options)]
        if word.startswith("-") and len(word) > 1:
            names_only = False
            name, eq, value = word.partition("=")
            param = _option(cmd, name)
            if param is None:
                raise DocError(f"no option {name} in `{' '.join(['unmask', *argv])}`")
            if param.is_flag:
                argv.append(name)
            else:
                if not eq:
                    if i + 1 >= len(words):
                        raise DocError(f"{name} needs a value")
                    i += 1
                    values = alternatives(words[i])
                    value = values[pick % len(values)]
                argv += [name, sample(param, value)]
        elif isinstance(cmd, TyperGroup) and position == 0 and names_only and word in cmd.commands:
            cmd = cmd.commands[word]
            argv.append(word)
            arguments = [p for p in cmd.params if isinstance(p, TyperArgument)]
        elif isinstance(cmd, TyperGroup) and names_only:
            raise DocError(f"no command {word!r} in `{' '.join(['unmask', *argv])}`")
        else:
            names_only = False
            if position >= len(arguments):
                raise DocError(f"unexpected argument {word!r} for `{' '.join(['unmask', *argv])}`")
            argv.append(sample(arguments[position], word))
            if arguments[position].nargs == 1:
                position += 1
        i += 1
    return argv, names_only


def parse(root: Command, argv: list[str]) -> None:
    """Parse argv with the real click tree (types, choices, required options and arguments), running
    nothing but the parameters' own checks."""
    try:
        ctx: Context = root.make_context("unmask", list(argv))
        while isinstance(ctx.command, TyperGroup):
            rest = [*ctx._protected_args, *ctx.args]
            if not rest:
                assert ctx.command.invoke_without_command, f"`unmask {' '.join(argv)}` lacks a command"
                return
            name, sub, rest = ctx.command.resolve_command(ctx, rest)
            assert sub is not None and name is not None
            ctx = sub.make_context(name, rest, parent=ctx)
    except typer.Exit:
        return  # --version, --help: eager options that stop
    except exceptions.ClickException as exc:
        raise DocError(f"`unmask {' '.join(argv)}`: {exc.format_message()}") from exc


def check(root: Command, line: DocLine) -> None:
    words = _command_part(line.text)
    assert words is not None
    tree = structure(words)
    if line.inline and to_argv(root, flatten(tree, True), 0)[1]:
        return  # `unmask owners import` in prose names the command (to_argv checked that it exists)
    for with_optional in (False, True):
        flat = flatten(tree, with_optional)
        picks = max((len(alternatives(w)) for w in flat), default=1)
        for pick in range(picks):
            parse(root, to_argv(root, flat, pick)[0])


LINES = documented_lines()


def test_the_documentation_shows_commands() -> None:
    """The collector finds the command lines (a broken collector would make every check pass)."""
    assert len(LINES) > 100
    where = {line.where.split(":")[0] for line in LINES}
    assert {"README.md", "docs/cli.md", "docs/owners.md", "docs/infra.md"} <= where


@pytest.mark.parametrize("line", LINES, ids=[line.where for line in LINES])
def test_every_documented_command_line_parses(line: DocLine) -> None:
    check(command(), line)


@pytest.mark.parametrize(
    ("text", "inline", "problem"),
    [
        ("unmask report [-o FILE]", True, "Missing option"),
        ("unmask report -o FILE --name N", True, "no option --name"),
        ("unmask export --format xml", True, "unknown format 'xml'"),
        ("unmask export --format csv|xls", True, "unknown format 'xls'"),
        ("unmask owners import", True, None),  # in prose: a reference to the command
        ("unmask owners import", False, "Missing argument"),  # in a code block: a command line
        ("unmask owners frobnicate", True, "no command 'frobnicate'"),
        ("unmask stats --top many", True, "valid integer"),
        ("unmask stats --top", True, "--top needs a value"),
        ("unmask infra changes site.example other.example", True, "unexpected argument"),
        ("unmask demo --scale 0.01", False, None),
        ("unmask demo serve [--port P] …", True, None),
        ("unmask --version", False, None),
    ],
)
def test_the_check_catches_what_drifts(text: str, inline: bool, problem: str | None) -> None:
    """What the check rejects (and the references and forms it lets through)."""
    line = DocLine("test", text, inline=inline)
    if problem is None:
        check(command(), line)
    else:
        with pytest.raises(DocError, match=re.escape(problem)):
            check(command(), line)


# -- the first hour, run as documented ----------------------------------------------------------------


def documented(doc: str, text: str) -> list[str]:
    """The words of a command line that `doc` shows exactly so (else the documentation moved on)."""
    wanted = shlex.split(text)[1:]
    found = [
        line for line in LINES if line.where.startswith(f"{doc}:") and _command_part(line.text) == wanted
    ]
    assert found, f"{doc} no longer shows `{text}`: update this test with the documentation"
    words = _command_part(found[0].text)
    assert words is not None
    return words


def run(cwd: Path, words: list[str], **replace: str) -> subprocess.CompletedProcess[str]:
    argv = [replace.get(word, word) for word in words]
    proc = subprocess.run([*UNMASK, *argv], cwd=cwd, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, f"unmask {' '.join(argv)} exited {proc.returncode}:\n{proc.stderr[-3000:]}"
    return proc


def _wait_for(port: int, process: subprocess.Popen[str], timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            message = process.stderr.read() if process.stderr else ""
            if address_in_use(message):
                raise PortTaken(message)
            raise AssertionError(f"the demo server stopped: {message}")
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    raise AssertionError("the demo server did not listen in time")


@pytest.fixture
def demo_server(tmp_path: Path) -> Iterator[str]:
    """The README's `unmask demo serve` line, run as written on a free port."""
    words = documented("README.md", "unmask demo serve --scale 0.01")

    def serve() -> tuple[subprocess.Popen[str], int]:
        port = kernel_port()
        process = subprocess.Popen(
            [*UNMASK, *words, "--port", str(port)], cwd=tmp_path, stderr=subprocess.PIPE, text=True
        )
        try:
            _wait_for(port, process)
        except BaseException:
            process.kill()
            process.wait(10)
            raise
        return process, port

    process, port = on_a_free_port(serve)
    try:
        yield f"http://127.0.0.1:{port}/"
    finally:
        process.terminate()
        process.wait(10)


@pytest.mark.slow
def test_the_quick_tour_runs_as_documented(tmp_path: Path, demo_server: str) -> None:
    """README's tour of the demo platform, each line as written: init, crawl, stats, analyze, export,
    report."""
    readme = "README.md"
    run(tmp_path, documented(readme, "unmask init cases/demo"))
    crawl = documented(
        readme, "unmask census crawl http://127.0.0.1:8765/ --adapter demo --delay 0 --case cases/demo"
    )
    run(tmp_path, crawl, **{"http://127.0.0.1:8765/": demo_server})
    figures = run(tmp_path, [*documented(readme, "unmask stats --case cases/demo"), "--json"])
    assert json.loads(figures.stdout)["videos"] > 0
    run(tmp_path, documented(readme, "unmask analyze --case cases/demo"))
    run(tmp_path, documented(readme, "unmask export --format csv -o demo-csv --case cases/demo"))
    assert (tmp_path / "demo-csv" / "items.csv").is_file()
    run(tmp_path, documented(readme, "unmask report --case cases/demo -o report.html"))
    assert (tmp_path / "report.html").stat().st_size > 10_000


@pytest.mark.slow
def test_infra_sources_runs_as_documented(tmp_path: Path) -> None:
    listing = run(tmp_path, [*documented("docs/infra.md", "unmask infra sources [--json]")[:2], "--json"])
    assert {s["name"] for s in json.loads(listing.stdout)["sources"]} >= {"dns", "web", "rdap"}


@pytest.mark.slow
def test_the_ownership_queries_run_as_documented(tmp_path: Path) -> None:
    """README's ownership lines, as written, on the shared GLEIF and BODS data and invented notes."""
    shutil.copy(SHARED / "gleif" / "lei-data.json", tmp_path / "gleif-l1.json")
    shutil.copy(SHARED / "gleif" / "rr-data.json", tmp_path / "gleif-rr.json")
    shutil.copy(SHARED / "bods" / "indirect-ownership.json", tmp_path / "bods.json")
    shutil.copy(ROOT / "tests" / "owners" / "data" / "notes.csv", tmp_path / "notes.csv")
    case = ["--case", "cases/owners"]
    run(tmp_path, ["init", "cases/owners"])
    readme = "README.md"
    imported = run(
        tmp_path,
        [*documented(readme, "unmask owners import gleif-l1.json gleif-rr.json bods.json notes.csv"), *case],
    )
    assert "gleif" in imported.stdout and "bods" in imported.stdout
    ultimate = run(
        tmp_path, [*documented(readme, "unmask owners ultimate 010CMKZ3VON21WF2ZD45 --json"), *case]
    )
    owners = {o["id"] for o in json.loads(ultimate.stdout)["owners"]}
    assert owners == {"ZZG38T0MDR3QY1ETUA76", "3C7474T6CDKPR9K6YT90"}
    path = run(
        tmp_path, [*documented(readme, 'unmask owners path "Mira Quillon" "Quiet Lake Apps Ltd"'), *case]
    )
    assert "Mira Quillon" in path.stdout and "Quiet Lake Apps Ltd" in path.stdout
    shown = run(tmp_path, [*documented(readme, "unmask owners show 010CMKZ3VON21WF2ZD45"), *case])
    assert "ZZG38T0MDR3QY1ETUA76" in shown.stdout
