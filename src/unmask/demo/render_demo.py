"""The ``demo`` flavour: the platform's own HTML layout, read by the bundled site adapter."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from html import escape

from unmask.demo import names, store
from unmask.demo.formatting import fmt_duration, fmt_views_short, page_number, paged_url
from unmask.demo.platform import (
    PAGE_SIZES,
    Album,
    DemoPlatform,
    Item,
    Kind,
    Person,
    Photo,
    Uploader,
    Video,
    page_count,
    paginate,
)
from unmask.demo.render import Flavour, Renderer, Response, not_found


class DemoRenderer(Renderer):
    """The platform's own layout (``article.card``, ``dl.meta``, ``nav.pagination``)."""

    flavour: Flavour = "demo"

    def __init__(self, platform: DemoPlatform) -> None:
        super().__init__(platform)
        self._person_html = [
            f'<a class="model {p.kind}" href="/model/{p.slug}">{escape(p.name)}</a>'
            for p in platform.persons()
        ]
        self._uploader_html = [
            f'<a class="uploader" href="/user/{u.slug}">{escape(u.name)}</a>' for u in platform.uploaders()
        ]

    def models_html(self, persons: Iterable[Person], indent: str = "  ") -> str:
        anchors = "\n".join(f"{indent}  {self._person_html[p.id - 1]}" for p in persons)
        return f'{indent}<div class="models">\n{anchors}\n{indent}</div>'

    def uploader_html(self, uploader: Uploader) -> str:
        return self._uploader_html[uploader.id - 1]

    # cards

    def _card_meta(self, item: Item, parts: list[str]) -> None:
        missing = item.missing
        if missing != "views":
            parts.append(f'  <span class="views">{fmt_views_short(item.views)} views</span>')
        if missing != "upload_date":
            parts.append("  " + self.time_html(item.upload_date))
        if missing != "uploader":
            parts.append("  " + self.uploader_html(item.uploader))
        if missing != "persons" and item.persons:
            parts.append(self.models_html(item.persons))
        parts.append("</article>")

    def _card(
        self,
        kind: str,
        item: Item,
        href: str,
        thumb: str,
        middle: Sequence[str] = (),
        end: Sequence[str] = (),
    ) -> str:
        parts = [
            f'<article class="card {kind}-card" data-id="{item.id}">',
            f'  <a class="thumb" href="{href}"><img src="/media/thumbs/{thumb}" alt=""></a>',
            *middle,
            f'  <h3 class="card-title"><a href="{href}?ref=listing">{escape(item.title)}</a></h3>',
            *end,
        ]
        self._card_meta(item, parts)
        return "\n".join(parts)

    def video_card(self, v: Video) -> str:
        preview = f'  <video class="preview" src="/media/previews/{v.id}.mp4" muted></video>'
        duration = (
            [] if v.missing == "duration" else [f'  <span class="duration">{fmt_duration(v.duration)}</span>']
        )
        return self._card("video", v, f"/video/{v.id}/{v.slug}", f"v{v.id}.jpg", [preview], duration)

    def photo_card(self, p: Photo) -> str:
        album = self._album_of(p)
        link = f'  <a class="album" href="/album/{album.id}/{album.slug}">{escape(album.title)}</a>'
        return self._card("photo", p, f"/photo/{p.id}", f"p{p.id}.jpg", end=[link])

    def album_card(self, a: Album) -> str:
        count = f'  <span class="count">{a.photo_count} photos</span>'
        return self._card("album", a, f"/album/{a.id}/{a.slug}", f"a{a.id}.jpg", end=[count])

    # listings

    def pagination(self, path: str, page: int, pages: int) -> str:
        links = []
        if page > 1:
            links.append(f'<a rel="prev" href="{paged_url(path, page - 1)}">Previous</a>')
        if page < pages:
            links.append(f'<a rel="next" href="{paged_url(path, page + 1)}">Next</a>')
        return f'<nav class="pagination">{" ".join(links)}</nav>'

    def cards_page(
        self, title: str, heading: str, cards: list[str], path: str, page: int, pages: int
    ) -> bytes:
        suffix = "" if page == 1 else f" – page {page}"
        body = (
            f'{heading}\n<section class="cards">\n' + "\n".join(cards) + "\n</section>\n"
            f"{self.pagination(path, page, pages)}"
        )
        if page == 1:  # the app banner on the first page of every listing, as on the home page
            body = f"{store.banner_html()}\n{body}"
        return self.page(title + suffix, body, ad=f"listing-{page % 7}")

    def listing(self, kind: Kind, query: bytes, base: str) -> Response:
        page = page_number(query)
        if page is None:
            return not_found("listing")
        cards: list[str] | None
        if kind == "videos":
            videos = self.platform.video_page(page)
            cards = None if videos is None else [self.video_card(v) for v in videos]
        elif kind == "photos":
            photos = self.platform.photo_page(page)
            cards = None if photos is None else [self.photo_card(p) for p in photos]
        else:
            albums = self.platform.album_page(page)
            cards = None if albums is None else [self.album_card(a) for a in albums]
        if cards is None:
            return not_found("listing")
        title = kind.capitalize()
        heading = f'<h1 class="listing-title">{title}</h1>'
        body = self.cards_page(title, heading, cards, f"/{kind}", page, self.platform.page_count(kind))
        return Response(200, "listing", body)

    def video_cards_page(
        self, kind: str, videos: Sequence[Video], query: bytes, path: str, title: str, heading: str
    ) -> Response:
        """A paginated page of video cards (a person's, a tag's, a category's)."""
        page = page_number(query)
        chunk = None if page is None else paginate(videos, page, PAGE_SIZES["videos"])
        if page is None or chunk is None:
            return not_found(kind)
        pages = page_count(len(videos), PAGE_SIZES["videos"])
        body = self.cards_page(title, heading, [self.video_card(v) for v in chunk], path, page, pages)
        return Response(200, kind, body)

    def home(self) -> Response:
        videos = self.platform.video_page(1) or []
        cards = [self.video_card(v) for v in videos[:12]]
        body = store.banner_html() + "\n"
        body += '<h1 class="listing-title">Latest videos</h1>\n<section class="cards">\n' + "\n".join(cards)
        body += '\n</section>\n<p class="more"><a href="/videos">All videos</a></p>'
        return Response(200, "page", self.page("Home", body))

    # item pages

    def _meta_rows(self, item: Item) -> list[str]:
        u = item.uploader
        return [
            f'  <dt>Views</dt><dd class="views">{item.views:,}</dd>',
            f'  <dt>Added</dt><dd class="added">{self.time_html(item.upload_date)}</dd>',
            f"  <dt>Uploaded by</dt><dd>{self.uploader_html(u)}</dd>",
        ]

    def video_page(self, video: Video, base: str) -> Response:
        v = video
        meta = [
            f'  <dt>Duration</dt><dd class="duration">{fmt_duration(v.duration)}</dd>',
            *self._meta_rows(v),
        ]
        tags = "".join(f'<li><a class="tag" href="/tag/{escape(t)}">{escape(t)}</a></li>' for t in v.tags)
        category = escape(v.category)
        body = "\n".join(
            [
                f'<article class="item video-item" data-id="{v.id}">',
                f'<h1 class="title">{escape(v.title)}</h1>',
                f'<video poster="/media/thumbs/v{v.id}.jpg">'
                f'<source src="/media/videos/{v.id}.mp4" type="video/mp4"></video>',
                f'<a class="download" href="/stream/{v.id}">Download</a>',
                '<dl class="meta">',
                *meta,
                "</dl>",
                self.models_html(v.persons, indent=""),
                f'<ul class="tags">{tags}</ul>',
                '<ul class="categories"><li>'
                f'<a class="category" href="/category/{category.lower()}">{category}</a></li></ul>',
                "</article>",
            ]
        )
        head = f'<link rel="canonical" href="{base}/video/{v.id}/{v.slug}">\n'
        return Response(200, "item", self.page(v.title, body, head, ad="item"))

    def photo_page(self, photo: Photo, base: str) -> Response:
        p, album = photo, self._album_of(photo)
        album_link = f'<a class="album" href="/album/{album.id}/{album.slug}">{escape(album.title)}</a>'
        body = "\n".join(
            [
                f'<article class="item photo-item" data-id="{p.id}">',
                f'<h1 class="title">{escape(p.title)}</h1>',
                f'<img class="photo" src="/media/photos/{p.id}.jpg" alt="">',
                '<dl class="meta">',
                *self._meta_rows(p),
                f"  <dt>Album</dt><dd>{album_link}</dd>",
                "</dl>",
                self.models_html(p.persons, indent=""),
                "</article>",
            ]
        )
        head = f'<link rel="canonical" href="{base}/photo/{p.id}">\n'
        return Response(200, "item", self.page(p.title, body, head, ad="item"))

    def album_page(self, album: Album, base: str) -> Response:
        a = album
        grid = "\n".join(
            f'  <a class="photo" href="/photo/{pid}"><img src="/media/photos/{pid}.jpg"></a>'
            for pid in a.photo_ids
        )
        body = "\n".join(
            [
                f'<article class="item album-item" data-id="{a.id}">',
                f'<h1 class="title">{escape(a.title)}</h1>',
                '<dl class="meta">',
                f'  <dt>Photos</dt><dd class="count">{a.photo_count} photos</dd>',
                *self._meta_rows(a),
                "</dl>",
                self.models_html(a.persons, indent=""),
                f'<div class="photo-grid">\n{grid}\n</div>',
                "</article>",
            ]
        )
        head = f'<link rel="canonical" href="{base}/album/{a.id}/{a.slug}">\n'
        return Response(200, "item", self.page(a.title, body, head, ad="item"))

    def person_page(self, person: Person, query: bytes, base: str) -> Response:
        videos = self.platform.videos_of_person(person)
        heading = (
            f'<h1 class="model-name">{escape(person.name)}</h1>\n'
            f'<p class="model-info"><span class="model-kind">{person.kind}</span> · '
            f'<span class="model-count">{len(videos)} videos</span></p>'
        )
        return self.video_cards_page("model", videos, query, f"/model/{person.slug}", person.name, heading)

    def user_page(self, uploader: Uploader, base: str) -> Response:
        counts = self.platform.uploader_counts(uploader)
        total = sum(counts.values())
        body = (
            f'<h1 class="user-name">{escape(uploader.name)}</h1>\n'
            f'<p class="user-stats"><span class="count">{total} items</span></p>\n<dl class="user-counts">'
            + "".join(
                f'<dt>{kind.capitalize()}</dt><dd class="{kind}">{n}</dd>' for kind, n in counts.items()
            )
            + "</dl>"
        )
        return Response(200, "user", self.page(uploader.name, body))

    def tag_page(self, tag: str, query: bytes) -> Response:
        if tag not in names.TAGS:
            return not_found("tag")
        heading = f'<h1 class="listing-title">Tag: {escape(tag)}</h1>'
        videos = self.platform.videos_with_tag(tag)
        return self.video_cards_page("tag", videos, query, f"/tag/{tag}", f"Tag: {tag}", heading)

    def category_page(self, slug: str, query: bytes) -> Response:
        category = next((c for c in names.CATEGORIES if c.lower() == slug), None)
        if category is None:
            return not_found("tag")
        videos = self.platform.videos_in_category(category)
        heading = f'<h1 class="listing-title">{escape(category)}</h1>'
        return self.video_cards_page("tag", videos, query, f"/category/{slug}", category, heading)
