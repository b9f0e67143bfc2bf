"""`unmask apps …`: promoted apps, their APKs, store presence over time (docs/apps.md)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Annotated, Any

import typer

from unmask.cli.common import CaseOpt, Choice, JsonOpt, err_console, opened_case, out_console, print_json
from unmask.core.errors import UnmaskError
from unmask.core.output import display_text
from unmask.evidence import custody

STORES = ("play", "apple")
"""The stores unmask checks listings in."""

app = typer.Typer(
    help="Apps a platform promotes: APKs, certificates, trackers, store presence.", no_args_is_help=True
)


def plain_line(text: str) -> None:
    """One line of what stores, APKs and policies said, through the safe console (no markup, no control,
    bidi or invisible characters; line breaks in platform text become spaces)."""
    out_console.print(display_text(text), soft_wrap=True)


@app.command("add")
@custody.logged("apps add", run=True)
def add_cmd(
    sources: Annotated[
        list[str], typer.Argument(help="APK files, APK URLs, package names / bundle IDs, store URLs.")
    ],
    store: Annotated[
        str | None,
        typer.Option(
            "--store",
            help="The store of a package name (default play).",
            callback=Choice("store", STORES).check,
        ),
    ] = None,
    country: Annotated[
        list[str] | None,
        typer.Option("--country", help="Storefront to check (repeatable); default apps.countries."),
    ] = None,
    store_base: Annotated[
        str | None,
        typer.Option("--store-base", help="Base URL of the store (a mirror; recorded pages in tests)."),
    ] = None,
    fetch_apk: Annotated[
        bool,
        typer.Option("--fetch-apk", help="Download APK URLs (through the fetch layer, kept as evidence)."),
    ] = False,
    delay: Annotated[
        float | None, typer.Option("--delay", help="Seconds between requests to a store.")
    ] = None,
    case: CaseOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Add apps: APKs are analysed offline; store listings are checked in each storefront (one observation
    each, kept as evidence)."""
    from unmask.apps.add import AddOptions, add_sources, check_countries, parse_source
    from unmask.core.progress import progress_display

    if store_base is not None and not store_base.startswith(("http://", "https://")):
        raise UnmaskError(f"{store_base!r} is not an http(s) URL", where="--store-base")
    if delay is not None and delay < 0:
        raise UnmaskError("must not be negative", where="--delay")
    parsed = [parse_source(raw, store=store) for raw in sources]
    for source in parsed:
        if source.kind == "apk_url" and not fetch_apk:
            raise UnmaskError("an APK URL is downloaded only with --fetch-apk", where=source.raw)
    options = AddOptions(
        store=store, countries=check_countries(country or []), store_base=store_base, fetch_apk=fetch_apk
    )
    with opened_case(case) as the_case:
        if delay is not None:
            the_case.config.fetch.delay = delay
        with progress_display("apps", show=not as_json, console=err_console) as step:
            results = asyncio.run(add_sources(the_case, parsed, options, step))
    if as_json:
        print_json({"apps": results})
        return
    for result in results:
        plain_line(f"{result['source']}: {result.get('package') or '(no package)'}")
        if result.get("error"):
            plain_line(f"  not analysed: {result['error']}")
        apk = result.get("apk")
        if apk:
            for cert in apk["certificates"]:
                plain_line(f"  certificate {cert['scheme']}: {cert['sha256']}")
            plain_line(f"  trackers: {', '.join(apk['trackers']) or 'none found'}")
            for note in apk["notes"]:
                plain_line(f"  note: {note}")
        for check in result.get("checks", []):
            reason = f" ({check['reason']})" if check.get("reason") else ""
            plain_line(f"  {check['store']} {check['country']}: {check['status']}{reason}")


@app.command("show")
def show_cmd(
    package: Annotated[str, typer.Argument(help="Package name (Android) or bundle ID (Apple).")],
    case: CaseOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """What the case knows about one app: versions, certificates, trackers, store presence, policies."""
    from unmask.apps.show import summary

    with opened_case(case) as the_case:
        data = summary(the_case.store, package, the_case.config.apps)
    if as_json:
        print_json(data)
        return
    _print_summary(data)


def _print_summary(data: dict[str, Any]) -> None:
    plain_line(f"{data['package']} ({data['platform']}){': ' + data['name'] if data['name'] else ''}")
    for version in data["versions"]:
        plain_line(f"  version {version['version']}")
        for cert in version["certificates"]:
            plain_line(f"    {cert['scheme']} {cert['sha256']} {cert['subject']}")
        if version["lineage"]:
            plain_line(f"    lineage {' → '.join(h[:16] for h in version['lineage'])}")
        plain_line(f"    trackers: {', '.join(version['trackers']) or 'none found'}")
        plain_line(f"    permissions: {len(version['permissions'])}, domains: {len(version['domains'])}")
        if version["same_signer"]:
            plain_line(f"    same signing certificate as: {', '.join(version['same_signer'])}")
    for front in data["stores"]:
        who = front["developer"] or front["seller"] or "?"
        window = f", listed {front['first_seen']} … {front['last_seen']}" if front["first_seen"] else ""
        where = f"{front['store']} {front['country']}"
        plain_line(f"  {where}: {front['status']} (checked {front['seen']}){window}; {who}")
    for event in data["events"]:
        where = f"{event['store']} {event['country']}"
        plain_line(f"  {event['at']} {where}: {event['field']} {event['old']} → {event['new']}")
    for promo in data["promotions"]:
        plain_line(f"  promoted on {promo['page_url']} ({promo['kind']})")
    for policy in data["policies"]:
        plain_line(f"  policy {policy['source']} ({policy['language']}): {len(policy['signals'])} signals")


@app.command("discover")
@custody.logged("apps discover")
def discover_cmd(case: CaseOpt = None, as_json: JsonOpt = False) -> None:
    """Find the apps the platform promotes in the pages the case stored (no request is made)."""
    from unmask.apps.discover import discover

    with opened_case(case) as the_case:
        result = discover(the_case)
    if as_json:
        print_json(result)
        return
    plain_line(f"{result['pages']} pages read, {result['promotions']} new promotions")
    for found in result["apps"]:
        plain_line(
            f"  {found['app'] or '(not known yet)'}: {found['kind']} {found['link']} on {found['page_url']}"
        )


@app.command("trackers")
def trackers_cmd(
    file: Annotated[
        Path | None,
        typer.Argument(
            help="A tracker list downloaded from Exodus Privacy, to use in this case from now on."
        ),
    ] = None,
    case: CaseOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """The tracker list in use (Exodus Privacy's, ODbL); with FILE, import a newer list into the case."""
    # only an import changes the case (and goes into the custody log); showing the list does not
    command = custody.logged("apps trackers")(_trackers) if file is not None else _trackers
    command(file=file, case=case, as_json=as_json)


def _trackers(*, file: Path | None, case: Path | None, as_json: bool) -> None:
    from unmask.apps import trackers

    with opened_case(case) as the_case:
        found = (
            trackers.import_list(file, the_case.root)
            if file is not None
            else trackers.for_case(the_case.root)
        )
    if as_json:
        print_json(
            {
                "trackers": len(found.trackers),
                "source": found.source,
                "retrieved": found.retrieved,
                "licence": found.licence,
            }
        )
        return
    plain_line(found.description)
