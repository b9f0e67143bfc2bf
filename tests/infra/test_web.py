"""The web fingerprint source against a real site on loopback, through the case's real Fetcher."""

from __future__ import annotations

import asyncio
import codecs
from collections.abc import Iterator

import mmh3
import pytest

from tests.helpers.json_server import JsonServer, Reply
from tests.helpers.scopes import loopback_scope
from tests.infra.source_context import SourceContext
from unmask.core.case import Case
from unmask.core.fetch.client import Fetcher
from unmask.infra.base import Failure, Observation, ScanOptions
from unmask.infra.web import WebFingerprint, is_gtm_container, page_links, page_title, same_site, web_rules

ICON = b"\x00\x00\x01\x00\x01\x00\x10\x10" + bytes(range(200))
HOME = """<!doctype html><html><head>
<title>Invented &amp; Tube
  — home</title>
<link rel="shortcut icon" href="/static/icon.ico">
<script async src="https://www.googletagmanager.com/gtag/js?id=G-7XK2Q9M1LP"></script>
<script>gtag('config', 'G-7XK2Q9M1LP');
(function(w,d,s,l,i){j.src='https://www.googletagmanager.com/gtm.js?id='+i;})(window,document,'script','dataLayer','GTM-ABCD12');</script>
<script src="/static/app.js"></script>
<script src="https://cdn.invented-tube.test/lib.js"></script>
<script src="https://third-party.test/widget.js"></script>
<script src="/metrics/gtm.js?id=GTM-SELF12"></script>
<meta name="google-site-verification" content="Xk3bYq1v9TnA0LmZsE7rQpW2cD4fG6hJ8kU5iO0pLzM" />
</head><body><a href="https://t.me/+AbCdEfGhIjKlMnOp">Telegram</a>
contact: abuse@invented-tube.test</body></html>
"""
APP_JS = "!function(){fbq('init', '123456789012345');ym(87654321, \"init\", {});}();"
SELF_GTM = 'var data={"resource":{"tags":[{"function":"__awct","vtp_conversionId":"111222333"}]}};'
GOOGLE_GTM = (
    'var data={"tags":[{"function":"__googtag","vtp_tagId":"G-AB12CD34EF"},'
    + '{"vtp_conversionId":"987654321"}]};'
)


def test_page_helpers() -> None:
    assert page_title(HOME) == "Invented & Tube — home"
    links = page_links(HOME, "https://invented-tube.test/")
    assert links.icons == ["https://invented-tube.test/static/icon.ico"]
    assert "https://invented-tube.test/static/app.js" in links.scripts
    assert same_site("https://cdn.invented-tube.test/lib.js", "invented-tube.test", "invented-tube.test")
    assert not same_site("https://third-party.test/widget.js", "invented-tube.test", "invented-tube.test")
    assert not same_site("https://notinvented-tube.test/x.js", "invented-tube.test", "invented-tube.test")
    assert is_gtm_container("https://www.googletagmanager.com/gtm.js?id=GTM-ABCD12")
    assert not is_gtm_container("https://www.googletagmanager.com/gtag/js?id=G-7XK2Q9M1LP")
    rules = web_rules()
    assert {"cf-ray", "x-amz-cf-id", "x-sucuri-id", "fastly-debug-digest"} <= rules.headers


@pytest.fixture
def site() -> Iterator[JsonServer]:
    html_type = "text/html; charset=utf-8"
    routes = {
        "/": Reply(
            200,
            HOME,
            content_type=html_type,
            headers={"Server": "nginx/1.25", "X-Powered-By": "PHP/8.2", "CF-RAY": "8a1b2c3d4e5f-AMS",
                     "Set-Cookie": "__ddg1_=secretvalue; Path=/", "X-Other": "ignored"},
        ),
        "/static/icon.ico": Reply(200, ICON, content_type="image/x-icon"),
        "/static/app.js": Reply(200, APP_JS, content_type="application/javascript"),
        "/metrics/gtm.js?id=GTM-SELF12": Reply(200, SELF_GTM, content_type="application/javascript"),
        "/gtm.js?id=GTM-ABCD12": Reply(200, GOOGLE_GTM, content_type="application/javascript"),
        "/lib.js": Reply(404, "gone"),
    }  # fmt: skip
    with JsonServer(routes) as srv:
        yield srv


def _run(case: Case, ctx: SourceContext) -> list[Observation | Failure]:
    case.config.fetch.delay = 0.0
    case.config.fetch.retries = 0

    async def go() -> list[Observation | Failure]:
        async with Fetcher.for_case(case, purpose="infra", scope=loopback_scope(), scripts=True) as fetcher:
            ctx.site_fetcher = fetcher
            return [item async for item in WebFingerprint().run(ctx)]

    return asyncio.run(go())


def _ctx(site: JsonServer, domain: str = "invented-tube.test", **options: bool) -> SourceContext:
    return SourceContext(
        domain,
        options=ScanOptions(**options),
        url_map={
            f"https://{domain}": "http://127.0.0.1:9",  # HTTPS refused: falls back to HTTP
            f"http://{domain}": site.base,
            f"https://cdn.{domain}": site.base,
            "https://www.googletagmanager.com": site.base,
        },
    )


def _values(items: list[Observation | Failure], kind: str) -> list[str]:
    return [i.value for i in items if isinstance(i, Observation) and i.kind == kind]


def test_fingerprint_of_a_site(case: Case, site: JsonServer) -> None:
    ctx = _ctx(site)
    items = _run(case, ctx)
    assert _values(items, "web.status") == ["200"]
    assert _values(items, "web.title") == ["Invented & Tube — home"]
    assert _values(items, "web.server") == ["server: nginx/1.25", "x-powered-by: PHP/8.2"]
    headers = _values(items, "web.header")
    assert "cf-ray: 8a1b2c3d4e5f-AMS" in headers and "server: nginx/1.25" in headers
    assert "set-cookie: __ddg1_" in headers and not any("secretvalue" in h for h in headers)
    assert not any(h.startswith("x-other") for h in headers)
    assert _values(items, "web.favicon_mmh3") == [str(mmh3.hash(codecs.encode(ICON, "base64")))]
    ids = _values(items, "linking_id")
    assert ids[:2] == ["ga4:G-7XK2Q9M1LP", "gtm:GTM-ABCD12"]
    for expected in (
        "google_site_verification:Xk3bYq1v9TnA0LmZsE7rQpW2cD4fG6hJ8kU5iO0pLzM",
        "telegram:t.me/+AbCdEfGhIjKlMnOp",
        "email:abuse@invented-tube.test",
        "fb_pixel:123456789012345",  # from the same-site script
        "yandex_metrica:87654321",
        "gtm:GTM-SELF12",
        "aw:AW-111222333",  # inside the container the site serves itself
    ):
        assert expected in ids
    assert "aw:AW-987654321" not in ids  # Google's copy of the container: only with --active
    assert not any("googletagmanager" in url or "third-party" in url for url in ctx.fetched)
    script_ids = [i for i in items if isinstance(i, Observation) and i.value == "fb_pixel:123456789012345"]
    assert script_ids[0].detail is not None and script_ids[0].detail["where"].startswith("script:")
    assert all(i.capture_id is not None for i in items if isinstance(i, Observation))
    failures = [i for i in items if isinstance(i, Failure)]
    assert failures == [
        Failure("web.script", "invented-tube.test", "script https://cdn.invented-tube.test/lib.js: http 404")
    ]


def test_active_reads_googles_container(case: Case, site: JsonServer) -> None:
    ctx = _ctx(site, active=True)
    items = _run(case, ctx)
    ids = _values(items, "linking_id")
    assert "aw:AW-987654321" in ids and "ga4:G-AB12CD34EF" in ids
    gtm = next(i for i in items if isinstance(i, Observation) and i.value == "aw:AW-987654321")
    assert (
        gtm.detail is not None
        and gtm.detail["where"] == "gtm:https://www.googletagmanager.com/gtm.js?id=GTM-ABCD12"
    )


def test_errors_are_results(case: Case) -> None:
    routes = {
        "/": Reply(403, "<html><title>Attention Required</title></html>", content_type="text/html",
                   headers={"Server": "cloudflare", "CF-RAY": "1-AMS"}),
    }  # fmt: skip
    with JsonServer(routes) as srv:
        items = _run(case, _ctx(srv, "blocked.test"))
    assert _values(items, "web.status") == ["403"]
    assert "server: cloudflare" in _values(items, "web.header")
    assert items[-1] == Failure("web", "blocked.test", "http 403")
    assert _values(items, "web.title") == []

    down = SourceContext(
        "down.test",
        url_map={"https://down.test": "http://127.0.0.1:9", "http://down.test": "http://127.0.0.1:9"},
    )
    (failure,) = _run(case, down)
    assert isinstance(failure, Failure) and failure.source == "web"
    assert failure.error.startswith("https: connect") and "; http: connect" in failure.error


def test_no_favicon_and_media_home(case: Case) -> None:
    routes = {
        "/": Reply(200, "<html><title>x</title></html>", content_type="text/html"),
        "/favicon.ico": Reply(404, "no"),
    }
    with JsonServer(routes) as srv:
        items = _run(case, _ctx(srv, "plain.test"))
    assert Failure("web.favicon", "plain.test", "favicon: http 404") in items
    routes = {"/": Reply(200, b"\x89PNG\r\n\x1a\n" + bytes(100), content_type="image/png")}
    with JsonServer(routes) as srv:
        items = _run(case, _ctx(srv, "media.test"))
    assert all(isinstance(i, Failure) for i in items)
    assert "refused" in items[0].error  # type: ignore[union-attr]


def test_megabytes_of_scripts_stay_bounded(case: Case) -> None:
    big = (
        "<html><head><title>big</title><script>var x='UA-12345-1';"
        + "a=b+c;" * 1_500_000
        + "</script></head></html>"
    )
    routes = {"/": Reply(200, big, content_type="text/html"), "/favicon.ico": Reply(404, "")}
    with JsonServer(routes) as srv:
        items = _run(case, _ctx(srv, "big.test"))
    assert "ua:UA-12345-1" in _values(items, "linking_id")


def test_dns_only_makes_no_connection(case: Case, site: JsonServer) -> None:
    ctx = _ctx(site, dns_only=True)
    items = _run(case, ctx)
    assert len(items) == 1 and isinstance(items[0], Failure)
    assert ctx.fetched == [] and site.requests == []
