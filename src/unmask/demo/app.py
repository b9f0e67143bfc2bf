"""The ASGI application of the demo platform: routes a request to the flavour's renderer, counts it
(``/__stats``), waits the configured latency and answers. It never makes a connection of its own.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import re
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass, field
from email.utils import format_datetime
from typing import Any, Final

from unmask.demo import store
from unmask.demo.forum import DemoForum
from unmask.demo.platform import KINDS, DemoPlatform
from unmask.demo.render import AD_PAGE, FAVICON, FLAVOURS, JSON, TEXT, Flavour, Renderer, Response, not_found
from unmask.demo.render_demo import DemoRenderer
from unmask.demo.render_schema import SchemaRenderer

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

ROUTE_KINDS: Final = (
    "robots", "sitemap", "listing", "item", "model", "user", "tag", "embed",
    "media", "favicon", "ads", "page", "disallowed", "not_found", "app",
)  # fmt: skip
"""What ``/__stats`` counts (every answered request has exactly one of these kinds; ``app``: the promoted
app's store listing and privacy policy, unmask.demo.store)."""
CONTROL_KIND: Final = "control"
"""``/__stats`` and ``/__expected``: neither counted nor delayed."""

_HOST_RE = re.compile(r"[A-Za-z0-9.\-]+(:\d{1,5})?|\[[0-9A-Fa-f:.]+\](:\d{1,5})?")


@dataclass(slots=True)
class Stats:
    """Counters of what the server answered, by route kind, status and method."""

    kinds: dict[str, int] = field(default_factory=lambda: dict.fromkeys(ROUTE_KINDS, 0))
    statuses: dict[str, int] = field(default_factory=dict)
    head: int = 0
    total: int = 0

    def count(self, kind: str, status: int, method: str) -> None:
        self.kinds[kind] = self.kinds.get(kind, 0) + 1
        key = str(status)
        self.statuses[key] = self.statuses.get(key, 0) + 1
        self.head += method == "HEAD"
        self.total += 1

    def as_dict(self) -> dict[str, object]:
        return {**self.kinds, "total": self.total, "head": self.head, "by_status": dict(self.statuses)}

    def reset(self) -> None:
        self.kinds = dict.fromkeys(ROUTE_KINDS, 0)
        self.statuses = {}
        self.head = self.total = 0


class DemoApp:
    """The ASGI application: routes a request, counts it, waits ``latency_ms``, answers."""

    def __init__(self, platform: DemoPlatform, flavour: Flavour = "demo", latency_ms: float = 0.0) -> None:
        if flavour not in FLAVOURS:
            raise ValueError(f"unknown flavour {flavour!r} (expected one of {', '.join(FLAVOURS)})")
        self.platform = platform
        self.flavour = flavour
        self.latency = max(0.0, latency_ms) / 1000
        self.stats = Stats()
        self.renderer: Renderer = DemoRenderer(platform) if flavour == "demo" else SchemaRenderer(platform)
        noon = dt.datetime.combine(platform.as_of, dt.time(12, 0), tzinfo=dt.UTC)
        self._date = format_datetime(noon, usegmt=True).encode()
        self._expected: bytes | None = None
        self.forum = DemoForum(platform)  # the platform's forum under /forum/ (demo/forum.py)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        method = scope["method"]
        if method in ("GET", "HEAD"):
            response = self.respond(scope["path"], scope["query_string"], self._base(scope))
        else:
            response = Response(405, "not_found", b"Method not allowed\n", TEXT)
        if response.kind != CONTROL_KIND:
            self.stats.count(response.kind, response.status, method)
            if self.latency:
                await asyncio.sleep(self.latency)
        headers = [
            (b"content-type", response.content_type),
            (b"content-length", str(len(response.body)).encode()),
            (b"date", self._date),
        ]
        if response.status == 405:
            headers.append((b"allow", b"GET, HEAD"))
        await send({"type": "http.response.start", "status": response.status, "headers": headers})
        await send({"type": "http.response.body", "body": b"" if method == "HEAD" else response.body})

    @staticmethod
    def _base(scope: Scope) -> str:
        """``scheme://host[:port]`` as the client addressed us (the Host header, if well-formed)."""
        for key, value in scope["headers"]:
            if key == b"host":
                host = value.decode("latin-1")
                if _HOST_RE.fullmatch(host):
                    return f"{scope.get('scheme', 'http')}://{host}"
                break
        server = scope.get("server") or ("127.0.0.1", 80)
        return f"{scope.get('scheme', 'http')}://{server[0]}:{server[1]}"

    def respond(self, path: str, query: bytes, base: str) -> Response:
        """The response to ``GET path?query`` (``base`` is this server's own ``scheme://host:port``)."""
        parts = path[1:].split("/")
        head = parts[0]
        r = self.renderer
        if len(parts) == 1:
            simple = self._single_segment(head, path, query, base)
            if simple is not None:
                return simple
        if head == "sitemaps" and len(parts) == 2 and parts[1].endswith(".xml"):
            return r.sitemap_file(parts[1][:-4], base)
        if head in ("video", "photo", "album"):
            return self._item(head, parts, base)
        if head == "model" and len(parts) == 2:
            person = self.platform.person(parts[1])
            return r.person_page(person, query, base) if person else not_found("model")
        if head == "user" and len(parts) == 2:
            uploader = self.platform.uploader(parts[1])
            return r.user_page(uploader, base) if uploader else not_found("user")
        if head == "media" and len(parts) >= 3:
            return r.media(path)
        if head == "stream":
            return r.stream(parts)
        if head == "embed":
            return r.embed(parts)
        if head == "forum":
            return self.forum.respond(path, base)
        if head == "account":
            return r.disallowed(path)
        if head == "ads" and parts == ["ads", "slot"]:
            return Response(200, "ads", AD_PAGE)
        if path == store.STORE_PATH:  # the store of the app the home page promotes (apps.play_base)
            status, body = store.listing_page(query, base)
            return Response(status, "app", body)
        if path == store.POLICY_PATH:
            return Response(200, "app", store.policy_page())
        return self._flavour_route(parts, query, base)

    def _single_segment(self, head: str, path: str, query: bytes, base: str) -> Response | None:
        r = self.renderer
        if head == "":
            return r.home()
        if head == "robots.txt":
            return r.robots(base)
        if head == "sitemap.xml":
            return r.sitemap_index(base)
        if head == "favicon.ico":
            return Response(200, "favicon", FAVICON, b"image/x-icon")
        if head == "search":
            return r.disallowed(path)
        if head in ("terms", "dmca", "contact"):
            return r.simple_page(path)
        if head == "__stats":
            return self._stats_response(query)
        if head == "__expected":
            return self._expected_response()
        return None

    def _item(self, head: str, parts: list[str], base: str) -> Response:
        r = self.renderer
        if len(parts) not in (2, 3) or (head == "photo" and len(parts) != 2):
            return not_found("item")
        if head == "video":
            video = r.visible_video(parts[1])
            return r.video_page(video, base) if video else not_found("item")
        if head == "photo":
            photo = r.visible_photo(parts[1])
            return r.photo_page(photo, base) if photo else not_found("item")
        album = r.visible_album(parts[1])
        return r.album_page(album, base) if album else not_found("item")

    def _flavour_route(self, parts: list[str], query: bytes, base: str) -> Response:
        r = self.renderer
        if isinstance(r, DemoRenderer):
            if len(parts) == 1 and parts[0] in KINDS:
                return r.listing(parts[0], query, base)
            if parts[0] == "tag" and len(parts) == 2:
                return r.tag_page(parts[1], query)
            if parts[0] == "category" and len(parts) == 2:
                return r.category_page(parts[1], query)
        elif parts[0] == "browse" and len(parts) == 2 and parts[1] in KINDS:
            return r.listing(parts[1], query, base)
        return not_found()

    def _stats_response(self, query: bytes) -> Response:
        body = json.dumps(self.stats.as_dict(), sort_keys=True).encode()
        if b"reset=1" in query:
            self.stats.reset()
        return Response(200, CONTROL_KIND, body, JSON)

    def _expected_response(self) -> Response:
        if self._expected is None:
            p = self.platform
            data = {
                "seed": p.seed,
                "scale": p.scale,
                "as_of": p.as_of.isoformat(),
                "flavour": self.flavour,
                "figures": p.expected_figures(),
                "minimum_requests": p.minimum_requests(self.flavour),
                "counts": p.counts(),
            }
            self._expected = json.dumps(data, sort_keys=True).encode()
        return Response(200, CONTROL_KIND, self._expected, JSON)


def make_app(platform: DemoPlatform, flavour: Flavour = "demo", latency_ms: float = 0.0) -> DemoApp:
    """The ASGI application serving ``platform`` in ``flavour``, waiting ``latency_ms`` before each answer."""
    return DemoApp(platform, flavour, latency_ms)
