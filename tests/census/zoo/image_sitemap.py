"""A photo site known through its image sitemap (issue 10, item 2): ``<loc>`` and ``<image:loc>`` only.

The sitemap (one file, or an index of several, by seed) still lists photos whose page now answers 404 or
410: a census must count them removed, not present (it reported 900 photos where 879 existed). Photo
pages are ``/photo/<id>`` or ``/photos/<id>/<slug>/``, by seed, with an ImageObject in JSON-LD.
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
    json_ld,
    page,
    page_of,
    photo_ld,
    sitemap_index,
    urlset,
)

PHOTO = re.compile(r"^/photos?/(\d+)(?:/[a-z0-9-]+/)?$")
PART = re.compile(r"^/sitemaps/images-(\d+)\.xml$")


class ImageSitemap(ZooSite):
    name = "image_sitemap"
    adapter = "image_sitemap.yaml"

    def __init__(self, seed: int) -> None:
        super().__init__(seed)
        rng = self.rng
        self.cat = Catalogue(rng, photos=(40, 120))
        self.long_urls = rng.random() < 0.5
        self.per_file = rng.choice([None, rng.randint(15, 40)])
        self.stale = self.cat.remove_some("photo", rng.uniform(0.02, 0.1), stale=True)
        self.gone_410 = {e.id for e in self.stale if rng.random() < 0.5}

    def truth(self, adapter: bool) -> dict[str, int]:
        return self.cat.truth(seen_removed=len(self.stale))

    def path(self, e: Entry) -> str:
        return f"/photos/{e.id}/{e.slug}/" if self.long_urls else f"/photo/{e.id}"

    def route(self, req: Request) -> Reply:
        if req.path == "/robots.txt":
            where = "/sitemaps/index.xml" if self.per_file else "/sitemap-images.xml"
            return Reply(200, f"User-agent: *\nAllow: /\nSitemap: {self.base}{where}\n", TEXT)
        if req.path == "/":
            links = "".join(
                f'<a href="{self.path(e)}">{escape(e.title)}</a> ' for e in self.cat.present("photo")[:5]
            )
            return Reply(200, page("Photos", f"<h1>Newest photos</h1><p>{links}</p>"))
        if req.path == "/sitemap-images.xml" and not self.per_file:
            return self.images(self.cat.listed("photo"))
        if req.path == "/sitemaps/index.xml" and self.per_file:
            count = len(chunks(self.cat.listed("photo"), self.per_file))
            return sitemap_index([self.url(f"/sitemaps/images-{n}.xml") for n in range(1, count + 1)])
        if (m := PART.match(req.path)) and self.per_file:
            part = page_of(self.cat.listed("photo"), self.per_file, int(m.group(1)))
            return self.images(part[0]) if part else MISSING
        if m := PHOTO.match(req.path):
            e = self.cat.get("photo", int(m.group(1)))
            if e is None or req.path != self.path(e):
                return MISSING
            if e.removed:
                return Reply(
                    410 if e.id in self.gone_410 else 404, "<html><body>This photo is gone.</body></html>"
                )
            return self.photo(e)
        return MISSING

    def images(self, photos: list[Entry]) -> Reply:
        return urlset(
            (
                f"<url><loc>{self.url(self.path(e))}</loc><image:image><image:loc>{self.base}/img/{e.id}.jpg"
                "</image:loc></image:image></url>\n"
                for e in photos
            ),
            image=True,
        )

    def photo(self, e: Entry) -> Reply:
        url = self.url(self.path(e))
        body = (
            f'<h1 class="title">{escape(e.title)}</h1><img src="/img/{e.id}.jpg" alt="">'
            f'<p class="stats"><span class="views">{e.views:,}</span> views · by '
            f'<a class="author" href="/u/{e.uploader}">{escape(e.uploader)}</a></p>'
        )
        head = f'<link rel="canonical" href="{url}">' + json_ld(photo_ld(url, e, base=self.base))
        return Reply(200, page(e.title, body, head=head))
