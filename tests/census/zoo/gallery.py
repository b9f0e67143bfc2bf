"""A photo gallery script (albums of photos), laid out like the classic PHP galleries.

An album list ``/albums/?page=N``; album pages ``/album/<id>-<slug>/`` (an ImageGallery in JSON-LD with
``numberOfItems``) show their photos' thumbnails, over several pages (``?page=2``, ``rel=next``) when an
album is large; photo pages ``/photo/<id>/`` carry an ImageObject and "Views: 1,234". No sitemap. An
album still links a few photos whose page now answers 410 Gone.
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
    escape,
    json_ld,
    page,
    page_of,
    photo_ld,
)

ALBUM = re.compile(r"^/album/(\d+)-[a-z0-9-]*/$")
PHOTO = re.compile(r"^/photo/(\d+)/$")


class GalleryScript(ZooSite):
    name = "gallery"
    adapter = "gallery.yaml"

    def __init__(self, seed: int) -> None:
        super().__init__(seed)
        rng = self.rng
        self.cat = Catalogue(rng, galleries=(4, 12))
        self.per_page = rng.randint(3, 6)
        self.per_album_page = rng.randint(3, 8)
        self.cat.remove_some("photo", 0.08, stale=True)  # still linked from their album: 410
        self.cat.remove_some("gallery", 0.1, stale=False)

    def truth(self, adapter: bool) -> dict[str, int]:
        truth = self.cat.truth(seen_removed=0)
        # photos of a removed album are gone with it (unreachable); the catalogue still holds them
        hidden = [
            p for g in self.cat.all("gallery") if g.removed for p in self.album_photos(g) if not p.removed
        ]
        truth["photos"] -= len(hidden)
        return truth

    def album_path(self, g: Entry) -> str:
        return f"/album/{g.id}-{g.slug}/"

    def album_photos(self, g: Entry) -> list[Entry]:
        photos = [self.cat.get("photo", pid) for pid in g.photos]
        return [p for p in photos if p is not None and (not p.removed or p.stale)]

    def route(self, req: Request) -> Reply:
        if req.path == "/robots.txt":
            return Reply(200, "User-agent: *\nDisallow: /admin/\nDisallow: /search.php\n", TEXT)
        if req.path == "/":
            featured = "".join(self.album_card(g) for g in self.cat.present("gallery")[:3])
            return Reply(200, self.chrome("Gallery", f'<div class="featured">{featured}</div>'))
        if req.path == "/albums/":
            return self.albums(req.page() or 0)
        if m := ALBUM.match(req.path):
            g = self.cat.get("gallery", int(m.group(1)))
            if g is None or g.removed or req.path != self.album_path(g):
                return MISSING
            return self.album(g, req.page() or 0)
        if m := PHOTO.match(req.path):
            p = self.cat.get("photo", int(m.group(1)))
            if p is None:
                return MISSING
            album = self.cat.get("gallery", p.gallery or 0)
            if p.removed or album is None or album.removed:
                return Reply(
                    410, "<html><head><title>Gone</title></head><body>This photo was deleted.</body>"
                )
            return self.photo(p)
        return MISSING

    def chrome(self, title: str, body: str, head: str = "") -> str:
        nav = (
            '<div id="menu"><a href="/">Home</a> | <a href="/albums/">Albums</a> | '
            '<a href="/search.php">Search</a></div>'
        )
        return page(title, nav + body, head=head)

    def album_card(self, g: Entry) -> str:
        return (
            f'<div class="album-card"><a href="{self.album_path(g)}"><img src="/data/thumbs/a{g.id}.jpg" '
            f'alt=""></a><span class="name">{escape(g.title)}</span>'
            f'<span class="count">{len(self.album_photos(g))} photos</span></div>'
        )

    def albums(self, number: int) -> Reply:
        shown = page_of(self.cat.present("gallery"), self.per_page, number)
        if shown is None:
            return MISSING
        more = f'<a rel="next" href="/albums/?page={number + 1}">Next »</a>' if shown[1] else ""
        cards = "".join(self.album_card(g) for g in shown[0])
        return Reply(
            200, self.chrome("Albums", f'<div class="albums">{cards}</div><p class="pages">{more}</p>')
        )

    def album(self, g: Entry, number: int) -> Reply:
        photos = self.album_photos(g)
        shown = page_of(photos, self.per_album_page, number)
        if shown is None:
            return MISSING
        url = self.url(self.album_path(g))
        ld = {
            "@context": "https://schema.org",
            "@type": "ImageGallery",
            "name": g.title,
            "url": url,
            "numberOfItems": len(photos),
            "dateCreated": g.uploaded.isoformat(),
            "author": {"@type": "Person", "name": g.uploader},
            "interactionStatistic": {
                "@type": "InteractionCounter",
                "interactionType": "https://schema.org/ViewAction",
                "userInteractionCount": g.views,
            },
        }
        nxt = f"{self.album_path(g)}?page={number + 1}" if shown[1] else None
        head = f'<link rel="canonical" href="{url}">' + json_ld(ld)
        head += f'<link rel="next" href="{nxt}">' if nxt else ""
        thumbs = "".join(
            f'<a class="photo" href="/photo/{p.id}/"><img src="/data/t/{p.id}.jpg" alt=""></a>'
            for p in shown[0]
        )
        body = (
            f'<h1>{escape(g.title)}</h1><div class="info">Added <time datetime="{g.uploaded.isoformat()}">'
            f'{g.uploaded:%d.%m.%Y}</time> · <span class="count">{len(photos)} photos</span></div>'
            f'<div class="thumbs">{thumbs}</div>'
        )
        return Reply(200, self.chrome(g.title, body, head))

    def photo(self, p: Entry) -> Reply:
        url = self.url(f"/photo/{p.id}/")
        album = self.cat.get("gallery", p.gallery or 0)
        back = f'<a class="album" href="{self.album_path(album)}">Back to album</a>' if album else ""
        body = (
            f'<h1>{escape(p.title)}</h1><div class="image"><img src="/data/full/{p.id}.jpg" alt=""></div>'
            f'<div class="meta">Views: <span class="views">{p.views:,}</span> · '
            f'<time datetime="{p.uploaded.isoformat()}">{p.uploaded:%d.%m.%Y}</time></div>{back}'
        )
        head = f'<link rel="canonical" href="{url}">' + json_ld(photo_ld(url, p, base=self.base))
        return Reply(200, self.chrome(p.title, body, head))
