"""The ``schema`` flavour: schema.org JSON-LD and microdata, OpenGraph, ``rel=next``."""

from __future__ import annotations

from collections.abc import Iterable
from html import escape

from unmask.demo import store
from unmask.demo.formatting import iso_duration, json_ld, page_number, paged_url
from unmask.demo.platform import PAGE_SIZES, Album, Kind, Person, Photo, Uploader, Video, page_count, paginate
from unmask.demo.render import SITE_NAME, Flavour, Renderer, Response, not_found


class SchemaRenderer(Renderer):
    """Standards only: schema.org JSON-LD and microdata, OpenGraph, ``rel=next``; no site-specific classes."""

    flavour: Flavour = "schema"
    nav = (("/browse/videos", "Videos"), ("/browse/photos", "Photos"), ("/browse/albums", "Albums"))

    def person_ld(self, person: Person, base: str) -> dict[str, str]:
        return {"@type": "Person", "name": person.name, "url": f"{base}/model/{person.slug}"}

    def uploader_ld(self, uploader: Uploader, base: str) -> dict[str, str]:
        return {"@type": "Person", "name": uploader.name, "url": f"{base}/user/{uploader.slug}"}

    @staticmethod
    def views_ld(views: int, action: str) -> dict[str, object]:
        return {
            "@type": "InteractionCounter",
            "interactionType": {"@type": action},
            "userInteractionCount": views,
        }

    @staticmethod
    def og(title: str, og_type: str, url: str, media: Iterable[tuple[str, str]]) -> str:
        lines = [
            f'<link rel="canonical" href="{url}">',
            f'<meta property="og:title" content="{escape(title)}">',
            f'<meta property="og:type" content="{og_type}">',
            f'<meta property="og:url" content="{url}">',
            f'<meta property="og:site_name" content="{SITE_NAME}">',
            *(f'<meta property="og:{prop}" content="{value}">' for prop, value in media),
        ]
        return "\n".join(lines) + "\n"

    def links_page(
        self,
        title: str,
        path: str,
        numbers: tuple[int, int, int],
        links: list[tuple[str, str]],
        base: str,
        extra: str = "",
    ) -> bytes:
        """A listing: ``link rel=prev/next`` in the head, a JSON-LD ItemList, plain links in the body.

        ``numbers`` is (this page, number of pages, items per page).
        """
        page, pages, per_page = numbers
        head = [f'<link rel="canonical" href="{base}{paged_url(path, page)}">']
        nav = []
        if page > 1:
            head.append(f'<link rel="prev" href="{paged_url(path, page - 1)}">')
            nav.append(f'<a rel="prev" href="{paged_url(path, page - 1)}">Previous page</a>')
        if page < pages:
            head.append(f'<link rel="next" href="{paged_url(path, page + 1)}">')
            nav.append(f'<a rel="next" href="{paged_url(path, page + 1)}">Next page</a>')
        first = (page - 1) * per_page
        item_list = {
            "@context": "https://schema.org",
            "@type": "ItemList",
            "itemListElement": [
                {"@type": "ListItem", "position": first + i + 1, "url": base + href}
                for i, (href, _) in enumerate(links)
            ],
        }
        head.append(json_ld(item_list))
        items = "\n".join(f'<li><a href="{href}">{escape(text)}</a></li>' for href, text in links)
        body = f"<h1>{escape(title)}</h1>\n{extra}<ul>\n{items}\n</ul>\n<p>{' '.join(nav)}</p>"
        if page == 1:  # the app banner on the first page of every listing, as on the home page
            body = f"{body}\n{store.banner_html()}"
        suffix = "" if page == 1 else f" – page {page}"
        return self.page(title + suffix, body, "\n".join(head) + "\n", ad=f"listing-{page % 7}")

    def listing(self, kind: Kind, query: bytes, base: str) -> Response:
        page = page_number(query)
        if page is None:
            return not_found("listing")
        links: list[tuple[str, str]] | None
        if kind == "videos":
            videos = self.platform.video_page(page)
            links = None if videos is None else [(f"/video/{v.id}/{v.slug}", v.title) for v in videos]
        elif kind == "photos":
            photos = self.platform.photo_page(page)
            links = None if photos is None else [(f"/photo/{p.id}", p.title) for p in photos]
        else:
            albums = self.platform.album_page(page)
            links = None if albums is None else [(f"/album/{a.id}/{a.slug}", a.title) for a in albums]
        if links is None:
            return not_found("listing")
        pages = self.platform.page_count(kind)
        body = self.links_page(
            kind.capitalize(), f"/browse/{kind}", (page, pages, PAGE_SIZES[kind]), links, base
        )
        return Response(200, "listing", body)

    def home(self) -> Response:
        links = "".join(f'<li><a href="{href}">{label}</a></li>' for href, label in self.nav)
        body = f"{store.banner_html()}\n<h1>{SITE_NAME}</h1>\n<ul>{links}</ul>"
        return Response(200, "page", self.page("Home", body))

    def video_page(self, video: Video, base: str) -> Response:
        v = video
        url = f"{base}/video/{v.id}/{v.slug}"
        thumb, content = f"{base}/media/thumbs/v{v.id}.jpg", f"{base}/media/videos/{v.id}.mp4"
        data = {
            "@context": "https://schema.org",
            "@type": "VideoObject",
            "@id": url,
            "url": url,
            "name": v.title,
            "description": f"{v.title}. A {v.category.lower()} video.",
            "duration": iso_duration(v.duration),
            "uploadDate": v.upload_date.isoformat(),
            "thumbnailUrl": thumb,
            "contentUrl": content,
            "embedUrl": f"{base}/embed/{v.id}",
            "interactionStatistic": self.views_ld(v.views, "WatchAction"),
            "author": self.uploader_ld(v.uploader, base),
            "actor": [self.person_ld(p, base) for p in v.persons],
            "keywords": ", ".join(v.tags),
            "genre": v.category,
        }
        head = self.og(
            v.title, "video.other", url, (("image", thumb), ("video", content), ("video:type", "video/mp4"))
        )
        body = (
            f"<article>\n<h1>{escape(v.title)}</h1>\n"
            f'<video poster="/media/thumbs/v{v.id}.jpg" controls><source src="/media/videos/{v.id}.mp4"'
            ' type="video/mp4"></video>\n'
            f"<p>{escape(v.title)}. A {escape(v.category.lower())} video.</p>\n</article>"
        )
        return Response(200, "item", self.page(v.title, body, head + json_ld(data) + "\n", ad="item"))

    def _person_microdata(self, prop: str, person: Person | Uploader, path: str, base: str) -> str:
        return (
            f'<span itemprop="{prop}" itemscope itemtype="https://schema.org/Person">'
            f'<a itemprop="url" href="{base}/{path}/{person.slug}">'
            f'<span itemprop="name">{escape(person.name)}</span></a></span>'
        )

    def photo_page(self, photo: Photo, base: str) -> Response:
        p, album = photo, self._album_of(photo)
        url, image = f"{base}/photo/{p.id}", f"{base}/media/photos/{p.id}.jpg"
        about = ", ".join(self._person_microdata("about", person, "model", base) for person in p.persons)
        author = self._person_microdata("author", p.uploader, "user", base)
        body = "\n".join(
            [
                '<article itemscope itemtype="https://schema.org/ImageObject">',
                f'<h1 itemprop="name">{escape(p.title)}</h1>',
                f'<link itemprop="url" href="{url}">',
                f'<img itemprop="contentUrl" src="{image}" alt="">',
                f'<meta itemprop="uploadDate" content="{p.upload_date.isoformat()}">',
                f"<p>Uploaded {p.upload_date:%d %B %Y} by {author}</p>",
                f"<p>Shows {about}</p>",
                '<p itemprop="interactionStatistic" itemscope itemtype="https://schema.org/InteractionCounter">'
                '<link itemprop="interactionType" href="https://schema.org/ViewAction">'
                f'<span itemprop="userInteractionCount">{p.views}</span> views</p>',
                '<p>In the album <span itemprop="isPartOf" itemscope itemtype="https://schema.org/ImageGallery">'
                f'<a itemprop="url" href="{base}/album/{album.id}/{album.slug}">'
                f'<span itemprop="name">{escape(album.title)}</span></a></span></p>',
                "</article>",
            ]
        )
        head = self.og(p.title, "website", url, (("image", image),))
        return Response(200, "item", self.page(p.title, body, head, ad="item"))

    def album_page(self, album: Album, base: str) -> Response:
        a = album
        url = f"{base}/album/{a.id}/{a.slug}"
        photos = [photo for pid in a.photo_ids if (photo := self.platform.photo(pid)) is not None]
        data = {
            "@context": "https://schema.org",
            "@type": "ImageGallery",
            "@id": url,
            "url": url,
            "name": a.title,
            "datePublished": a.upload_date.isoformat(),
            "uploadDate": a.upload_date.isoformat(),
            "author": self.uploader_ld(a.uploader, base),
            "about": [self.person_ld(p, base) for p in a.persons],
            "interactionStatistic": self.views_ld(a.views, "ViewAction"),
            "associatedMedia": [
                {
                    "@type": "ImageObject",
                    "url": f"{base}/photo/{p.id}",
                    "contentUrl": f"{base}/media/photos/{p.id}.jpg",
                    "name": p.title,
                }
                for p in photos
            ],
        }
        cover = (("image", f"{base}/media/photos/{photos[0].id}.jpg"),) if photos else ()
        head = self.og(a.title, "website", url, cover)
        grid = "\n".join(
            f'<a href="/photo/{p.id}"><img src="/media/photos/{p.id}.jpg" alt=""></a>' for p in photos
        )
        body = f"<h1>{escape(a.title)}</h1>\n<div>\n{grid}\n</div>"
        return Response(200, "item", self.page(a.title, body, head + json_ld(data) + "\n", ad="item"))

    def person_page(self, person: Person, query: bytes, base: str) -> Response:
        videos = self.platform.videos_of_person(person)
        page = page_number(query)
        chunk = None if page is None else paginate(videos, page, PAGE_SIZES["videos"])
        if page is None or chunk is None:
            return not_found("model")
        data = {
            "@context": "https://schema.org",
            "@type": "Person",
            "name": person.name,
            "url": f"{base}/model/{person.slug}",
            "description": person.kind,
        }
        links = [(f"/video/{v.id}/{v.slug}", v.title) for v in chunk]
        per_page = PAGE_SIZES["videos"]
        numbers = (page, page_count(len(videos), per_page), per_page)
        body = self.links_page(
            person.name, f"/model/{person.slug}", numbers, links, base, json_ld(data) + "\n"
        )
        return Response(200, "model", body)

    def user_page(self, uploader: Uploader, base: str) -> Response:
        counts = self.platform.uploader_counts(uploader)
        data = self.uploader_ld(uploader, base) | {"@context": "https://schema.org"}
        text = ", ".join(f"{n} {kind}" for kind, n in counts.items())
        body = f"<h1>{escape(uploader.name)}</h1>\n{json_ld(data)}\n<p>{text}</p>"
        return Response(200, "user", self.page(uploader.name, body))
