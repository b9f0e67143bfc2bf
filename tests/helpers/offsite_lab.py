"""A hostile platform and the places it tries to send the crawler, for ``unshare -n`` (tests.helpers.netns).

Run inside the namespace as ``python -m tests.helpers.offsite_lab SCENARIO CASE_DIR OUT.json``: it starts
the site and every off-site server on the namespace's own addresses, runs the real ``unmask census
crawl``, and writes what each server saw (connections, requests with their headers) and the crawl's
output to OUT.json for the test to judge.

The site (invented-tube.test, 11.1.1.1, a "public" address inside the namespace) answers its start URL
with a redirect to www.invented-tube.test (the canonical origin), and its item pages with redirects to
every place a crawler must not go.
"""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
from pathlib import Path

from tests.helpers.raw_server import RawRequest, RawServer, reply

SITE = "invented-tube.test"
SITE_IP = "11.1.1.1"
OTHER_IP = "11.1.1.2"
OTHER_WWW_IP = "11.1.1.3"
PRIVATE_SUB_IP = "10.0.0.7"
PRIVATE_SITE_IP = "10.0.0.9"
HOSTS = {
    SITE: SITE_IP,
    f"www.{SITE}": SITE_IP,
    f"www2.{SITE}": OTHER_WWW_IP,
    f"cdn.{SITE}": PRIVATE_SUB_IP,
    "other.test": OTHER_IP,
    "private-site.test": PRIVATE_SITE_IP,
}
ADDRESSES = [SITE_IP, OTHER_IP, OTHER_WWW_IP, PRIVATE_SUB_IP, PRIVATE_SITE_IP, "10.0.0.1", "169.254.169.254"]
SECRETS = {"Authorization": "Bearer case-secret-token-5831", "X-Api-Key": "case-api-key-7719"}
COOKIE = ("age_ok", "case-cookie-4402")

ATTACKS = {
    # item slug: where its page redirects
    "protocol-relative": "//other.test/stolen-1",
    "userinfo": f"http://{SITE}@other.test/stolen-2",
    "decimal-ip": "http://184615170/stolen-3",  # 11.1.1.2
    "mapped-ipv6": f"http://[::ffff:{OTHER_IP}]/stolen-4",
    "another-port": f"http://{SITE}:8081/stolen-5",
    "private-subdomain": f"http://cdn.{SITE}/stolen-6",
    "metadata": "http://169.254.169.254/latest/meta-data/",
    "private-ten": "http://10.0.0.1/stolen-8",
    "https-other": "https://other.test/stolen-9",
    "second-canonical": f"http://www2.{SITE}/stolen-10",  # the canonical origin is established once
    "scheme-change": f"https://{SITE}/stolen-11",  # not the start URL's chain: another origin
}
GOOD = [f"good-{i}" for i in range(4)]


def _item(slug: str, base: str) -> bytes:
    ld = {"@context": "https://schema.org", "@type": "VideoObject", "name": f"Invented clip {slug}",
          "url": f"{base}/video/{slug}", "duration": "PT2M", "uploadDate": "2025-02-01"}  # fmt: skip
    links = "".join(f'<a href="{target}">more</a>' for target in ATTACKS.values())  # on-site for the spider?
    return (
        f"<!DOCTYPE html><html><head><title>Invented clip {slug}</title>"
        f'<script type="application/ld+json">{json.dumps(ld)}</script></head>'
        f'<body><h1>Invented clip {slug}</h1>{links}<a href="http://cdn.{SITE}/video/x">cdn</a></body></html>'
    ).encode()


def site_server() -> RawServer:
    srv = RawServer(SITE_IP, 80)
    base = f"http://{SITE}"
    html = [("Content-Type", "text/html; charset=utf-8")]
    moved = reply(b"", [("Location", f"http://www.{SITE}/")], status="301 Moved Permanently")
    home = reply(b"<!DOCTYPE html><html><body>home</body></html>", html)

    def front(conn: socket.socket, request: RawRequest) -> None:  # bare name → www (the canonical origin)
        (home if request.headers.get("host", "").startswith("www.") else moved)(conn, request)

    srv.route("/", front)
    robots = f"User-agent: *\nAllow: /\n\nSitemap: {base}/sitemap.xml\n".encode()
    srv.route("/robots.txt", reply(robots, [("Content-Type", "text/plain")]))
    paths = [f"/video/{slug}" for slug in [*ATTACKS, *GOOD]]
    locs = "".join(f"<url><loc>{base}{p}</loc></url>" for p in paths)
    sitemap = (
        f'<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{locs}</urlset>'
    )
    srv.route("/sitemap.xml", reply(sitemap.encode(), [("Content-Type", "application/xml")]))
    for slug, target in ATTACKS.items():
        srv.route(f"/video/{slug}", reply(b"", [("Location", target)], status="302 Found"))
    for slug in GOOD:
        srv.route(f"/video/{slug}", reply(_item(slug, base), html))
    return srv


def trap_servers() -> dict[str, RawServer]:
    """Everywhere the crawler must never connect to."""
    return {
        "other.test:80": RawServer(OTHER_IP, 80),
        "other.test:443": RawServer(OTHER_IP, 443),
        "site:8081": RawServer(SITE_IP, 8081),
        "site:443": RawServer(SITE_IP, 443),
        "www2:80": RawServer(OTHER_WWW_IP, 80),
        "cdn (10.0.0.7):80": RawServer(PRIVATE_SUB_IP, 80),
        "10.0.0.1:80": RawServer("10.0.0.1", 80),
        "169.254.169.254:80": RawServer("169.254.169.254", 80),
        "private-site (10.0.0.9):80": RawServer(PRIVATE_SITE_IP, 80),
    }


def seen(srv: RawServer) -> dict[str, object]:
    return {
        "connections": srv.connections,
        "requests": [
            {"path": r.path, "host": r.headers.get("host"), "headers": r.headers} for r in srv.requests
        ],
    }


def main(scenario: str, case: str, out: str) -> None:
    site, traps = site_server(), trap_servers()
    with site:
        for trap in traps.values():
            trap.__enter__()
        start = f"http://{SITE}/" if scenario == "crawl" else "http://private-site.test/"
        cmd = [
            sys.executable,
            "-m",
            "unmask",
            "census",
            "crawl",
            start,
            "--case",
            case,
            "--delay",
            "0",
            "--json",
        ]
        began = time.monotonic()
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=240)
        result = {
            "returncode": proc.returncode,
            "stdout": proc.stdout,
            "stderr": proc.stderr[-3000:],
            "seconds": time.monotonic() - began,
            "site": seen(site),
            "traps": {name: seen(trap) for name, trap in traps.items()},
        }
        for trap in traps.values():
            trap.__exit__()
    Path(out).write_text(json.dumps(result), encoding="utf-8")


if __name__ == "__main__":
    main(*sys.argv[1:4])
