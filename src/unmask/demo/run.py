"""`unmask demo`: serve the bundled synthetic platform on loopback, crawl it, show the figures, and follow
the app it promotes to the company behind it (the app route, with invented names only)."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from unmask.analysis.figures import FigureOptions, compute_figures
from unmask.census.runner import CrawlOptions, CrawlSummary, crawl
from unmask.core.case import CONFIG_NAME, Case
from unmask.core.errors import UnmaskError
from unmask.demo import store
from unmask.demo.forum import crawl_forum
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
    protect: bool = False
    """The protected-persons variant (demo/protect.py): invented names on the watchlist, found by the scan,
    never shown in the report."""


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


@dataclass
class DemoResult:
    case: Case
    summary: CrawlSummary
    figures: dict[str, object]
    report: Path
    app_route: dict[str, Any]
    protect: dict[str, Any] | None = None


def run_demo(opts: DemoOptions) -> DemoResult:
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
        _demo_app(case, base)  # while the demo server (and its app store) still answers
        crawl_forum(case.root, base, opts.concurrency)  # the platform's forum (demo/forum.py)
    figures = compute_figures(
        case.store,
        FigureOptions(
            platform=base, pseudonymize=case.config.privacy.pseudonymize, secret=case.config.secret
        ),
    )
    _demo_owners(case, base)
    protected = None
    if opts.protect:
        from unmask.demo.protect import protect_demo

        protected = protect_demo(case)  # before the report: the report hides whom the watchlist names
    report = write_report(
        case, case.reports_dir / "report.html", case_name=f"{case.config.name} (demo platform)"
    )
    if protected is not None:
        from unmask.demo.protect import mentions

        protected.public_report_mentions = mentions(case, report)
    result = DemoResult(case, summary, figures, report, app_route(case, base))
    result.protect = protected.as_dict() if protected is not None else None
    return result


DEMO_OWNERS = """owner,asset,percentage,source,owner_id,asset_id,owner_type,kind
Quiet Lantern Media Ltd,the demo platform,,demo notes (invented),,{platform},company,operator
Harbour Row Holdings Ltd,Quiet Lantern Media Ltd,70,demo notes (invented),,,company,ownership
Ines Morrow-Fable,Quiet Lantern Media Ltd,30,demo notes (invented),,,person,ownership
Shenlake Invented Technology Co. Ltd,Harbour Row Holdings Ltd,60-75,demo notes (invented),,,company,ownership
Ines Morrow-Fable,Harbour Row Holdings Ltd,,demo notes (invented),,,person,director
Shenlake Invented Technology Co. Ltd,{app_operator},100,demo notes (invented),,,company,ownership
"""
"""An invented ownership chain behind the demo platform (every name made up), so the demo report shows
the entity graph: the operator, its owners, a holding company above them, and the company behind the
app the platform promotes (found through the app's store listing, not through the platform)."""


def _demo_owners(case: Case, base: str) -> None:
    """Bring the platform into the entity graph, import the invented notes once per case, then the app
    route (its account resolves against the companies the notes name)."""
    from unmask.owners.emit import emit_case
    from unmask.owners.emit_apps import emit_apps
    from unmask.owners.importers.load import import_files

    emit_case(case.store)
    notes = case.root / "notes" / "demo-owners.csv"
    if not notes.exists():
        notes.parent.mkdir(exist_ok=True)
        notes.write_text(DEMO_OWNERS.format(platform=base, app_operator=store.OPERATOR), encoding="utf-8")
        import_files(case.store, [notes])
    emit_apps(case.store)


def _demo_app(case: Case, base: str) -> None:
    """The app route on the demo server: the promotions on the stored pages, the promoted app's listing
    (``apps.play_base`` pointed at the demo server for this run), and the privacy policy it names."""
    from unmask.apps.add import AddOptions, Source, add_sources
    from unmask.apps.discover import discover
    from unmask.apps.policy import read

    case.config.apps.play_base = base  # this run only: case.yaml keeps the real store
    case.config.fetch.delay = 0.0  # loopback
    discover(case)
    listing = Source(store.PACKAGE, "listing", store.PACKAGE, "play")
    asyncio.run(add_sources(case, [listing], AddOptions(countries=["us"])))
    policy_url = _latest_listing(case).get("privacy_policy")
    if not policy_url:
        return
    policy = asyncio.run(read.from_url(case, str(policy_url)))
    read.store(case, store.PACKAGE, policy, read.analyse(policy))


def _latest_listing(case: Case) -> dict[str, Any]:
    from unmask.apps.show import summary

    stores = summary(case.store, store.PACKAGE, case.config.apps)["stores"]
    return dict(stores[0]) if stores else {}


def app_route(case: Case, base: str) -> dict[str, Any]:
    """What the demo found along the app route: the promotion, the listing, the policy's signals, and
    the shortest `owners path` from the platform to the company behind the app."""
    from unmask.apps.show import summary
    from unmask.core.errors import UnmaskError
    from unmask.owners.paths import path_query

    app = summary(case.store, store.PACKAGE, case.config.apps)
    listing = app["stores"][0] if app["stores"] else {}
    policy = app["policies"][-1] if app["policies"] else {}
    try:
        found = path_query(case, base, store.OPERATOR, k=1)
    except UnmaskError:  # a demo case from before the app route: its notes lack the company
        found = {"paths": []}
    path = found["paths"][0] if found["paths"] else None
    return {
        "app": store.PACKAGE,
        "promoted_on": sorted({p["page_url"] for p in app["promotions"]}),
        "listing": {key: listing.get(key) for key in ("store", "country", "status", "developer", "address")},
        "policy_signals": sorted({s["kind"] for s in policy.get("signals", []) if not s["negated"]}),
        "controller": policy.get("controller"),
        "owners_path": [node["name"] or node["id"] for node in path["nodes"]] if path else [],
    }
