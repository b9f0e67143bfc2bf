"""A listing-only catalogue (issue 10, item 1): no sitemaps, cards with only a link, a thumbnail and a
title, and a ``rel=next`` that never ends: past its last page the listing serves its last page again.

One listing for videos (``/videos?page=N``, items ``/v/<id>``) and one for photos (``/photos?page=N``),
both linked from the home page. Photo pages are at ``/photo/<id>``, ``/p/<id>`` (a URL that says
nothing) or ``/image/<id>.html``, by seed; their structured data is JSON-LD or microdata, by seed.
"""

from __future__ import annotations

import re

from tests.census.zoo.common import NOT_FOUND as MISSING
from tests.census.zoo.common import (
    TEXT,
    Catalogue,
    Entry,
    Reply,
    Request,
    ZooSite,
    chunks,
    escape,
    fmt_duration,
    json_ld,
    page,
    photo_ld,
    video_ld,
)

VIDEO = re.compile(r"^/v/(\d+)$")
PHOTO_FORMS = {"photo": "/photo/{id}", "p": "/p/{id}", "image": "/image/{id}.html"}
PHOTO = re.compile(r"^/(?:photo/|p/|image/)(\d+)(?:\.html)?$")


class ListingOnly(ZooSite):
    name = "listing_only"
    adapter = "listing_only.yaml"

    def __init__(self, seed: int) -> None:
        super().__init__(seed)
        rng = self.rng
        self.cat = Catalogue(rng, videos=(20, 60), photos=(20, 70))
        self.per_page = rng.randint(8, 20)
        self.photo_form = rng.choice(list(PHOTO_FORMS))
        self.microdata = rng.random() < 0.5
        self.next_in_head = rng.random() < 0.5
        self.cat.remove_some("video", 0.05, stale=False)
        self.cat.remove_some("photo", 0.05, stale=False)

    def truth(self, adapter: bool) -> dict[str, int]:
        return self.cat.truth(seen_removed=0)

    def path(self, e: Entry) -> str:
        return f"/v/{e.id}" if e.kind == "video" else PHOTO_FORMS[self.photo_form].format(id=e.id)

    def route(self, req: Request) -> Reply:
        if req.path == "/robots.txt":
            return Reply(200, "User-agent: *\nAllow: /\n", TEXT)
        if req.path == "/":
            body = (
                '<ul class="nav"><li><a href="/videos">Videos</a></li><li><a href="/photos">Photos</a></ul>'
            )
            return Reply(200, self.chrome("Home", body))
        if req.path in ("/videos", "/photos"):
            number = req.page()
            kind = req.path.strip("/")[:-1]
            return self.listing(kind, number) if number else MISSING
        if m := VIDEO.match(req.path):
            e = self.cat.get("video", int(m.group(1)))
            return self.video(e) if e is not None and not e.removed else MISSING
        if (m := PHOTO.match(req.path)) and self.path_matches(req.path):
            e = self.cat.get("photo", int(m.group(1)))
            return self.photo(e) if e is not None and not e.removed else MISSING
        if req.path == "/about":
            return Reply(200, self.chrome("About", "<p>About us.</p>"))
        return MISSING

    def path_matches(self, path: str) -> bool:
        m = PHOTO.match(path)
        return m is not None and path == PHOTO_FORMS[self.photo_form].format(id=m.group(1))

    def chrome(self, title: str, body: str, head: str = "") -> str:
        nav = (
            '<header><a href="/">Home</a> <a href="/videos">Videos</a> <a href="/photos">Photos</a></header>'
        )
        return page(title, nav + body + '<footer><a href="/about">About</a></footer>', head=head)

    def listing(self, kind: str, number: int) -> Reply:
        pages = chunks(self.cat.present(kind), self.per_page)
        shown = pages[min(number, len(pages)) - 1]  # past the last page: the last page again
        nxt = f"/{kind}s?page={number + 1}"
        head = f'<link rel="next" href="{nxt}">' if self.next_in_head else ""
        more = "" if self.next_in_head else f'<a rel="next" href="{nxt}">Next</a>'
        cards = "".join(
            f'<li class="card"><a href="{self.path(e)}"><img src="/thumbs/{kind[0]}{e.id}.jpg" alt="">'
            f'<span class="t">{escape(e.title)}</span></a></li>'
            for e in shown
        )
        return Reply(200, self.chrome(kind.title() + "s", f'<ul class="grid">{cards}</ul>{more}', head))

    def video(self, e: Entry) -> Reply:
        url = self.url(self.path(e))
        body = (
            f'<h1>{escape(e.title)}</h1><p><span class="duration">{fmt_duration(e.duration or 0)}</span> · '
            f'<span class="views">{e.views:,}</span> views</p>'
        )
        return Reply(200, self.chrome(e.title, body, json_ld(video_ld(url, e, base=self.base))))

    def photo(self, e: Entry) -> Reply:
        url = self.url(self.path(e))
        views = f'<p><span class="views">{e.views:,}</span> views</p>'
        shown = f'<h1>{escape(e.title)}</h1><img src="/img/{e.id}.jpg" alt="">{views}'
        if not self.microdata:
            return Reply(200, self.chrome(e.title, shown, json_ld(photo_ld(url, e, base=self.base))))
        body = (
            f'<div itemscope itemtype="https://schema.org/ImageObject"><link itemprop="url" href="{url}">'
            f'<h1 itemprop="name">{escape(e.title)}</h1>'
            f'<meta itemprop="uploadDate" content="{e.uploaded.isoformat()}">'
            '<div itemprop="interactionStatistic" itemscope itemtype="https://schema.org/InteractionCounter">'
            '<link itemprop="interactionType" href="https://schema.org/ViewAction">'
            f'<meta itemprop="userInteractionCount" content="{e.views}"></div>'
            f'<img src="/img/{e.id}.jpg" alt="">{views}</div>'
        )
        return Reply(200, self.chrome(e.title, body))
