"""End to end: `unmask census crawl` of a platform that serves media every way it can stores none of it.

The sitemap lists item pages that answer with every payload of tests.helpers.media, labelled, encoded
and delivered in every way of test_no_media_in_evidence; other items redirect to media files that dodge
an extension check. A gzip sitemap of ordinary items shows that what is text still gets through.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.helpers.cli import unmask
from tests.helpers.media import media_in_evidence, payloads
from tests.helpers.raw_server import RawServer, reply
from tests.helpers.store import sql
from tests.safety.test_no_media_in_evidence import variants

HTML = "text/html; charset=utf-8"
SMUGGLING = ("html", "octet", "unlabelled", "json", "chunked", "http10", "no-length", "gzip", "br", "deflate",
             "gzip-gzip", "zstd", "x-gzip2", "partial", "after-text", "gzip-container")  # fmt: skip


def item_page(base: str, slug: str) -> bytes:
    ld = {
        "@context": "https://schema.org",
        "@type": "VideoObject",
        "url": f"{base}/video/{slug}",
        "name": f"Invented clip {slug}",
        "duration": "PT1M5S",
        "uploadDate": "2025-03-01",
    }
    return (
        f"<!DOCTYPE html><html><head><title>Invented clip {slug}</title>"
        f'<link rel="canonical" href="{base}/video/{slug}">'
        f'<script type="application/ld+json">{json.dumps(ld)}</script></head>'
        f"<body><h1>Invented clip {slug}</h1></body></html>"
    ).encode()


def urlset(base: str, paths: list[str]) -> bytes:
    locs = "".join(f"<url><loc>{base}{p}</loc></url>\n" for p in paths)
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n{locs}</urlset>\n'
    ).encode()


@pytest.fixture
def site() -> Iterator[RawServer]:
    with RawServer() as srv:
        base = srv.base
        smuggled = []
        for p in payloads():
            table = variants(p)
            for name in SMUGGLING:
                fields, body, status, delivery = table[name]
                path = f"/video/{p.name}-{name}"
                srv.route(path, reply(body, fields, status=status, delivery=delivery))
                smuggled.append(path)
        ts = next(p for p in payloads() if p.name == "mpeg-ts")
        for slug, target in (("moved-1", "/media/clip.mp4;jsessionid=1"), ("moved-2", "/media/clip.ts/")):
            srv.route(f"/video/{slug}", reply(b"", [("Location", target)], status="302 Found"))
            smuggled.append(f"/video/{slug}")
        srv.prefix("/media/", reply(ts.data, [("Content-Type", HTML)]))
        good = [f"good-{i}" for i in range(6)]
        for slug in good:
            srv.route(f"/video/{slug}", reply(item_page(base, slug), [("Content-Type", HTML)]))
        robots = (
            f"User-agent: *\nAllow: /\n\nSitemap: {base}/sitemap.xml\nSitemap: {base}/sitemap-more.xml.gz\n"
        )
        srv.route("/robots.txt", reply(robots.encode(), [("Content-Type", "text/plain")]))
        srv.route("/", reply(b"<!DOCTYPE html><html><body>home</body></html>", [("Content-Type", HTML)]))
        srv.route(
            "/sitemap.xml",
            reply(
                urlset(base, smuggled + [f"/video/{s}" for s in good[:3]]),
                [("Content-Type", "application/xml")],
            ),
        )
        more = gzip.compress(urlset(base, [f"/video/{s}" for s in good[3:]]))
        srv.route("/sitemap-more.xml.gz", reply(more, [("Content-Type", "application/x-gzip")]))
        srv.smuggled = smuggled  # type: ignore[attr-defined]
        srv.good = good  # type: ignore[attr-defined]
        yield srv


@pytest.mark.slow
def test_a_census_of_a_platform_serving_media_every_way_stores_none(new_case: Path, site: RawServer) -> None:
    args = ("--case", str(new_case), "--delay", "0", "--concurrency", "4", "--json")
    proc = unmask("census", "crawl", site.base + "/", *args, timeout=240)
    summary = json.loads(proc.stdout)
    assert summary["status"] == "complete", summary
    # nothing of any payload in the evidence, raw or decoded, and no refused body in the store
    assert not media_in_evidence(new_case, payloads())
    kept = sql(
        new_case, "SELECT url, payload_length FROM capture WHERE refused IS NOT NULL AND payload_length > 0"
    )
    assert not kept, kept
    # every smuggling page refused, the media files behind the redirects never asked for
    rows = dict(sql(new_case, "SELECT url, status FROM frontier"))
    smuggled = {site.base + p for p in site.smuggled}  # type: ignore[attr-defined]
    assert {rows[u] for u in smuggled} == {"refused"}, {u: rows[u] for u in smuggled if rows[u] != "refused"}
    assert not any(path.startswith("/media/") for path in site.hits)
    # what is text got through: both sitemaps (one gzipped) and every ordinary item
    titles = {t for (t,) in sql(new_case, "SELECT title FROM item WHERE title IS NOT NULL")}
    assert titles == {f"Invented clip {s}" for s in site.good}  # type: ignore[attr-defined]
