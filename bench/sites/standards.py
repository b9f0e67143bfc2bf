"""A standards-based site for the census benchmark: a plain sitemap of N item URLs (no metadata in it),
each item page described by schema.org JSON-LD (invented titles, uploaders and persons).

    python bench/sites/standards.py --fd FD [--items 2500] [--latency-ms 40]

Every response waits ``latency-ms`` first (a real site's server time). Served by uvicorn on a listening
socket the parent passes by file descriptor (``unmask.demo.server``'s way); prints its URL when ready.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from unmask.demo.server import _run, listen, no_delay, url_of

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]

FILLER = "<p>" + "lorem ipsum dolor sit amet " * 200 + "</p>"


class StandardsSite:
    """The ASGI app: robots.txt → sitemap.xml → /video/N/ pages with JSON-LD."""

    def __init__(self, base: str, items: int, latency_ms: float) -> None:
        rng = random.Random(1)
        self.latency = latency_ms / 1000
        self.items = {
            i: (f"Invented clip {i}", rng.randint(10, 10**6), rng.randint(30, 3600), f"2020-{1 + i % 12:02d}-"
                f"{1 + i % 28:02d}")
            for i in range(1, items + 1)
        }  # fmt: skip
        self.robots = f"User-agent: *\nAllow: /\nSitemap: {base}/sitemap.xml\n".encode()
        self.sitemap = (
            '<?xml version="1.0" encoding="UTF-8"?>'
            '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
            + "".join(f"<url><loc>{base}/video/{i}/</loc></url>" for i in self.items)
            + "</urlset>"
        ).encode()

    def page(self, i: int) -> bytes:
        title, views, seconds, date = self.items[i]
        ld = {
            "@context": "https://schema.org",
            "@type": "VideoObject",
            "name": title,
            "uploadDate": date,
            "duration": f"PT{seconds // 60}M{seconds % 60}S",
            "thumbnailUrl": f"/thumbs/{i}.jpg",
            "interactionStatistic": {
                "@type": "InteractionCounter",
                "interactionType": {"@type": "WatchAction"},
                "userInteractionCount": views,
            },
            "author": {"@type": "Person", "name": f"uploader{i % 50}"},
            "actor": [{"@type": "Person", "name": f"Invented Person {i % 300}"}],
            "keywords": "tag1, tag2, tag3",
        }
        nav = "".join(f'<a href="/tag/t{k}">t{k}</a>' for k in range(30))
        return (
            f'<!doctype html><html><head><title>{title}</title><script type="application/ld+json">'
            f"{json.dumps(ld)}</script></head><body><nav>{nav}</nav><h1>{title}</h1>{FILLER}</body></html>"
        ).encode()

    def answer(self, path: str) -> tuple[int, str, bytes]:
        if path == "/robots.txt":
            return 200, "text/plain", self.robots
        if path == "/sitemap.xml":
            return 200, "application/xml", self.sitemap
        if path == "/":
            return 200, "text/html; charset=utf-8", b"<html><body><a href='/video/1/'>x</a></body></html>"
        parts = path.split("/")
        if len(parts) == 4 and parts[1] == "video" and parts[2].isdigit() and int(parts[2]) in self.items:
            return 200, "text/html; charset=utf-8", self.page(int(parts[2]))
        return 404, "text/html", b"not found"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        await asyncio.sleep(self.latency)
        status, ctype, body = self.answer(scope["path"])
        headers = [(b"content-type", ctype.encode()), (b"content-length", str(len(body)).encode())]
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})


def main() -> None:
    import uvicorn

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--fd", type=int, default=None)
    ap.add_argument("--items", type=int, default=2500)
    ap.add_argument("--latency-ms", type=float, default=40.0)
    args = ap.parse_args()
    own = listen() if args.fd is None else None
    fd = own.fileno() if own is not None else args.fd
    no_delay(fd)
    base = url_of(fd)
    app = StandardsSite(base, args.items, args.latency_ms)
    config = uvicorn.Config(
        app, fd=fd, log_level="warning", access_log=False, lifespan="off", loop="uvloop", http="httptools"
    )
    server = uvicorn.Server(config)
    print(base, flush=True)
    _run(server, fd)


if __name__ == "__main__":
    main()
