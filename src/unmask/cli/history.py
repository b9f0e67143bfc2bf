"""`unmask history URL`: a platform's growth curve from web-archive captures (docs/history.md)."""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Annotated, Any
from urllib.parse import urljoin, urlsplit

import typer
from rich.table import Table

from unmask.cli.common import CaseOpt, JsonOpt, opened_case, out_console, print_json
from unmask.core.config import HistorySettings
from unmask.core.errors import UnmaskError
from unmask.evidence import custody


def _check_url(url: str, option: str) -> str:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise UnmaskError(f"{url!r} is not an http(s) URL", where=option)
    return url


def _check_year(year: int | None, option: str) -> int | None:
    if year is not None and not 1990 <= year <= dt.date.today().year + 1:
        raise UnmaskError(f"{year} is not a plausible year (YYYY)", where=option)
    return year


def _adapter_pages(adapter: str, url: str) -> tuple[str, ...]:
    from unmask.census.extract.adapter import SiteAdapter, load_extractor

    extractor = load_extractor(adapter)
    if not isinstance(extractor, SiteAdapter):
        return ()
    base = url.rstrip("/")
    return tuple(urljoin(base + "/", page) for page in extractor.spec.start)


def _archive_endpoints(
    settings: HistorySettings, cdx: str | None, cdx_url: str | None, replay: str | None
) -> tuple[str, str]:
    """The CDX endpoint and replay template: options first, then case.yaml's `history` settings."""
    where_base = "--cdx" if cdx else "case.yaml history.archive"
    base = _check_url((cdx or settings.archive).rstrip("/"), where_base)
    if cdx_url:
        endpoint = _check_url(cdx_url, "--cdx-url")
    elif cdx is None and settings.cdx_url:
        endpoint = _check_url(settings.cdx_url, "case.yaml history.cdx_url")
    else:
        endpoint = base + "/cdx/search/cdx"
    where_replay = "--replay-url"
    if replay is None and cdx is None and settings.replay_url:
        replay, where_replay = settings.replay_url, "case.yaml history.replay_url"
    if replay is None:
        replay = base + "/web/{timestamp}id_/{original}"
    elif "{timestamp}" not in replay or "{original}" not in replay:
        raise UnmaskError("needs both {timestamp} and {original}", where=where_replay)
    _check_url(replay.replace("{timestamp}", "2000").replace("{original}", "x"), where_replay)
    return endpoint, replay


@custody.logged("history", run=True)
def history(
    url: Annotated[str, typer.Argument(help="The platform's home page (or any page to follow over time).")],
    case: CaseOpt = None,
    cdx: Annotated[
        str | None,
        typer.Option(
            "--cdx",
            help=(
                "Base URL of a Wayback-style archive (CDX at /cdx/search/cdx); "
                "default: case.yaml history.archive."
            ),
        ),
    ] = None,
    cdx_url: Annotated[
        str | None,
        typer.Option("--cdx-url", help="Full CDX endpoint URL (e.g. pywb's http://host/COLL/cdx)."),
    ] = None,
    replay: Annotated[
        str | None,
        typer.Option(
            "--replay-url",
            help=(
                "Replay URL template with {timestamp} and {original} "
                "(default: BASE/web/{timestamp}id_/{original})"
            ),
        ),
    ] = None,
    year_from: Annotated[int | None, typer.Option("--from", help="First year (YYYY).")] = None,
    year_to: Annotated[int | None, typer.Option("--to", help="Last year (YYYY).")] = None,
    limit: Annotated[
        int | None, typer.Option("--limit", help="At most N captures per page, spread over the period.")
    ] = None,
    adapter: Annotated[
        str | None,
        typer.Option("--adapter", help="Site adapter whose start pages (listings) are followed too."),
    ] = None,
    delay: Annotated[
        float | None, typer.Option("--delay", help="Seconds between requests to the archive; 0 turns it off.")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Catalogue counts and tracker IDs of the platform's pages over time, from web-archive captures."""
    from unmask.analysis.history import HistoryOptions, run_history

    _check_url(url, "URL")
    _check_year(year_from, "--from")
    _check_year(year_to, "--to")
    if year_from is not None and year_to is not None and year_from > year_to:
        raise UnmaskError(f"{year_from} is after --to {year_to}", where="--from")
    if limit is not None and limit < 1:
        raise UnmaskError("must be at least 1", where="--limit")
    if delay is not None and delay < 0:
        raise UnmaskError("must not be negative", where="--delay")
    if cdx is not None:
        _check_url(cdx.rstrip("/"), "--cdx")
    if cdx_url is not None:
        _check_url(cdx_url, "--cdx-url")
    if replay is not None and ("{timestamp}" not in replay or "{original}" not in replay):
        raise UnmaskError("needs both {timestamp} and {original}", where="--replay-url")
    pages = _adapter_pages(adapter, url) if adapter else ()
    with opened_case(case) as the_case:
        endpoint, replay_url = _archive_endpoints(the_case.config.history, cdx, cdx_url, replay)
        options = HistoryOptions(
            cdx_url=endpoint,
            replay_url=replay_url,
            year_from=year_from,
            year_to=year_to,
            limit=limit,
            pages=pages,
        )
        if delay is not None:
            the_case.config.fetch.delay = delay
        result = asyncio.run(run_history(the_case, url, options))
    if as_json:
        print_json(result)
        return
    _print(result)


def _cell(value: Any) -> str:
    return "–" if value is None else f"{value:,}"


def _print(result: dict[str, Any]) -> None:
    table = Table(title=f"{result['url']}: {result['captures']} archived captures", title_justify="left")
    for name, justify in (("date", "left"), ("videos", "right"), ("photos", "right"), ("total", "right")):
        table.add_column(name, justify=justify)  # type: ignore[arg-type]
    table.add_column("tracker IDs")
    for point in result["points"]:
        table.add_row(
            point["date"],
            _cell(point["videos"]),
            _cell(point["photos"]),
            _cell(point["total"]),
            ", ".join(point["ids"]),
        )
    out_console.print(table)
    for error in result["errors"]:
        when = f" {error['timestamp']}" if error["timestamp"] else ""
        out_console.print(f"{error['url']}{when}: {error['message']}", style="yellow")
