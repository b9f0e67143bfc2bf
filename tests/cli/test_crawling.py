"""The crawl commands' one definition (cli/crawling.py): a stage's own options reach its crawl, an
interrupted crawl exits 130 after its summary."""

from __future__ import annotations

import inspect
import json
from dataclasses import asdict, dataclass, field
from typing import Annotated, Any

import pytest
import typer
from typer.testing import CliRunner

from unmask.cli.crawling import crawl_command
from unmask.core.case import Case


@dataclass
class Summary:
    status: str
    notes: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@pytest.mark.parametrize(("status", "code"), [("complete", 0), ("incomplete", 0), ("interrupted", 130)])
def test_a_stages_own_options_reach_its_crawl_and_an_interrupted_one_exits_130(
    sqlite_case: Case, status: str, code: int
) -> None:
    got: dict[str, Any] = {}

    def crawl(case: Case, options: Any, **stage: Any) -> Summary:
        got.update(stage, url=options.url, delay=options.delay)
        return Summary(status)

    app = typer.Typer()
    workers = Annotated[int | None, typer.Option("--workers")]
    crawl_command(
        app,
        action="test crawl",
        help="h",
        url_help="u",
        adapter_help="a",
        crawl=crawl,
        show=lambda summary: None,
        options=[
            inspect.Parameter("workers", inspect.Parameter.KEYWORD_ONLY, default=None, annotation=workers)
        ],
    )
    app.command("other")(lambda: None)  # a group: `crawl` is a subcommand
    args = ["crawl", "http://127.0.0.1:1/", "--case", str(sqlite_case.root), "--delay", "0", "--workers", "3"]
    result = CliRunner().invoke(app, [*args, "--json"])
    assert result.exit_code == code
    assert json.loads(result.stdout) == {"status": status, "notes": []}  # the summary is printed first
    assert got == {"workers": 3, "url": "http://127.0.0.1:1/", "delay": 0.0}
