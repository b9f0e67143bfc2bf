"""The `unmask` command: a thin Typer layer that parses arguments and delegates to the stages."""

from __future__ import annotations

import sys
from functools import cache
from typing import Annotated

import typer
from rich.text import Text
from typer._click import Command, exceptions

from unmask.cli import _startup  # first: the collector waits while the CLI loads
from unmask.cli import analyze as analyze_cmds
from unmask.cli import apps as apps_cmds
from unmask.cli import audience as audience_cmds
from unmask.cli import case as case_cmds
from unmask.cli import census as census_cmds
from unmask.cli import demo as demo_cmds
from unmask.cli import evidence as evidence_cmds
from unmask.cli import export as export_cmds
from unmask.cli import forum as forum_cmds
from unmask.cli import history as history_cmds
from unmask.cli import infra as infra_cmds
from unmask.cli import owners as owners_cmds
from unmask.cli import policy as policy_cmds
from unmask.cli import protect as protect_cmds
from unmask.cli import report as report_cmds
from unmask.cli import serve as serve_cmds
from unmask.cli import stats as stats_cmds
from unmask.cli import takedown as takedown_cmds
from unmask.cli import watch as watch_cmds
from unmask.cli.common import err_console
from unmask.cli.help import command_tree
from unmask.core.errors import UnmaskError

_startup.loaded()

app = typer.Typer(
    name="unmask",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _print_version(value: bool) -> None:
    if value:
        from unmask import __version__

        typer.echo(f"unmask {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    version: Annotated[
        bool,
        typer.Option(
            "--version", "-V", is_eager=True, callback=_print_version, help="Print the version and stop."
        ),
    ] = False,
) -> None:
    """Evidence-grade investigation of deepfake platforms: census, analysis, infrastructure, owners."""


app.command("init")(case_cmds.init)
app.add_typer(census_cmds.app, name="census")
app.command("stats")(stats_cmds.stats)
app.command("analyze")(analyze_cmds.analyze)
app.add_typer(demo_cmds.app, name="demo")
app.add_typer(audience_cmds.app, name="audience")
app.command("export")(export_cmds.export)
app.command("report")(report_cmds.report)
app.command("history")(history_cmds.history)
app.add_typer(infra_cmds.app, name="infra")
app.add_typer(owners_cmds.app, name="owners")
app.add_typer(apps_cmds.app, name="apps")
app.add_typer(policy_cmds.app, name="policy")
app.add_typer(evidence_cmds.app, name="evidence")
app.command("serve")(serve_cmds.serve)
app.add_typer(protect_cmds.app, name="protect")
app.add_typer(takedown_cmds.app, name="takedown")
app.add_typer(watch_cmds.app, name="watch")
app.add_typer(forum_cmds.app, name="forum")


@cache
def command() -> Command:
    """The whole `unmask` command (click), with examples and readable placeholders (cli/help.py)."""
    return command_tree(app)


def _usage_error(exc: exceptions.ClickException) -> None:
    """A usage error in one line: the option or argument, the problem, then where to read more."""
    ctx = getattr(exc, "ctx", None)
    where = f" (see `{ctx.command_path} --help`)" if ctx is not None else ""
    param = getattr(exc, "param", None)
    if isinstance(exc, exceptions.BadParameter) and param is not None and exc.message:
        name = param.opts[0] if param.param_type_name == "option" else (param.metavar or param.name)
        message = f"{name}: {exc.message}"
    else:
        message = exc.format_message()
    message = message.replace("Value error, ", "").rstrip(".")
    err_console.print(Text("unmask: error: ", style="red"), message, where, sep="", soft_wrap=True)


def main() -> None:
    _startup.one_command = True
    try:
        code = command().main(prog_name="unmask", standalone_mode=False)
    except UnmaskError as exc:
        err_console.print(Text("unmask: error: ", style="red"), str(exc), sep="", soft_wrap=True)
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        err_console.print("unmask: interrupted")
        sys.exit(130)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except typer.Abort:
        sys.exit(1)
    except exceptions.NoArgsIsHelpError as exc:  # `unmask owners`: the group's help screen
        exc.show()
        sys.exit(exc.exit_code)
    except exceptions.ClickException as exc:  # usage errors arrive here in non-standalone mode
        _usage_error(exc)
        sys.exit(exc.exit_code)
    if isinstance(code, int) and code:  # Click returns Exit codes (Ctrl-C is 130) instead of raising them
        if code == 130:
            err_console.print("unmask: interrupted")
        sys.exit(code)
