"""Origin discovery (``--active`` only): which addresses may be the real server behind a masking service.

When a ``masking`` observation says the domain sits behind a CDN or reverse proxy, candidate
addresses are gathered from what the scan already knows and a few DNS look-ups (rules and limits in
``data/origin.yaml``):

* earlier addresses: ``settings["history_ips"]`` (a list, or a mapping domain → list: the scan passes
  the domain's earlier A/AAAA answers and passive-DNS addresses from the store), and addresses other
  hostnames of the scan resolved to (``dns.a``/``dns.aaaa`` of subjects other than the domain);
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
from typing import Any, ClassVar

import lxml.html
import yaml
from lxml import etree

from unmask.core.errors import ConfigError, FetchRefused
from unmask.core.fetch.exchange import FetchResponse
from unmask.core.fetch.transport import FetchError
from unmask.infra.base import Failure, Observation, ScanContext, Source
from unmask.infra.certs import CertificateError, parse_certificate
from unmask.infra.connect import TlsError
from unmask.infra.masking import masking_table

SOURCE = "origin"
WEIGHT_NAMES = ("text_similarity", "same_title", "same_certificate", "certificate_names_domain")
LIMIT_NAMES = (
    "max_candidates",
    "max_listed",
    "max_hostnames",
    "max_page_bytes",
    "concurrency",
    "max_spf_hosts",
)


# -- rules ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class OriginRules:
    hostname_prefixes: tuple[str, ...]
    weights: Mapping[str, float]
    likely: float
    shingle_words: int
    limits: Mapping[str, int]

    def with_overrides(self, overrides: Mapping[str, Any] | None) -> OriginRules:
        """These rules with limits, ``likely`` or ``hostname_prefixes`` replaced (source settings)."""
        if not overrides:
            return self
        limits = dict(self.limits)
        limits.update({k: int(v) for k, v in overrides.items() if k in LIMIT_NAMES})
        prefixes = overrides.get("hostname_prefixes", self.hostname_prefixes)
        return OriginRules(
            tuple(str(p) for p in prefixes),
            self.weights,
            float(overrides.get("likely", self.likely)),
            self.shingle_words,
            limits,
        )


def parse_rules(data: Any, where: str = "origin.yaml") -> OriginRules:
    try:
        weights = {name: float(data["weights"][name]) for name in WEIGHT_NAMES}
        limits = {name: int(data["limits"][name]) for name in LIMIT_NAMES}
        prefixes = tuple(str(p).strip(".").lower() for p in data["hostname_prefixes"])
        rules = OriginRules(prefixes, weights, float(data["likely"]), int(data["shingle_words"]), limits)
    except (KeyError, TypeError, ValueError) as exc:
        raise ConfigError(f"{where}: bad origin rules ({type(exc).__name__}: {exc})") from None
    if rules.shingle_words < 1 or any(v < 0 for v in limits.values()):
        raise ConfigError(f"{where}: shingle_words and limits must be positive")
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


@dataclass
class OriginDiscovery(Source):
    """Candidate origin addresses behind a masking service, each checked and scored.

    Settings (all optional): ``history_ips`` (list, or mapping domain → list), ``https_port`` (443),
    ``http_port`` (80), ``origin`` (a mapping overriding ``limits``, ``likely`` or
    ``hostname_prefixes`` of data/origin.yaml).
    """

    name: ClassVar[str] = SOURCE
    after: ClassVar[tuple[str, ...]] = ("dns", "networks", "masking", "certificate", "ct", "web")
    connects: ClassVar[bool] = True
    active: ClassVar[bool] = True

    async def run(self, ctx: ScanContext) -> AsyncIterator[Observation | Failure]:
        if not ctx.values("masking", ctx.domain):
            return  # not behind a masking service: the addresses seen are the origin
        rules = origin_rules().with_overrides(self.settings.get("origin"))
        https_port = int(self.settings.get("https_port", 443))
        http_port = int(self.settings.get("http_port", 80))
        candidates = await self.candidates(ctx, rules)
        baseline = await self._page(ctx, None, https_port, http_port)
        base_summary: PageSummary | None = None
        if isinstance(baseline, FetchResponse) and 200 <= baseline.status < 300:
            base_summary = summarize(
                baseline.body, shingle_words=rules.shingle_words, max_bytes=rules.limits["max_page_bytes"]
            )
        else:
            yield Failure(SOURCE, ctx.domain, f"origin: no page of the masked site to compare ({baseline})")
        live = set(ctx.values("cert.sha256", ctx.domain))
        to_check = list(candidates.items.values())[: rules.limits["max_candidates"]]
        gate = asyncio.Semaphore(max(1, rules.limits["concurrency"]))

        async def check(candidate: Candidate) -> Check:
            async with gate:
                return await self._check(ctx, candidate, rules, base_summary, live, https_port, http_port)

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
        domain = ctx.domain
        fronts = [*ctx.values("dns.a", domain), *ctx.values("dns.aaaa", domain)]
        scopes = {_scope(ip) for ip in map(_address, fronts) if ip is not None}
        found = CandidateList(
            {a.compressed for a in map(_address, fronts) if a is not None},
            scopes - {"global"},
            rules.limits["max_listed"],
        )
        history = self.settings.get("history_ips") or []
        if isinstance(history, Mapping):
            history = history.get(domain, [])
        for address in history:
            found.add(str(address), "history")
        for obs in ctx.observations:
            if obs.kind in ("dns.a", "dns.aaaa") and obs.subject != domain:
                found.add(obs.value, f"dns {obs.subject}")
        names: dict[str, str] = {}
        for prefix in rules.hostname_prefixes:
            names.setdefault(f"{prefix}.{domain}", "hostname")
        for mx in ctx.values("dns.mx", domain):
            names.setdefault(mx.split()[-1].rstrip(".").lower(), "mx")
        spf_ips, spf_hosts = spf_targets(ctx.values("dns.txt", domain), rules.limits["max_spf_hosts"])
        for address in spf_ips:
            found.add(address, "spf")
        for host in spf_hosts:
            names.setdefault(host, "spf")
        related = [("ct", n) for n in ctx.values("ct.hostname")] + [
            ("san", n) for n in ctx.values("cert.san")
        ]
        for why, name in related[: rules.limits["max_hostnames"]]:
            if _address(name) is not None:
                found.add(name, why)
                continue
            name = name.lower().rstrip(".").removeprefix("*.")
            if name and name != domain:
                names.setdefault(name, why)
        names.pop(domain, None)
        for name, why, address in await self._resolve_all(ctx, names, rules.limits["concurrency"] * 4):
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

    async def _page(
        self, ctx: ScanContext, address: str | None, https_port: int, http_port: int
    ) -> FetchResponse | str:
        """The domain's front page at ``address`` (None: the scan's own answer): https, else http."""
        errors = []
        for scheme, port in (("https", https_port), ("http", http_port)):
            try:
                return await ctx.fetch(_url(scheme, ctx.domain, port), address=address)
            except (FetchError, FetchRefused) as exc:
                errors.append(f"{scheme}: {getattr(exc, 'kind', None) or exc}")
        return "; ".join(errors)

    async def _check(
        self,
        ctx: ScanContext,
        candidate: Candidate,
        rules: OriginRules,
        baseline: PageSummary | None,
        live: set[str],
        https_port: int,
        http_port: int,
    ) -> Check:
        result = Check(candidate)
        try:
            der = await ctx.tls_certificate(ctx.domain, https_port, address=candidate.address)
            info = parse_certificate(der)
        except (TlsError, OSError) as exc:
            result.errors.append(str(exc) if isinstance(exc, TlsError) else f"tls: {type(exc).__name__}")
        except CertificateError as exc:
            result.errors.append(f"certificate: {exc}")
        else:
            result.certificate = info.sha256
            result.same_certificate = info.sha256 in live
            result.certificate_names_domain = info.covers(ctx.domain)
        page = await self._page(ctx, candidate.address, https_port, http_port)
        if isinstance(page, str):
            result.errors.append(page)
            return result
        result.status = page.status
        result.scheme = page.url.split(":", 1)[0]
        result.capture_id = page.capture_id
        summary = summarize(
            page.body, shingle_words=rules.shingle_words, max_bytes=rules.limits["max_page_bytes"]
        )
        result.title = summary.title or None
        if baseline is not None and 200 <= page.status < 300:
            result.text_similarity = similarity(baseline, summary)
            result.same_title = bool(summary.title) and summary.title == baseline.title
        return result
