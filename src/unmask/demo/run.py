"""`unmask demo`: serve the bundled synthetic platform on loopback, crawl it, show the figures."""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from unmask.analysis.figures import FigureOptions, compute_figures
from unmask.census.runner import CrawlOptions, CrawlSummary, crawl
from unmask.core.case import CONFIG_NAME, Case
from unmask.core.errors import UnmaskError
from unmask.demo.platform import DEFAULT_AS_OF
from unmask.demo.server import spawn
from unmask.report.html import write_report


@dataclass
class DemoOptions:
    case: Path
    scale: float = 1.0
    seed: int = 7
    as_of: dt.date | None = None
    flavour: str = "demo"
    latency_ms: float = 0.0
    concurrency: int = 8
    progress: bool = True


@contextlib.contextmanager
def serve_demo(
    *, scale: float, seed: int, as_of: dt.date | None, flavour: str = "demo", latency_ms: float = 0.0
) -> Iterator[str]:
    """Run the demo platform in a child process on a loopback port; yield its base URL."""
    server = spawn(
        seed=seed,
        scale=scale,
        as_of=as_of or DEFAULT_AS_OF,
        flavour="schema" if flavour == "schema" else "demo",
        latency_ms=latency_ms,
    )
    with server:
        try:
            server.wait_ready()
        except RuntimeError as exc:
            raise UnmaskError(str(exc)) from exc
        yield server.url


def run_demo(opts: DemoOptions) -> tuple[Case, CrawlSummary, dict[str, object], Path]:
    case = Case.open(opts.case) if (opts.case / CONFIG_NAME).exists() else Case.init(opts.case, name="demo")
    adapter = "demo" if opts.flavour == "demo" else None
    with serve_demo(
        scale=opts.scale, seed=opts.seed, as_of=opts.as_of, flavour=opts.flavour, latency_ms=opts.latency_ms
    ) as base:
        summary = crawl(
            case,
            CrawlOptions(
                url=base + "/",
                adapter=adapter,
                delay=0.0,
                concurrency=opts.concurrency,
                progress=opts.progress,
            ),
        )
    figures = compute_figures(
        case.store,
        FigureOptions(
            platform=base, pseudonymize=case.config.privacy.pseudonymize, secret=case.config.secret
        ),
    )
    _demo_owners(case, base)
    report = write_report(
        case, case.reports_dir / "report.html", case_name=f"{case.config.name} (demo platform)"
    )
    return case, summary, figures, report


DEMO_OWNERS = """owner,asset,percentage,source,owner_id,asset_id,owner_type,kind
Quiet Lantern Media Ltd,the demo platform,,demo notes (invented),,{platform},company,operator
Harbour Row Holdings Ltd,Quiet Lantern Media Ltd,70,demo notes (invented),,,company,ownership
Ines Morrow-Fable,Quiet Lantern Media Ltd,30,demo notes (invented),,,person,ownership
Shenlake Invented Technology Co. Ltd,Harbour Row Holdings Ltd,60-75,demo notes (invented),,,company,ownership
Ines Morrow-Fable,Harbour Row Holdings Ltd,,demo notes (invented),,,person,director
"""
"""An invented ownership chain behind the demo platform (every name made up), so the demo report shows
the entity graph: the operator, its owners, and a holding company above them."""


def _demo_owners(case: Case, base: str) -> None:
    """Bring the platform into the entity graph and import the invented notes once per case."""
    from unmask.owners.graph import emit_case
    from unmask.owners.importers.load import import_files

    emit_case(case.store)
    notes = case.root / "notes" / "demo-owners.csv"
    if notes.exists():
        return
    notes.parent.mkdir(exist_ok=True)
    notes.write_text(DEMO_OWNERS.format(platform=base), encoding="utf-8")
    import_files(case.store, [notes])
