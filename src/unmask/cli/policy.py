"""`unmask policy …`: what a privacy policy says (docs/apps.md)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Annotated

import typer

from unmask.cli.apps import plain_line
from unmask.cli.common import CaseOpt, JsonOpt, opened_case, print_json
from unmask.core.errors import UnmaskError
from unmask.evidence import custody

app = typer.Typer(
    help="Privacy policies: categories, data types and signals with their sentences.", no_args_is_help=True
)


@app.command("analyze")
def analyze_cmd(
    source: Annotated[str, typer.Argument(help="The policy's URL, or a file (HTML or text).")],
    package: Annotated[
        str | None, typer.Option("--app", help="The app whose policy it is (kept as a version of it).")
    ] = None,
    case: CaseOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Language, paragraphs with OPP-115 categories and data types, and signals with their sentences."""
    is_url = source.startswith(("http://", "https://"))
    if not is_url and "://" in source:
        raise UnmaskError("not an http(s) URL or a file", where=source)
    # fetching a URL (into the evidence) or keeping a version for an app changes the case: logged
    changes_case = is_url or package is not None
    command = custody.logged("policy analyze", run=is_url)(_analyze) if changes_case else _analyze
    command(source=source, package=package, case=case, as_json=as_json)


def _analyze(*, source: str, package: str | None, case: Path | None, as_json: bool) -> None:
    from unmask.apps.policy import read

    is_url = source.startswith(("http://", "https://"))
    with opened_case(case) as the_case:
        limit = the_case.config.apps.policy_max_bytes
        policy = (
            asyncio.run(read.from_url(the_case, source)) if is_url else read.from_file(Path(source), limit)
        )
        analysis = read.analyse(policy)
        changes = read.store(the_case, package, policy, analysis) if package else None
    data = {**analysis.as_dict(), "source": source, "truncated": policy.truncated, "changes": changes}
    if as_json:
        print_json(data)
        return
    plain_line(f"{source}: language {analysis.language}, {len(analysis.segments)} paragraphs")
    if analysis.controller:
        plain_line(f"  controller named: {analysis.controller}")
    for signal in analysis.signals:
        state = "NOT " if signal.negated else ""
        plain_line(f"  {state}{signal.kind} ({signal.weight:g}): {signal.sentence[:300]}")
    if changes:
        plain_line(
            f"  since {changes['previous_read_at']}: {len(changes['segments_added'])} paragraphs added, "
            f"{len(changes['segments_removed'])} removed, {len(changes['signals_added'])} signals gained, "
            f"{len(changes['signals_removed'])} lost"
        )
