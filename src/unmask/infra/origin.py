"""Origin discovery (``--active`` only): which addresses may be the real server behind a masking service.

When a ``masking`` observation says the domain sits behind a CDN or reverse proxy, candidate
addresses are gathered from what the scan already knows and a few DNS look-ups (the scoring rules are
data, ``data/origin.yaml``; the limits are the source's options):

* earlier addresses: ``ctx.earlier_addresses`` (the domain's earlier A/AAAA answers and passive-DNS
  addresses from the store), and addresses other hostnames of the scan resolved to
  (``dns.a``/``dns.aaaa`` of subjects other than the domain);
* the A/AAAA records of usual side hostnames (``mail.``, ``direct.``, ``origin.``, ``cpanel.`` …);
* the MX hosts' addresses, and ``ip4:``/``ip6:``/``a:`` of the SPF record;
* certificate-transparency hostnames (``ct.hostname``) and certificate SANs (``cert.san``);

minus the domain's own (masked) addresses, addresses inside published masking ranges, and addresses
outside the scope of the site (private, link-local… unless the site itself is there, as in tests).

Each candidate is asked for ``https://DOMAIN/`` (then ``http://``) with the domain's Host and SNI,
and for its certificate for the domain's name; the answer is compared with the masked site's page
and live certificate. Each candidate becomes one ``origin.candidate`` observation (value = address)
whose detail holds ``score`` (0–1), ``evidence`` (the signals and their points), ``checked`` and
``found_via``. See docs/infra-origin.md for how to read the score and its false positives.
"""

from __future__ import annotations

import asyncio
import functools
import ipaddress
import re
import zlib
from collections.abc import AsyncIterator, Iterable, Mapping
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

import lxml.html
import yaml
from lxml import etree

from unmask.core.errors import ConfigError
from unmask.core.fetch.exchange import FetchResponse
from unmask.infra.base import Failure, Observation, ScanContext, Source, option
from unmask.infra.certs import presented
from unmask.infra.masking import masking_table

SOURCE = "origin"
WEIGHT_NAMES = ("text_similarity", "same_title", "same_certificate", "certificate_names_domain")


# -- options and rules ---------------------------------------------------------------------------


@dataclass(frozen=True)
class OriginOptions:
    https_port: int = option(
        443, "port of each candidate's HTTPS page and TLS handshake", minimum=1, maximum=65535
    )
    http_port: int = option(80, "port of each candidate's plain HTTP page", minimum=1, maximum=65535)
    max_candidates: int = option(32, "addresses checked (the rest are listed unchecked)", minimum=0)
    max_listed: int = option(128, "addresses listed at all", minimum=0)
    max_hostnames: int = option(48, "CT names and certificate SANs resolved for candidates", minimum=0)
    max_page_bytes: int = option(1024 * 1024, "bytes of HTML compared per page", minimum=1)
    concurrency: int = option(4, "candidates checked at once", minimum=1)
    max_spf_hosts: int = option(
        16, "addresses taken from one SPF ip4:/ip6: network (small ones only)", minimum=0
    )
    hostname_prefixes: list[str] | None = option(  # noqa: RUF009 - option() is a dataclass field
        None, "side hostnames tried (mail., direct. …); none: the list in data/origin.yaml"
    )
    likely: float | None = option(
        None, "score from which a candidate is reported likely; none: the value in data/origin.yaml"
    )


@dataclass(frozen=True)
class OriginRules:
    hostname_prefixes: tuple[str, ...]
    weights: Mapping[str, float]
    likely: float
    shingle_words: int

    def with_options(self, options: OriginOptions) -> OriginRules:
        """These rules with ``hostname_prefixes`` and ``likely`` replaced where the options set them."""
        prefixes = self.hostname_prefixes
        if options.hostname_prefixes is not None:
            prefixes = tuple(p.strip(".").lower() for p in options.hostname_prefixes)
        likely = self.likely if options.likely is None else options.likely
        return OriginRules(prefixes, self.weights, likely, self.shingle_words)


def parse_rules(data: Any, where: str = "origin.yaml") -> OriginRules:
    try:
        weights = {name: float(data["weights"][name]) for name in WEIGHT_NAMES}
        prefixes = tuple(str(p).strip(".").lower() for p in data["hostname_prefixes"])
        rules = OriginRules(prefixes, weights, float(data["likely"]), int(data["shingle_words"]))
    except (KeyError, TypeError, ValueError) as exc:
        raise ConfigError(f"{where}: bad origin rules ({type(exc).__name__}: {exc})") from None
    if rules.shingle_words < 1:
        raise ConfigError(f"{where}: shingle_words must be positive")
    return rules


@functools.cache
def origin_rules() -> OriginRules:
    """The shipped rules (loaded once per process)."""
    text = resources.files("unmask.infra").joinpath("data/origin.yaml").read_text(encoding="utf-8")
    return parse_rules(yaml.safe_load(text))


# -- comparing pages -----------------------------------------------------------------------------

_SPACE = re.compile(r"\s+")
_WORD = re.compile(r"\w+", re.UNICODE)


@dataclass(frozen=True)
class PageSummary:
    """What two pages are compared on: the title and the shingles of the visible text."""

    title: str
    words: int
    shingles: frozenset[int]


def summarize(html: bytes, *, shingle_words: int = 4, max_bytes: int = 1 << 20) -> PageSummary:
    """Title and visible-text shingles of an HTML page (scripts, styles and markup left out)."""
    data = html[:max_bytes]
    title = ""
    text = ""
    if data.strip():
        try:
            root = lxml.html.document_fromstring(data)
        except (etree.ParserError, ValueError):
            root = None
        if root is not None:
            title = _SPACE.sub(" ", root.findtext(".//title") or "").strip()
            for node in root.iter("script", "style", "noscript", "template", "title"):
                node.drop_tree()
            text = root.text_content()
    words = _WORD.findall(text.lower())
    k = min(shingle_words, len(words)) or 1
    shingles = frozenset(
        zlib.crc32(" ".join(words[i : i + k]).encode()) for i in range(max(0, len(words) - k + 1))
    )
    return PageSummary(title, len(words), shingles)


def similarity(a: PageSummary, b: PageSummary) -> float:
    """Jaccard index of the two pages' visible-text shingles (0 when either page has no text)."""
    if not a.shingles or not b.shingles:
        return 0.0
    return len(a.shingles & b.shingles) / len(a.shingles | b.shingles)


# -- candidates ----------------------------------------------------------------------------------


def _address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(text.strip().strip("[]"))
    except ValueError:
        return None


def _scope(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str:
    for name in ("loopback", "link_local", "multicast", "unspecified", "reserved", "private"):
        if getattr(ip, f"is_{name}"):
            return name
    return "global"


def spf_targets(txt_records: Iterable[str], max_hosts: int) -> tuple[list[str], list[str]]:
    """Addresses (``ip4:``/``ip6:``, small networks expanded) and host names (``a:``) of SPF records."""
    addresses: list[str] = []
    hosts: list[str] = []
    for record in txt_records:
        terms = record.strip().strip('"').split()
        if not terms or terms[0].lower() != "v=spf1":
            continue
        for term in terms[1:]:
            mech, _, value = term.lstrip("+-~?").partition(":")
            mech = mech.lower()
            if mech in ("ip4", "ip6") and value:
                try:
                    net = ipaddress.ip_network(value, strict=False)
                except ValueError:
                    continue
                if net.num_addresses <= max_hosts:
                    addresses.extend(str(ip) for ip in (net if net.num_addresses == 1 else net.hosts()))
            elif mech == "a" and value:
                hosts.append(value.split("/")[0].rstrip(".").lower())
    return addresses, hosts


@dataclass
class Candidate:
    address: str
    found_via: list[str] = field(default_factory=list)


class CandidateList:
    """Candidate addresses in the order found, each with every reason it was found for."""

    def __init__(self, excluded: set[str], fronts_scope: set[str], limit: int) -> None:
        self.excluded = excluded
        self.fronts_scope = fronts_scope
        self.limit = limit
        self.items: dict[str, Candidate] = {}
        self.skipped: dict[str, str] = {}

    def add(self, address: str, why: str) -> None:
        ip = _address(address)
        if ip is None:
            return
        text = ip.compressed
        if text in self.items:
            if why not in self.items[text].found_via:
                self.items[text].found_via.append(why)
            return
        reason = self._refusal(ip, text)
        if reason:
            self.skipped.setdefault(text, reason)
            return
        if len(self.items) < self.limit:
            self.items[text] = Candidate(text, [why])

    def _refusal(self, ip: ipaddress.IPv4Address | ipaddress.IPv6Address, text: str) -> str | None:
        if text in self.excluded:
            return "the masked site's own address"
        if any(True for _ in masking_table().ranges_of(text)):
            return "inside a masking service's range"
        scope = _scope(ip)
        if scope != "global" and scope not in self.fronts_scope:
            return f"{scope} address"
        return None


# -- checking ------------------------------------------------------------------------------------


@dataclass
class Check:
    """What one candidate answered."""

    candidate: Candidate
    status: int | None = None
    scheme: str | None = None
    title: str | None = None
    text_similarity: float | None = None
    same_title: bool = False
    certificate: str | None = None
    same_certificate: bool = False
    certificate_names_domain: bool = False
    capture_id: int | None = None
    errors: list[str] = field(default_factory=list)

    @property
    def checked(self) -> bool:
        return self.status is not None or self.certificate is not None

    def evidence(self, weights: Mapping[str, float]) -> list[dict[str, Any]]:
        signals: list[tuple[str, float, Any]] = []
        if self.text_similarity is not None:
            signals.append(("text_similarity", self.text_similarity, round(self.text_similarity, 3)))
        if self.same_title:
            signals.append(("same_title", 1.0, self.title))
        if self.same_certificate:
            signals.append(("same_certificate", 1.0, self.certificate))
        elif self.certificate_names_domain:
            signals.append(("certificate_names_domain", 1.0, self.certificate))
        return [
            {"signal": name, "value": value, "points": round(weights[name] * factor, 3)}
            for name, factor, value in signals
        ]

    def score(self, weights: Mapping[str, float]) -> float:
        return round(min(1.0, sum(e["points"] for e in self.evidence(weights))), 3)


def _url(scheme: str, host: str, port: int) -> str:
    default = 443 if scheme == "https" else 80
    return f"{scheme}://{host}/" if port == default else f"{scheme}://{host}:{port}/"


class OriginDiscovery(Source[OriginOptions]):
    """Candidate origin addresses behind a masking service, each checked and scored."""

    name = SOURCE
    after = ("dns", "networks", "masking", "certificate", "ct", "web")
    connects = True
    active = True

    async def run(self, ctx: ScanContext) -> AsyncIterator[Observation | Failure]:
        if not ctx.values("masking", ctx.domain):
            return  # not behind a masking service: the addresses seen are the origin
        options = self.options
        rules = origin_rules().with_options(options)
        candidates = await self.candidates(ctx, rules)
        baseline = await self._page(ctx, None)
        base_summary: PageSummary | None = None
        if isinstance(baseline, FetchResponse) and 200 <= baseline.status < 300:
            base_summary = summarize(
                baseline.body, shingle_words=rules.shingle_words, max_bytes=options.max_page_bytes
            )
        else:
            yield Failure(SOURCE, ctx.domain, f"origin: no page of the masked site to compare ({baseline})")
        live = set(ctx.values("cert.sha256", ctx.domain))
        to_check = list(candidates.items.values())[: options.max_candidates]
        gate = asyncio.Semaphore(options.concurrency)

        async def check(candidate: Candidate) -> Check:
            async with gate:
                return await self._check(ctx, candidate, rules, base_summary, live)

        checks = await asyncio.gather(*(check(c) for c in to_check))
        checked = {c.candidate.address for c in checks}
        unchecked = [Check(c) for c in candidates.items.values() if c.address not in checked]
        ranked = sorted(checks, key=lambda c: -c.score(rules.weights)) + unchecked
        for result in ranked:
            yield self._observation(ctx, result, rules, attempted=result.candidate.address in checked)

    def _observation(
        self, ctx: ScanContext, result: Check, rules: OriginRules, *, attempted: bool
    ) -> Observation:
        score = result.score(rules.weights)
        detail: dict[str, Any] = {
            "score": score,
            "likely": score >= rules.likely,
            "evidence": result.evidence(rules.weights),
            "checked": result.checked,
            "found_via": result.candidate.found_via,
        }
        if not attempted:
            detail["not_checked"] = "over the candidate limit"
        for key in ("status", "scheme", "title", "certificate"):
            value = getattr(result, key)
            if value is not None:
                detail[key] = value
        if result.errors:
            detail["errors"] = result.errors
        return Observation(
            "origin.candidate", result.candidate.address, ctx.domain, SOURCE, detail, result.capture_id
        )

    # -- gathering --

    async def candidates(self, ctx: ScanContext, rules: OriginRules) -> CandidateList:
        options = self.options
        domain = ctx.domain
        fronts = [*ctx.values("dns.a", domain), *ctx.values("dns.aaaa", domain)]
        scopes = {_scope(ip) for ip in map(_address, fronts) if ip is not None}
        found = CandidateList(
            {a.compressed for a in map(_address, fronts) if a is not None},
            scopes - {"global"},
            options.max_listed,
        )
        for address in ctx.earlier_addresses:
            found.add(str(address), "history")
        for obs in ctx.observations:
            if obs.kind in ("dns.a", "dns.aaaa") and obs.subject != domain:
                found.add(obs.value, f"dns {obs.subject}")
        names: dict[str, str] = {}
        for prefix in rules.hostname_prefixes:
            names.setdefault(f"{prefix}.{domain}", "hostname")
        for mx in ctx.values("dns.mx", domain):
            names.setdefault(mx.split()[-1].rstrip(".").lower(), "mx")
        spf_ips, spf_hosts = spf_targets(ctx.values("dns.txt", domain), options.max_spf_hosts)
        for address in spf_ips:
            found.add(address, "spf")
        for host in spf_hosts:
            names.setdefault(host, "spf")
        related = [("ct", n) for n in ctx.values("ct.hostname")] + [
            ("san", n) for n in ctx.values("cert.san")
        ]
        for why, name in related[: options.max_hostnames]:
            if _address(name) is not None:
                found.add(name, why)
                continue
            name = name.lower().rstrip(".").removeprefix("*.")
            if name and name != domain:
                names.setdefault(name, why)
        names.pop(domain, None)
        for name, why, address in await self._resolve_all(ctx, names, options.concurrency * 4):
            found.add(address, f"{why} {name}")
        return found

    async def _resolve_all(
        self, ctx: ScanContext, names: Mapping[str, str], concurrency: int
    ) -> list[tuple[str, str, str]]:
        gate = asyncio.Semaphore(max(1, concurrency))

        async def one(name: str, rdtype: str) -> list[str]:
            async with gate:
                answer = await ctx.resolve(name, rdtype)
            return list(answer.records) if answer.error is None else []

        pairs = [(name, rdtype) for name in names for rdtype in ("A", "AAAA")]
        answers = await asyncio.gather(*(one(n, t) for n, t in pairs))
        return [
            (name, names[name], address)
            for (name, _rdtype), records in zip(pairs, answers, strict=True)
            for address in records
        ]

    # -- checking --

    async def _page(self, ctx: ScanContext, address: str | None) -> FetchResponse | str:
        """The domain's front page at ``address`` (None: the scan's own answer): https, else http."""
        errors = []
        for scheme, port in (("https", self.options.https_port), ("http", self.options.http_port)):
            url = _url(scheme, ctx.domain, port)
            page = await self.ask(ctx.domain, functools.partial(ctx.fetch, url, address=address))
            if not isinstance(page, Failure):
                return page
            errors.append(f"{scheme}: {page.error}")
        return "; ".join(errors)

    async def _check(
        self,
        ctx: ScanContext,
        candidate: Candidate,
        rules: OriginRules,
        baseline: PageSummary | None,
        live: set[str],
    ) -> Check:
        result = Check(candidate)
        port = self.options.https_port
        info = await self.ask(
            candidate.address, functools.partial(presented, ctx, ctx.domain, port, candidate.address)
        )
        if isinstance(info, Failure):
            result.errors.append(info.error)
        else:
            result.certificate = info.sha256
            result.same_certificate = info.sha256 in live
            result.certificate_names_domain = info.covers(ctx.domain)
        page = await self._page(ctx, candidate.address)
        if isinstance(page, str):
            result.errors.append(page)
            return result
        result.status = page.status
        result.scheme = page.url.split(":", 1)[0]
        result.capture_id = page.capture_id
        summary = summarize(
            page.body, shingle_words=rules.shingle_words, max_bytes=self.options.max_page_bytes
        )
        result.title = summary.title or None
        if baseline is not None and 200 <= page.status < 300:
            result.text_similarity = similarity(baseline, summary)
            result.same_title = bool(summary.title) and summary.title == baseline.title
        return result
