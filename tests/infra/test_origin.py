"""Origin discovery against nginx on loopback: a masked front, the real origin, a decoy, a sister."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from tests.helpers.nginx_server import DECOY_HTML, SITE_HTML, Lab, LabContext, standard_lab
from tests.helpers.scopes import lab_scope
from unmask.core.case import Case
from unmask.core.errors import ConfigError
from unmask.core.fetch import Fetcher
from unmask.core.store.models import Capture
from unmask.infra.base import Failure, Observation
from unmask.infra.certs import CertificateOptions, LiveCertificate
from unmask.infra.masking import masking_table
from unmask.infra.origin import (
    CandidateList,
    OriginDiscovery,
    OriginOptions,
    origin_rules,
    parse_rules,
    similarity,
    spf_targets,
    summarize,
)

DOMAIN = "site.unmask.test"


def zone(lab: Lab) -> dict[tuple[str, str], list[str]]:
    silent = lab.web.address(99)  # nothing listens there
    return {
        (DOMAIN, "A"): [lab.front],
        (DOMAIN, "MX"): ["10 mx.elsewhere.unmask.test"],
        (DOMAIN, "TXT"): [f"v=spf1 ip4:{lab.origin} ip4:10.1.2.3 a:smtp-out.unmask.test -all"],
        (f"www.{DOMAIN}", "A"): [lab.front],
        (f"mail.{DOMAIN}", "A"): [lab.origin],
        (f"direct.{DOMAIN}", "A"): [lab.decoy],
        (f"ftp.{DOMAIN}", "A"): [silent],
        ("mx.elsewhere.unmask.test", "A"): [lab.sister],
        ("smtp-out.unmask.test", "A"): [lab.origin],
    }


def discover(
    lab: Lab, case: Case, *, masked: bool = True, history: Sequence[str] = (), **options: Any
) -> tuple[dict[str, Observation], list[Failure], LabContext]:
    z = zone(lab)
    ports = {"https_port": lab.web.https_port, "http_port": lab.web.http_port}

    async def go() -> tuple[list[Observation | Failure], LabContext]:
        async with Fetcher.for_case(case, purpose="test", scope=lab_scope()) as fetcher:
            ctx = LabContext(DOMAIN, fetcher, z)
            ctx.earlier_addresses = list(history)  # what the store knew of the domain before the scan
            for (name, rdtype), records in z.items():  # what the dns source observed
                if name in (DOMAIN, f"www.{DOMAIN}"):
                    ctx.observations += [
                        Observation(f"dns.{rdtype.lower()}", r, name, "dns") for r in records
                    ]
            if masked:
                ctx.observations.append(Observation("masking", "Cloudflare", DOMAIN, "masking"))
            await ctx.run(LiveCertificate(CertificateOptions(https_port=lab.web.https_port)))
            return await ctx.run(OriginDiscovery(OriginOptions(**{**ports, **options}))), ctx

    items, ctx = asyncio.run(go())
    obs = {i.value: i for i in items if isinstance(i, Observation)}
    assert all(o.kind == "origin.candidate" and o.subject == DOMAIN for o in obs.values())
    return obs, [i for i in items if isinstance(i, Failure)], ctx


def detail(o: Observation) -> dict[str, Any]:
    assert o.detail is not None
    return dict(o.detail)


@pytest.fixture
def case_settings(sqlite_case: Case) -> Case:
    for key, value in {"delay": 0.0, "retries": 0, "verify_tls": False, "obey_robots": False}.items():
        setattr(sqlite_case.config.fetch, key, value)
    return sqlite_case


def test_the_origin_scores_high_and_decoys_low(lab: Lab, case_settings: Case) -> None:
    obs, failures, _ = discover(lab, case_settings, history=[lab.front, lab.web.address(98)])
    assert failures == []
    origin = detail(obs[lab.origin])
    assert origin["checked"] and origin["likely"] and origin["score"] == 1.0
    assert origin["status"] == 200 and origin["scheme"] == "https"
    assert origin["certificate"] == lab.cert("site").sha256
    assert {e["signal"] for e in origin["evidence"]} == {"text_similarity", "same_title", "same_certificate"}
    assert set(origin["found_via"]) == {"spf", f"hostname mail.{DOMAIN}", "spf smtp-out.unmask.test"}

    decoy = detail(obs[lab.decoy])
    assert decoy["checked"] and not decoy["likely"] and decoy["score"] < 0.2
    assert decoy["found_via"] == [f"hostname direct.{DOMAIN}"]
    sister = detail(obs[lab.sister])  # the MX host: a server, but another site's
    assert (
        sister["checked"] and sister["score"] < 0.2 and sister["found_via"] == ["mx mx.elsewhere.unmask.test"]
    )
    assert sister["certificate"] == lab.cert("shared").sha256

    for silent in (lab.web.address(98), lab.web.address(99)):
        d = detail(obs[silent])
        assert not d["checked"] and d["score"] == 0 and any("refused" in e for e in d["errors"])
    assert detail(obs[lab.web.address(98)])["found_via"] == ["history"]
    assert lab.front not in obs  # the masked address itself
    assert "10.1.2.3" not in obs  # a private address, while the site is on loopback: never contacted
    ranked = [detail(o)["score"] for o in obs.values()]
    assert ranked == sorted(ranked, reverse=True)


def test_the_candidate_page_is_evidence(lab: Lab, case: Case) -> None:
    for key, value in {"delay": 0.0, "retries": 0, "verify_tls": False, "obey_robots": False}.items():
        setattr(case.config.fetch, key, value)
    obs, _, _ = discover(lab, case)
    capture_id = obs[lab.origin].capture_id
    assert capture_id is not None
    with case.store.session() as s:
        capture = s.scalars(select(Capture).where(Capture.id == capture_id)).one()
    assert capture.url == f"https://{DOMAIN}/" if lab.web.https_port == 443 else capture.url.endswith("/")
    assert capture.status == 200


def test_nothing_happens_without_a_masking_service(lab: Lab, case_settings: Case) -> None:
    obs, failures, ctx = discover(lab, case_settings, masked=False)
    assert obs == {} and failures == []
    assert all(address == lab.front for _host, _port, address in ctx.tls_calls)  # only the live certificate


def test_the_candidate_limit_lists_the_rest_unchecked(lab: Lab, case_settings: Case) -> None:
    obs, _, _ = discover(lab, case_settings, max_candidates=1)
    checked = [a for a, o in obs.items() if "not_checked" not in detail(o)]
    assert checked == [lab.origin]  # found first (SPF ip4:), checked; the others only listed
    assert all(not detail(o)["checked"] for a, o in obs.items() if a != lab.origin)


def test_earlier_addresses_are_candidates(lab: Lab, case_settings: Case) -> None:
    obs, _, _ = discover(lab, case_settings, history=[lab.web.address(97)], hostname_prefixes=[])
    assert detail(obs[lab.web.address(97)])["found_via"] == ["history"]
    assert not any(via.startswith("hostname") for o in obs.values() for via in detail(o)["found_via"])


def test_candidates_inside_masking_ranges_or_private_are_dropped() -> None:
    table = masking_table()
    masked_ip = next(iter(table._ranges[4]))[2].split("/")[0]  # the first address of a published range
    found = CandidateList({"127.0.0.10"}, {"loopback"}, limit=10)
    for address in (masked_ip, "10.0.0.7", "127.0.0.10", "127.0.0.20", "not an ip", "127.0.0.20"):
        found.add(address, "history")
    found.add("127.0.0.20", "spf")
    assert list(found.items) == ["127.0.0.20"] and found.items["127.0.0.20"].found_via == ["history", "spf"]
    assert found.skipped == {
        masked_ip: "inside a masking service's range",
        "10.0.0.7": "private address",
        "127.0.0.10": "the masked site's own address",
    }
    public = CandidateList(set(), set(), limit=10)
    public.add("127.0.0.20", "history")
    assert public.skipped == {"127.0.0.20": "loopback address"}  # a public site's candidates stay public


def test_spf_targets() -> None:
    addresses, hosts = spf_targets(
        [
            "v=spf1 ip4:192.0.2.10 +ip4:198.51.100.0/30 ip4:203.0.113.0/16 ip6:2001:db8::1 "
            "a:Mail.Example.test include:_spf.example.test ~all",
            "google-site-verification=abc",
            "v=spf1 ip4:bad -all",
        ],
        max_hosts=16,
    )
    assert addresses == ["192.0.2.10", "198.51.100.1", "198.51.100.2", "2001:db8::1"]
    assert hosts == ["mail.example.test"]


def test_page_comparison() -> None:
    site = summarize(SITE_HTML)
    assert site.title == "Fakeclips - invented test platform" and site.words > 20
    assert similarity(site, summarize(SITE_HTML)) == 1.0
    assert similarity(site, summarize(DECOY_HTML)) < 0.05
    changed = SITE_HTML.replace(b"Welcome", b"Hello").replace(b"<script", b"<script data-x='1'")
    assert 0.4 < similarity(site, summarize(changed)) < 1.0  # one word changed: most shingles stay
    assert similarity(summarize(b""), summarize(b"")) == 0.0
    assert summarize(b"\x00\xff garbage <<<").title == ""


def test_megabytes_of_script_are_cheap_and_ignored() -> None:
    script = b"<script>" + b"var a = 'words words words';" * 200_000 + b"</script>"
    page = SITE_HTML.replace(b"</head>", script + b"</head>")
    summary = summarize(page, max_bytes=8 << 20)
    assert similarity(summary, summarize(SITE_HTML)) == 1.0  # script text is not visible text


def test_rules_file_and_bad_rules() -> None:
    rules = origin_rules()
    assert "mail" in rules.hostname_prefixes and 0 < rules.likely <= 1
    assert sum(rules.weights[k] for k in ("text_similarity", "same_title", "same_certificate")) == 1.0
    with pytest.raises(ConfigError, match=r"origin\.yaml: bad origin rules"):
        parse_rules({"weights": {}})


@pytest.mark.slow
def test_a_real_scan_finds_the_old_address_behind_the_masking_service(case: Case, tmp_path: Path) -> None:
    """The site was first seen at its own address, then moved behind a (fake) masking front: the
    active re-scan, through the scan's own resolver (Knot on loopback), checks the earlier address
    and the ``mail.`` host and finds the origin; the decoy ``direct.`` host scores low."""
    from tests.helpers.dns_server import DnsServer, require_knot
    from unmask.infra.base import ScanOptions
    from unmask.infra.scan import scan

    require_knot()
    fetch = {
        "delay": 0.0,
        "retries": 0,
        "verify_tls": False,
        "obey_robots": False,
        "allow_private_addresses": True,
    }
    for key, value in fetch.items():  # the lab is on loopback, which a scan refuses unless told
        setattr(case.config.fetch, key, value)
    nowhere = "http://127.0.0.1:9/"  # nothing leaves the machine
    case.config.infra.sources = {"rdap": {"base_url": nowhere}, "ct": {"url": nowhere}}
    lab = standard_lab(tmp_path / "lab")
    try:
        with DnsServer(tmp_path / "dns") as dns:
            dns.zone("unmask.test", [f"site A {lab.origin}"])
            dns.start()
            first = scan(case, [DOMAIN], ScanOptions(resolver=dns.resolver, active=True))
            dns.zone(
                "unmask.test",
                [f"site A {lab.front}", f"mail.site A {lab.origin}", f"direct.site A {lab.decoy}"],
            )
            dns.reload()
            second = scan(case, [DOMAIN], ScanOptions(resolver=dns.resolver, active=True))
    finally:
        lab.web.stop()
    if lab.web.https_port != 443:
        pytest.skip("the scan contacts port 443: only as root")
    assert not [o for o in first.domains[0].observations if o.kind == "origin.candidate"]  # not masked
    result = second.domains[0]
    assert ("masking", "Cloudflare") in {(o.kind, o.value) for o in result.observations}, result.failures
    found = {o.value: detail(o) for o in result.observations if o.kind == "origin.candidate"}
    assert found[lab.origin]["likely"] and found[lab.origin]["score"] >= 0.9, result.failures
    assert set(found[lab.origin]["found_via"]) >= {"history", f"hostname mail.{DOMAIN}"}
    assert found[lab.decoy]["score"] < 0.2
    assert lab.front not in found
