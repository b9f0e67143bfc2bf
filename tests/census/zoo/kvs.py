"""A tube site laid out like Kernel Video Sharing (KVS) templates.

``/videos/<id>/<slug>/`` item pages (a VideoObject in JSON-LD, "Views: 1 234 567"), listings at
``/latest-updates/`` and ``/top-rated/`` paginated as ``/latest-updates/2/`` (with or without a
``<link rel="next">``, by seed), cards "12.3K views · 2 weeks ago", model pages ``/models/<slug>/``, and a
video sitemap index regenerated daily: it still lists some videos whose page now answers 404.
"""

from __future__ import annotations

import re

from tests.census.zoo.common import NOT_FOUND as MISSING
from tests.census.zoo.common import (
    TEXT,
    TODAY,
    Catalogue,
    Entry,
    Reply,
    Request,
    ZooSite,
    chunks,
    escape,
    fmt_duration,
    fmt_relative,
    fmt_views_short,
    json_ld,
    page,
    page_of,
    sitemap_index,
    urlset,
    video_ld,
)
from unmask.demo.names import slugify

LISTING = re.compile(r"^/(latest-updates|top-rated)/(?:(\d+)/)?$")
VIDEO = re.compile(r"^/videos/(\d+)/[^/]+/$")
MODEL = re.compile(r"^/models/([a-z0-9-]+)/$")
SITEMAP = re.compile(r"^/sitemap_videos_(\d+)\.xml$")


def spaced(n: int) -> str:
    return f"{n:,}".replace(",", " ")


class KvsTube(ZooSite):
    name = "kvs"
    adapter = "kvs.yaml"

    def __init__(self, seed: int) -> None:
        super().__init__(seed)
        rng = self.rng
        self.cat = Catalogue(rng, videos=(25, 70))
        self.per_page = rng.randint(6, 14)
        self.rel_next = rng.random() < 0.5
        self.sitemap_views = rng.random() < 0.5
        self.per_sitemap = rng.randint(10, 30)
        self.cat.remove_some("video", 0.08, stale=True)
        self.cat.remove_some("video", 0.05, stale=False)

    def truth(self, adapter: bool) -> dict[str, int]:
        return self.cat.truth(seen_removed=len([e for e in self.cat.all("video") if e.stale]))

    def path(self, e: Entry) -> str:
        return f"/videos/{e.id}/{e.slug}/"

    def route(self, req: Request) -> Reply:
        if req.path == "/robots.txt":
            return Reply(200, f"User-agent: *\nDisallow: /admin/\n\nSitemap: {self.base}/sitemap.xml\n", TEXT)
        if req.path == "/":
            return self.home()
        if req.path == "/sitemap.xml":
            count = len(chunks(self.cat.listed("video"), self.per_sitemap))
            return sitemap_index([self.url(f"/sitemap_videos_{n}.xml") for n in range(1, count + 1)])
        if m := SITEMAP.match(req.path):
            return self.sitemap(int(m.group(1)))
        if m := LISTING.match(req.path):
            return self.listing(m.group(1), int(m.group(2) or 1))
        if m := VIDEO.match(req.path):
            e = self.cat.get("video", int(m.group(1)))
            return self.video(e) if e is not None and not e.removed else MISSING
        if m := MODEL.match(req.path):
            return self.model(m.group(1))
        return MISSING

    def card(self, e: Entry) -> str:
        return (
            f'<div class="item"><a href="{self.path(e)}" title="{escape(e.title)}">'
            f'<div class="img"><img class="thumb lazy-load" src="data:image/gif;base64,R0lGODlhAQABAAAAACw=" '
            f'data-original="/contents/videos_screenshots/{e.id}/320x180/1.jpg" alt=""></div>'
            f'<strong class="title">{escape(e.title)}</strong><div class="wrap">'
            f'<div class="duration">{fmt_duration(e.duration or 0)}</div>'
            f'<div class="info">{fmt_views_short(e.views)} views · {fmt_relative(e.uploaded, TODAY)}</div>'
            "</div></a></div>"
        )

    def chrome(self, title: str, body: str, head: str = "") -> str:
        nav = (
            '<div class="navigation"><a href="/">Home</a> <a href="/latest-updates/">Latest</a> '
            '<a href="/top-rated/">Top rated</a> <a href="/models/">Models</a> <a href="/categories/">'
            "Categories</a></div>"
        )
        return page(title, nav + body + '<div class="footer"><a href="/dmca/">DMCA</a></div>', head=head)

    def home(self) -> Reply:
        cards = "".join(self.card(e) for e in self.cat.present("video")[:8])
        return Reply(200, self.chrome("Tube", f'<div class="list-videos">{cards}</div>'))

    def listing(self, which: str, number: int) -> Reply:
        videos = self.cat.present("video")
        if which == "top-rated":
            videos = sorted(videos, key=lambda e: (-e.views, e.id))
        shown = page_of(videos, self.per_page, number)
        if shown is None:
            return MISSING
        base = f"/{which}/"
        nxt = f"{base}{number + 1}/" if shown[1] else None
        head = f'<link href="{self.url(nxt)}" rel="next">' if nxt and self.rel_next else ""
        more = f'<div class="pagination"><a class="next" href="{nxt}">Next</a></div>' if nxt else ""
        cards = "".join(self.card(e) for e in shown[0])
        return Reply(200, self.chrome(which, f'<div class="list-videos">{cards}</div>{more}', head))

    def video(self, e: Entry) -> Reply:
        url = self.url(self.path(e))
        models = " ".join(f'<a href="/models/{slugify(p)}/">{escape(p)}</a>' for p in e.persons)
        body = (
            f'<div class="headline"><h1>{escape(e.title)}</h1></div><div class="info">'
            f'<div class="item"><span>Duration: <em>{fmt_duration(e.duration or 0)}</em></span> '
            f"<span>Views: <em>{spaced(e.views)}</em></span> "
            f"<span>Submitted: <em>{fmt_relative(e.uploaded, TODAY)}</em></span></div>"
            f'<div class="item">Models: {models}</div>'
            f'<div class="item">Uploaded by: <a class="uploader" href="/members/{slugify(e.uploader)}/">'
            f"{escape(e.uploader)}</a></div></div>"
            f'<div class="player"><video poster="/contents/videos_screenshots/{e.id}/preview.jpg">'
            f'<source src="/get_file/1/{e.id}.mp4/" type="video/mp4"></video></div>'
        )
        head = f'<link rel="canonical" href="{url}">' + json_ld(video_ld(url, e, base=self.base))
        return Reply(200, self.chrome(e.title, body, head))

    def model(self, slug: str) -> Reply:
        videos = [e for e in self.cat.present("video") if any(slugify(p) == slug for p in e.persons)]
        if not videos:
            return MISSING
        cards = "".join(self.card(e) for e in videos)
        return Reply(200, self.chrome(slug, f'<div class="list-videos">{cards}</div>'))

    def sitemap(self, number: int) -> Reply:
        part = page_of(self.cat.listed("video"), self.per_sitemap, number)
        if part is None:
            return MISSING
        entries = []
        for e in part[0]:
            views = f"<video:view_count>{e.views}</video:view_count>" if self.sitemap_views else ""
            entries.append(
                f"<url><loc>{self.url(self.path(e))}</loc><video:video>"
                f"<video:thumbnail_loc>{self.base}/contents/videos_screenshots/{e.id}/1.jpg</video:thumbnail_loc>"
                f"<video:title>{escape(e.title)}</video:title><video:description>{escape(e.title)}"
                f"</video:description><video:duration>{e.duration}</video:duration>{views}"
                f"<video:publication_date>{e.uploaded.isoformat()}</video:publication_date>"
                "</video:video></url>\n"
            )
        return urlset(entries, video=True)
