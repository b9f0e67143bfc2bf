"""Where requests may go: the investigated origin and the configured data sources, nothing else."""

from __future__ import annotations

import pytest

from unmask.core.fetch.scope import Origin, Scope, SiteDomain, address_kind

SITE = "https://invented-tube.test/"


@pytest.mark.parametrize(
    ("url", "origin"),
    [
        ("https://Invented-Tube.TEST./a?b", Origin("https", "invented-tube.test", 443)),
        ("http://invented-tube.test:8080", Origin("http", "invented-tube.test", 8080)),
        ("http://bücher.test/", Origin("http", "xn--bcher-kva.test", 80)),
        ("http://[::FFFF:127.0.0.1]:8/", Origin("http", "::ffff:7f00:1", 8)),
        ("http://2130706433/", Origin("http", "2130706433", 80)),
        ("http://site.test@other.test/", Origin("http", "other.test", 80)),
    ],
)
def test_origins_are_read_as_httpx_sends(url: str, origin: Origin) -> None:
    assert Origin.parse(url) == origin


@pytest.mark.parametrize(
    "url",
    [
        "https://other.test/",
        "//other.test/x",
        "https://invented-tube.test@other.test/",
        "https://invented-tube.test:8443/",  # another port of the same host
        "http://invented-tube.test/",  # another scheme (not from the start URL's own chain)
        "https://cdn.invented-tube.test/",  # a subdomain
        "https://invented-tube.test.other.test/",
        "http://2130706433/",
        "http://[::ffff:127.0.0.1]/",
        "http://169.254.169.254/latest/meta-data/",
        "http://10.0.0.1/",
        "file:///etc/passwd",
    ],
)
def test_everything_off_the_site_is_refused(url: str) -> None:
    refusal = Scope.for_site(SITE).refuse(url)
    assert refusal is not None, url


def test_the_site_and_its_sources() -> None:
    scope = Scope.for_site(SITE, sources=["https://rdap.invented.test/v1/"])
    assert scope.refuse("https://invented-tube.test/video/1?x=2") is None
    assert scope.role("https://invented-tube.test/video/1") == "site"
    assert scope.role("https://rdap.invented.test/domain/x") == "source"
    assert scope.role("https://rdap.invented.test:444/") is None
    userinfo = scope.refuse("https://user:pw@invented-tube.test/")
    assert userinfo is not None and userinfo.code == "userinfo"


@pytest.mark.slow
def test_the_start_urls_own_redirect_establishes_the_canonical_origin_once() -> None:
    scope = Scope.for_site("http://invented-tube.test/")
    assert scope.refuse("https://www.invented-tube.test/", chain_start="http://invented-tube.test/") is None
    assert scope.canonical == Origin("https", "www.invented-tube.test", 443)
    assert scope.role("https://www.invented-tube.test/video/1") == "site"
    # once: nothing else widens the scope
    assert scope.refuse("https://cdn.invented-tube.test/", chain_start="http://invented-tube.test/")
    assert scope.refuse("http://invented-tube.test/ok") is None


@pytest.mark.parametrize(
    ("target", "chain_start"),
    [
        ("https://www.invented-tube.test/", "http://invented-tube.test/other"),  # another page's chain
        ("https://www.invented-tube.test/", None),
        ("https://other.test/", "http://invented-tube.test/"),  # another registrable domain
        ("https://www.invented-tube.test:8443/", "http://invented-tube.test/"),  # an odd port
    ],
)
def test_nothing_else_establishes_an_origin(target: str, chain_start: str | None) -> None:
    scope = Scope.for_site("http://invented-tube.test/")
    assert scope.refuse(target, chain_start=chain_start) is not None
    assert scope.canonical is None


def test_site_domains_cover_subdomains_and_ports() -> None:
    scope = Scope([SiteDomain("invented-tube.test")])
    for url in (
        "https://invented-tube.test/",
        "http://www.invented-tube.test:8080/",
        "https://a.b.invented-tube.test/",
    ):
        assert scope.role(url) == "site", url
    assert scope.role("https://notinvented-tube.test/") is None


@pytest.mark.parametrize(
    ("address", "kind"),
    [
        ("127.0.0.1", "loopback"),
        ("169.254.169.254", "link-local"),
        ("10.1.2.3", "private"),
        ("192.168.1.1", "private"),
        ("100.64.0.1", "special-use"),
        ("0.0.0.0", "unspecified"),
        ("224.0.0.1", "multicast"),
        ("::1", "loopback"),
        ("fe80::1", "link-local"),
        ("fc00::1", "private"),
        ("::ffff:10.0.0.1", "private"),
        ("2002:0a00:0001::1", "private"),  # 6to4 around 10.0.0.1
        ("64:ff9b::a9fe:a9fe", "link-local"),  # NAT64 around 169.254.169.254
        ("93.184.215.14", None),
        ("2606:4700::6810:84e5", None),
    ],
)
def test_special_addresses_are_known(address: str, kind: str | None) -> None:
    import ipaddress

    assert address_kind(ipaddress.ip_address(address)) == kind


def test_private_addresses_only_when_given_or_allowed() -> None:
    public = Scope.for_site(SITE)
    refusal = public.refuse_address("10.0.0.5", "invented-tube.test")
    assert refusal is not None and refusal.code == "private-address"
    assert public.refuse_address("169.254.169.254", "invented-tube.test") is not None
    assert public.refuse_address("93.184.215.14", "invented-tube.test") is None
    on_loopback = Scope.for_site("http://127.0.0.1:8080/")
    assert on_loopback.refuse_address("127.0.0.1", "127.0.0.1") is None
    assert on_loopback.refuse_address("127.0.0.2", "127.0.0.2") is not None  # only the address given
    assert on_loopback.refuse_address("10.0.0.1", "x") is not None
    assert Scope.for_site("http://localhost:8080/").refuse_address("::1", "localhost") is None
    assert Scope.for_site(SITE, allow_private=True).refuse_address("10.0.0.5", "x") is None


@pytest.mark.parametrize("url", ["http://[::1/", "http://invented-tube.test/\x00", "http:///x", "not a url"])
def test_a_url_httpx_cannot_send_is_refused_not_raised(url: str) -> None:
    refusal = Scope.for_site(SITE).refuse(url)
    assert refusal is not None and refusal.code == "scheme"
