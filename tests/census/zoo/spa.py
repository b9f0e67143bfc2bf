"""A single-page app whose listings come from a JSON API.

Every HTML path answers the same app shell (``<div id="root">`` and a script); the catalogue is at
``/api/videos?page=N`` and ``/api/photos?page=N`` (JSON with ``results`` and a ``next`` URL). For search
engines, item pages ``/watch/<id>`` and ``/shot/<id>`` (a URL that says nothing) are prerendered with
their JSON-LD, and a sitemap lists them — still listing a few videos that now answer 404.
"""

from __future__ import annotations

import json
import re

from tests.census.zoo.common import (
    JSON,
    TEXT,
    Catalogue,
    Entry,
    Reply,
    Request,
    ZooSite,
    json_ld,
    page,
    page_of,
    photo_ld,
    urlset,
    video_ld,
)

ITEM = re.compile(r"^/(watch|shot)/(\d+)$")
SHELL = (
    '<div id="root"></div><noscript>Enable JavaScript.</noscript><script src="/static/js/main.js"></script>'
)


class SinglePageApp(ZooSite):
    name = "spa"
    adapter = "spa.yaml"

    def __init__(self, seed: int) -> None:
        super().__init__(seed)
        rng = self.rng
        self.cat = Catalogue(rng, videos=(20, 60), photos=(10, 40))
        self.per_page = rng.randint(5, 15)
        self.stale = self.cat.remove_some("video", 0.08, stale=True)
        self.cat.remove_some("photo", 0.05, stale=False)

    def truth(self, adapter: bool) -> dict[str, int]:
        return self.cat.truth(seen_removed=len(self.stale))

    def path(self, e: Entry) -> str:
        return f"/watch/{e.id}" if e.kind == "video" else f"/shot/{e.id}"

    def route(self, req: Request) -> Reply:
        if req.path == "/robots.txt":
            return Reply(200, f"User-agent: *\nDisallow: /admin\nSitemap: {self.base}/sitemap.xml\n", TEXT)
        if req.path == "/sitemap.xml":
            items = self.cat.listed("video") + self.cat.present("photo")
            return urlset(f"<url><loc>{self.url(self.path(e))}</loc></url>\n" for e in items)
        if req.path in ("/api/videos", "/api/photos"):
            return self.api(req.path.rsplit("/", 1)[1][:-1], req.page() or 0)
        if req.path == "/static/js/main.js":
            return Reply(200, "document.getElementById('root').textContent='…';", "application/javascript")
        if m := ITEM.match(req.path):
            kind = "video" if m.group(1) == "watch" else "photo"
            e = self.cat.get(kind, int(m.group(2)))
            if e is None or e.removed:
                return Reply(404, page("Not found", SHELL))
            url = self.url(self.path(e))
            ld = video_ld(url, e, base=self.base) if kind == "video" else photo_ld(url, e, base=self.base)
            return Reply(200, page(e.title, SHELL, head=json_ld(ld)))
        return Reply(200, page("App", SHELL))  # the app's router answers every other path

    def api(self, kind: str, number: int) -> Reply:
        shown = page_of(self.cat.present(kind), self.per_page, number)
        if shown is None:
            return Reply(404, json.dumps({"error": "no such page"}), JSON)
        results = [
            {
                "id": e.id,
                "url": self.path(e),
                "title": e.title,
                "duration": e.duration,
                "views": e.views,
                "published_at": e.uploaded.isoformat() + "T10:00:00Z",
                "uploader": {"name": e.uploader, "avatar": f"/static/media/avatars/{e.id}.png"},
                "performers": [{"name": p} for p in e.persons],
                "thumbnail": f"/static/media/thumbs/{e.id}.jpg",
            }
            for e in shown[0]
        ]
        nxt = f"/api/{kind}s?page={number + 1}" if shown[1] else None
        data = {"page": number, "results": results, "next": nxt}
        return Reply(200, json.dumps(data), JSON)
