"""The `unmask` command: a thin Typer layer that parses arguments and delegates to the stages."""

from __future__ import annotations

import sys

import typer
from rich.text import Text

from unmask.cli import analyze as analyze_cmds
from unmask.cli import apps as apps_cmds
from unmask.cli import audience as audience_cmds
from unmask.cli import case as case_cmds
from unmask.cli import census as census_cmds
from unmask.cli import demo as demo_cmds
from unmask.cli import evidence as evidence_cmds
from unmask.cli import export as export_cmds
from unmask.cli import history as history_cmds
from unmask.cli import infra as infra_cmds
from unmask.cli import owners as owners_cmds
from unmask.cli import policy as policy_cmds
from unmask.cli import report as report_cmds
from unmask.cli import stats as stats_cmds
from unmask.cli.common import err_console
from unmask.core.errors import UnmaskError

app = typer.Typer(
    name="unmask",
    help="Evidence-grade investigation of deepfake platforms: census, analysis, infrastructure, owners.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
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


def main() -> None:
    try:
        code = app(standalone_mode=False)
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
    except typer.TyperException as exc:  # usage errors (bad option values) arrive here in non-standalone mode
        show = getattr(exc, "show", None)
        if callable(show):
            show()
        else:
            err_console.print(f"unmask: error: {exc}", highlight=False)
        sys.exit(int(getattr(exc, "exit_code", 2)))
    if isinstance(code, int) and code:  # Click returns Exit codes (Ctrl-C is 130) instead of raising them
        if code == 130:
            err_console.print("unmask: interrupted")
        sys.exit(code)
