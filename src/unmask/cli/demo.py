"""`unmask demo`: the bundled synthetic platform."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, cast

import typer

from unmask.cli.common import Choice, JsonOpt, err_console, out_console, print_json
from unmask.core.errors import UnmaskError

if TYPE_CHECKING:
    from unmask.demo.render import Flavour

app = typer.Typer(help="Serve and crawl the bundled synthetic platform (invented data, loopback only).")

ScaleOpt = Annotated[
    float,
    typer.Option(
        "--scale",
        min=0.001,
        max=2.0,
        help="Size of the platform: 1.0 is the investigated site's (about 157,000 items), 0.01 a hundredth.",
    ),
]
LatencyOpt = Annotated[
    float,
    typer.Option(
        "--latency-ms", min=0, help="Milliseconds the server waits before each answer, like a distant site."
    ),
]
SeedOpt = Annotated[int, typer.Option("--seed", help="Seed of the synthetic data.")]
AsOfOpt = Annotated[
    str | None, typer.Option("--as-of", help="The platform's state on this day (YYYY-MM-DD).")
]


def _flavours() -> tuple[str, ...]:
    from unmask.demo.render import FLAVOURS

    return FLAVOURS


FlavourOpt = Annotated[
    str,
    typer.Option(
        "--flavour",
        callback=Choice("flavour", _flavours).check,
        help="demo: its own page layout, read by the bundled adapter; schema: sitemaps and schema.org.",
    ),
]


def _date(value: str | None) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError as exc:
        raise UnmaskError(f"--as-of: not a date (YYYY-MM-DD): {value!r}") from exc


def _flavour(value: str) -> Flavour:
    return cast("Flavour", value)  # one of FLAVOURS: FlavourOpt's Choice checked it


@app.callback(invoke_without_command=True)
def demo(
    ctx: typer.Context,
    case: Annotated[Path, typer.Option("--case", help="Case folder (made if missing).")] = Path("demo-case"),
    scale: ScaleOpt = 1.0,
    seed: SeedOpt = 7,
    as_of: AsOfOpt = None,
    flavour: FlavourOpt = "demo",
    latency_ms: LatencyOpt = 0.0,
    concurrency: Annotated[int, typer.Option("--concurrency", min=1, help="Connections to the server.")] = 8,
    protect: Annotated[
        bool,
        typer.Option(
            "--protect",
            help="The protected-persons variant: invented names on the case's watchlist, found by the scan, "
            "never shown in the report (the NGO's own report beside it).",
        ),
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """Serve the demo platform on loopback, crawl it into a case, print the figures and where things are."""
    from unmask.analysis.render import print_figures
    from unmask.census.summary import print_summary

    if ctx.invoked_subcommand is not None:
        return
    from unmask.demo.run import DemoOptions, run_demo

    result = run_demo(
        DemoOptions(
            case=case,
            scale=scale,
            seed=seed,
            as_of=_date(as_of),
            flavour=_flavour(flavour),
            latency_ms=latency_ms,
            concurrency=concurrency,
            progress=not as_json,
            protect=protect,
        )
    )
    if as_json:
        print_json(
            {
                "case": str(result.case.root),
                "report": str(result.report),
                "crawl": result.summary.as_dict(),
                "figures": result.figures,
                "app_route": result.app_route,
                **({"protect": result.protect} if result.protect is not None else {}),
            }
        )
        return
    print_summary(result.summary, console=err_console)
    print_figures(result.figures, console=out_console)
    _print_app_route(result.app_route)
    if result.protect is not None:
        p = result.protect
        fields = ", ".join(p["fields"]) or "no field"
        out_console.print(
            f"Protected persons (invented): {p['persons']} on the watchlist, {p['matches']} matches found by "
            f"the scan (in {fields}), named {p['public_report_mentions']} times in the report; the NGO's own "
            f"report (private): {p['private_report']}",
            soft_wrap=True,
            highlight=False,
        )
    typer.echo(f"case: {result.case.root}")
    typer.echo(f"report: {result.report}")


def _print_app_route(route: dict[str, Any]) -> None:
    """The app route in a few lines: promotion, listing, policy signals, the path to the company."""
    listing = route["listing"]
    out_console.print("The app route (invented app, store and companies)", style="bold")
    pages = route["promoted_on"]
    where = f"{len(pages)} stored pages ({pages[0]}…)" if len(pages) > 1 else (pages or ["no stored page"])[0]
    out_console.print(f"  promoted: {route['app']} on {where}", soft_wrap=True)
    out_console.print(
        f"  store listing ({listing['store']}, {listing['country']}): {listing['status']}, "
        f"developer {listing['developer']}, {listing['address']}",
        soft_wrap=True,
    )
    signals = ", ".join(route["policy_signals"]) or "none"
    policy = f"controller {route['controller']}; signals {signals}"
    out_console.print(f"  privacy policy: {policy}", soft_wrap=True)
    path = " → ".join(route["owners_path"]) or "no path"
    out_console.print(f"  owners path: {path}", soft_wrap=True)


@app.command("serve")
def serve(
    port: Annotated[int, typer.Option("--port", help="The port to listen on at 127.0.0.1.")] = 8765,
    scale: ScaleOpt = 1.0,
    seed: SeedOpt = 7,
    as_of: AsOfOpt = None,
    flavour: FlavourOpt = "demo",
    latency_ms: LatencyOpt = 0.0,
) -> None:
    """Only serve the demo platform on 127.0.0.1 (Ctrl-C to stop)."""
    from unmask.demo.platform import DemoPlatform
    from unmask.demo.server import serve as serve_platform

    kwargs = {} if as_of is None else {"as_of": _date(as_of)}
    platform = DemoPlatform(seed=seed, scale=scale, **kwargs)  # type: ignore[arg-type]
    err_console.print(f"demo platform on http://127.0.0.1:{port}/ (flavour {flavour})")
    serve_platform(platform, host="127.0.0.1", port=port, flavour=_flavour(flavour), latency_ms=latency_ms)
