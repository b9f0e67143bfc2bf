"""`unmask infra …`: infrastructure scans, changes, timelines, sister sites, watch, passive DNS."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from unmask.cli.common import (
    CaseOpt,
    JsonOpt,
    err_console,
    format_option,
    opened_case,
    out_console,
    print_json,
)
from unmask.core.case import CONFIG_NAME
from unmask.core.config import CaseConfig
from unmask.core.domains import domain_name
from unmask.core.errors import UnmaskError
from unmask.core.labels import label
from unmask.evidence import custody

if TYPE_CHECKING:  # stage modules load when their command runs (start-up of every other command)
    from unmask.infra.base import ScanOptions
    from unmask.infra.scan import ScanResult
    from unmask.watch.schedule import Round

app = typer.Typer(
    help="Infrastructure over time: DNS, networks, masking, certificates, linking IDs.", no_args_is_help=True
)

DomainsArg = Annotated[
    list[str], typer.Argument(help="Domain names (Unicode names are queried as punycode).")
]
DomainArg = Annotated[str, typer.Argument(help="A domain name.")]
ResolverOpt = Annotated[
    str | None,
    typer.Option(
        "--resolver", help="DNS server HOST:PORT for every name (default: case.yaml, then the system)."
    ),
]
DnsOnlyOpt = Annotated[
    bool,
    typer.Option("--dns-only", help="DNS and offline look-ups only: no connection to any resolved address."),
]
ActiveOpt = Annotated[
    bool, typer.Option("--active", help="Also run active sources (origin discovery behind masking services).")
]


def _options(resolver: str | None, dns_only: bool, active: bool) -> ScanOptions:
    from unmask.infra.base import ScanOptions
    from unmask.infra.dns import parse_resolver

    if resolver is not None:
        parse_resolver(resolver)  # malformed → one line, non-zero
    return ScanOptions(dns_only=dns_only, active=active, resolver=resolver)


def _domain(text: str) -> str:
    return domain_name(text).ascii


def _source_name(path: str) -> str:
    """The name a source goes by in case.yaml and `infra sources` (web), not its class (WebFingerprint)."""
    from unmask.infra.registry import load_class

    source = load_class(path)
    return source.name if source is not None else path.partition(":")[0].rsplit(".", 1)[-1]


def _print_scan(result: ScanResult) -> None:
    for entry in result.domains:
        kinds: dict[str, list[str]] = {}
        for o in entry.observations:
            if o.subject == entry.domain or o.kind.startswith(("masking", "linking_id", "cert.")):
                kinds.setdefault(o.kind, []).append(o.value)
        name = entry.domain if entry.unicode == entry.domain else f"{entry.unicode} ({entry.domain})"
        out_console.print(name, style="bold")
        for kind, values in kinds.items():
            shown = ", ".join(v[:80] for v in values[:6]) + (" …" if len(values) > 6 else "")
            out_console.print(f"  {label('infra_kind', kind)}: {shown}", highlight=False, soft_wrap=True)
        for f in entry.failures:
            out_console.print(f"  {f.source} {f.subject}: {f.error}", style="yellow", soft_wrap=True)
    skipped = ", ".join(f"{_source_name(s.path)} ({s.reason})" for s in result.skipped)
    err_console.print(f"scan {result.scan_id}: {result.status}" + (f"; skipped {skipped}" if skipped else ""))


@app.command("scan")
@custody.logged("infra scan", run=True)
def scan_cmd(
    domains: DomainsArg,
    case: CaseOpt = None,
    resolver: ResolverOpt = None,
    dns_only: DnsOnlyOpt = False,
    active: ActiveOpt = False,
    as_json: JsonOpt = False,
) -> None:
    """Scan domains now and store the snapshot (failed look-ups are results, shown and stored)."""
    from unmask.core.progress import progress_display
    from unmask.infra.scan import normalise_domains, scan

    options = _options(resolver, dns_only, active)
    names = normalise_domains(domains)
    with opened_case(case) as the_case, progress_display("scan", show=True, console=err_console) as step:
        result = scan(the_case, [a for a, _ in names], options, step)
    if as_json:
        print_json(result.as_dict())
    else:
        _print_scan(result)


def _when(source: dict[str, Any]) -> str:
    if source["needs_active"]:
        return "only with --active"
    if source["connects_to_site"]:
        return "connects to the site; skipped with --dns-only"
    if source["asks_service"]:
        return f"asks {source['asks_service']}; skipped with --dns-only"
    return "offline or DNS only; runs in every scan"


def _plain(text: str) -> None:
    """One line as it is (case.yaml values and help texts are not markup)."""
    out_console.print(text, markup=False, highlight=False, soft_wrap=True)


def _print_sources(found: list[dict[str, Any]]) -> None:
    for source in found:
        if not source["available"]:
            _plain(f"{source['path']}: not available")
            continue
        _plain(f"{source['name']}: {_when(source)}")
        _plain(f"  {source['description']}")
        for opt in source["options"]:
            value = json.dumps(opt["value"], ensure_ascii=False)
            note = " (set in case.yaml)" if opt["set"] else ""
            if opt["value"] != opt["default"]:
                note += f" (default {json.dumps(opt['default'], ensure_ascii=False)})"
            _plain(f"  {opt['name']} ({label('option_type', opt['type'])}) = {value}{note}: {opt['help']}")


@app.command("sources")
def sources_cmd(case: CaseOpt = None, as_json: JsonOpt = False) -> None:
    """Every infrastructure source: what it does, when it runs, its options (infra.sources.NAME in
    case.yaml) with their defaults and the case's values."""
    from unmask.infra.registry import describe

    if case is None and not (Path.cwd() / CONFIG_NAME).is_file():
        config, where = CaseConfig(), None  # no case here: the defaults
    else:
        with opened_case(case) as the_case:
            config, where = the_case.config, str(the_case.root)
    found = describe(config.infra)
    if as_json:
        print_json({"case": where, "sources": found})
    else:
        _print_sources(found)


@app.command("changes")
def changes_cmd(domain: DomainArg, case: CaseOpt = None, as_json: JsonOpt = False) -> None:
    """What changed between consecutive scans of a domain."""
    from unmask.infra.changes import changes

    name = _domain(domain)
    with opened_case(case) as the_case:
        found = changes(the_case.store, name)
    if as_json:
        print_json([c.as_dict() for c in found])
        return
    if not found:
        out_console.print(f"{name}: no changes recorded (changes need two scans)", highlight=False)
    for c in found:
        out_console.print(
            f"{c.as_dict()['time']}  {label('infra_change', c.kind):<16} {c.old} → {c.new}",
            highlight=False,
            soft_wrap=True,
        )


@app.command("timeline")
def timeline_cmd(domain: DomainArg, case: CaseOpt = None, as_json: JsonOpt = False) -> None:
    """Each value a domain had, per kind, from first to last sighting (scans and passive DNS)."""
    from unmask.infra.timeline import render, spans

    name = _domain(domain)
    with opened_case(case) as the_case:
        items = spans(the_case.store, name)
    if as_json:
        print_json({"domain": name, "spans": [s.as_dict() for s in items]})
        return
    for line in render(name, items, lambda kind: label("infra_kind", kind)):
        out_console.print(line, highlight=False, soft_wrap=True)


@app.command("related")
def related_cmd(domain: DomainArg, case: CaseOpt = None, as_json: JsonOpt = False) -> None:
    """Other domains of the case sharing an address, certificate, favicon, linking ID or nameservers."""
    from unmask.infra.related import related_report

    name = _domain(domain)
    with opened_case(case) as the_case:
        report = related_report(the_case.store, name)
    if as_json:
        print_json(report)
        return
    if not report["links"]:
        out_console.print(f"{name}: no other domain of the case shares anything observed", highlight=False)
    for link in report["links"]:
        out_console.print(
            f"{link['strength']:<7} {link['domain']:<30} {label('infra_change', link['kind']):<16} "
            f"{link['value'][:80]}",
            highlight=False,
        )
    err_console.print(f"caveat: {report['caveat']}", highlight=False, soft_wrap=True)


@app.command("watch")
@custody.logged("infra watch", run=True)
def watch_cmd(
    domains: DomainsArg,
    every: Annotated[str, typer.Option("--every", help="Interval between scans: 90s, 30m, 6h, 1d.")] = "6h",
    once: Annotated[bool, typer.Option("--once", help="Scan once, send the alerts, stop.")] = False,
    case: CaseOpt = None,
    resolver: ResolverOpt = None,
    dns_only: DnsOnlyOpt = False,
    active: ActiveOpt = False,
) -> None:
    """Scan again on a schedule; each scan's changes go to stdout, the webhook and e-mail (case.yaml)."""
    from unmask.infra.scan import normalise_domains
    from unmask.watch.schedule import parse_every, watch

    seconds = parse_every(every)
    options = _options(resolver, dns_only, active)
    names = [a for a, _ in normalise_domains(domains)]
    with opened_case(case) as the_case:
        watch(the_case, names, seconds, options, once=once, on_round=_show_round)


def _show_round(done: Round) -> None:
    failed = sum(len(d.failures) for d in done.scan.domains)
    err_console.print(
        f"scan {done.scan.scan_id}: {len(done.scan.domains)} domains, {failed} failed look-ups, "
        f"{len(done.changes)} changes",
        highlight=False,
    )
    for delivery in done.delivery or []:
        if not getattr(delivery, "ok", True):
            err_console.print(f"alert via {delivery.channel} failed: {delivery.error}", style="yellow")


def _pdns_formats() -> tuple[str, ...]:
    from unmask.infra.passive_dns import FORMATS

    return FORMATS


@app.command("import-pdns")
@custody.logged("infra import-pdns")
def import_pdns_cmd(
    file: Annotated[Path, typer.Argument(help="A passive-DNS export (COF JSON lines, JSON, CSV).")],
    case: CaseOpt = None,
    fmt: Annotated[
        str | None,
        format_option(
            "format",
            _pdns_formats,
            "Force the format instead of detecting it (cof: Common Output Format JSON lines).",
        ),
    ] = None,
    domain: Annotated[
        str | None, typer.Option("--domain", help="The domain of a history export that does not name it.")
    ] = None,
    keep_going: Annotated[
        bool, typer.Option("--keep-going", help="Import the valid records and list the malformed ones.")
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """Import passive-DNS records: the address history before the first scan (all or nothing)."""
    if not file.is_file():
        raise UnmaskError("no such file", where=str(file))
    try:
        from unmask.infra.passive_dns import PassiveDnsReader
    except ModuleNotFoundError as exc:
        raise UnmaskError("passive-DNS import is not available in this installation") from exc
    from unmask.infra.passive_import import import_passive_dns

    reader = PassiveDnsReader(file, fmt, keep_going, domain=_domain(domain) if domain else None)
    parsed = list(reader)  # a malformed line raises here (file:line), before anything is stored
    skipped = [f"{s.where}: {s.problem}" for s in reader.skipped]
    if not parsed:  # nothing to import is not an import
        why = f"every record was skipped, first {skipped[0]}" if skipped else "no passive-DNS record"
        raise UnmaskError(f"nothing understood in this file ({why}); nothing imported", where=str(file))
    with opened_case(case) as the_case:
        result = import_passive_dns(the_case.store, str(file), parsed, skipped)
    if as_json:
        print_json(result.as_dict())
        return
    out_console.print(
        f"imported {result.records} passive-DNS facts for {len(result.domains)} domains from {file}",
        highlight=False,
    )
    for line in result.skipped:
        err_console.print(f"skipped: {line}", highlight=False, soft_wrap=True)
