"""A WordPress site with a video theme.

Posts at ``/?p=123`` (plain permalinks) or ``/2024/05/slug/`` (date permalinks), by seed; the home page and
category archives ``/category/<slug>/page/2/`` list cards whose links say nothing about the kind of item;
WordPress's own sitemaps (``wp-sitemap.xml`` → ``wp-sitemap-posts-post-1.xml``, pages, categories, users)
with nothing but ``<loc>``. A post page has the SEO plugin's JSON-LD ``@graph`` (WebSite, WebPage and
the VideoObject). Trashed posts vanish and answer 404.
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
    fmt_views_short,
    json_ld,
    page,
    page_of,
    sitemap_index,
    urlset,
    video_ld,
)
from unmask.demo.names import slugify

CATEGORIES = ("amateur", "compilation", "interview", "behind-the-scenes", "music")
HOME = re.compile(r"^/(?:page/(\d+)/)?$")
CATEGORY = re.compile(r"^/category/([a-z-]+)/(?:page/(\d+)/)?$")
DATED = re.compile(r"^/(\d{4})/(\d{2})/([a-z0-9-]+)/$")
POSTS_MAP = re.compile(r"^/wp-sitemap-posts-post-(\d+)\.xml$")


class WordPressTheme(ZooSite):
    name = "wordpress"
    adapter = "wordpress.yaml"

    def __init__(self, seed: int) -> None:
        super().__init__(seed)
        rng = self.rng
        self.cat = Catalogue(rng, videos=(15, 50))
        self.permalinks = rng.choice(["plain", "date"])
        self.per_page = rng.randint(4, 10)
        self.rel_next = rng.random() < 0.5
        self.categories = rng.sample(CATEGORIES, rng.randint(2, 4))
        self.category = {e.id: rng.choice(self.categories) for e in self.cat.all("video")}
        self.cat.remove_some("video", 0.1, stale=False)

    def truth(self, adapter: bool) -> dict[str, int]:
        return self.cat.truth(seen_removed=0)

    def post_path(self, e: Entry) -> str:
        if self.permalinks == "plain":
            return f"/?p={e.id}"
        return f"/{e.uploaded:%Y}/{e.uploaded:%m}/{e.slug}-{e.id}/"

    def category_of(self, e: Entry) -> str:
        return self.category.setdefault(e.id, self.categories[e.id % len(self.categories)])

    def route(self, req: Request) -> Reply:
        if req.path == "/robots.txt":
            return Reply(
                200,
                "User-agent: *\nDisallow: /wp-admin/\nAllow: /wp-admin/admin-ajax.php\n\n"
                f"Sitemap: {self.base}/wp-sitemap.xml\n",
                TEXT,
            )
        if req.path == "/" and "p" in req.query:
            e = self.cat.get("video", int(req.query["p"])) if req.query["p"].isdigit() else None
            return self.post(e) if e is not None and not e.removed and self.permalinks == "plain" else MISSING
        if m := HOME.match(req.path):
            return self.archive(self.cat.present("video"), "/", int(m.group(1) or 1), "Latest videos")
        if m := CATEGORY.match(req.path):
            posts = [e for e in self.cat.present("video") if self.category_of(e) == m.group(1)]
            return self.archive(posts, f"/category/{m.group(1)}/", int(m.group(2) or 1), m.group(1))
        if m := DATED.match(req.path):
            pid = m.group(3).rsplit("-", 1)[-1]
            e = self.cat.get("video", int(pid)) if pid.isdigit() else None
            ok = (
                e is not None
                and not e.removed
                and self.permalinks == "date"
                and req.path == self.post_path(e)
            )
            return self.post(e) if ok and e is not None else MISSING
        if req.path in ("/about/", "/contact/"):
            return Reply(200, self.chrome(req.path.strip("/"), "<p>A video blog.</p>"))
        if req.path.startswith("/author/"):
            return Reply(200, self.chrome("author", "<p>Posts by this author.</p>"))
        return self.sitemaps(req.path)

    def chrome(self, title: str, body: str, head: str = "") -> str:
        menu = "".join(f'<li><a href="/category/{c}/">{c.title()}</a></li>' for c in self.categories)
        nav = f'<nav class="main-navigation"><ul><li><a href="/">Home</a></li>{menu}</ul></nav>'
        footer = '<footer><a href="/about/">About</a> <a href="/contact/">Contact</a></footer>'
        return page(f"{title} – Video Blog", f"{nav}<main>{body}</main>{footer}", head=head)

    def card(self, e: Entry) -> str:
        href = self.post_path(e)
        return (
            f'<article id="post-{e.id}" class="post-{e.id} post type-post format-video has-post-thumbnail">'
            f'<a href="{href}" title="{escape(e.title)}"><div class="post-thumbnail">'
            f'<img src="/wp-content/uploads/{e.uploaded:%Y/%m}/{e.id}-320x180.jpg" alt=""></div></a>'
            f'<header class="entry-header"><span class="views"><i class="fa fa-eye"></i> '
            f'{fmt_views_short(e.views)}</span><span class="duration">{fmt_duration(e.duration or 0)}</span>'
            f'<h2 class="entry-title"><a href="{href}" rel="bookmark">{escape(e.title)}</a></h2></header>'
            "</article>"
        )

    def archive(self, posts: list[Entry], base: str, number: int, title: str) -> Reply:
        shown = page_of(posts, self.per_page, number)
        if shown is None:
            return MISSING
        nxt = f"{base}page/{number + 1}/" if shown[1] else None
        head = f'<link rel="next" href="{self.url(nxt)}">' if nxt and self.rel_next else ""
        more = (
            f'<div class="pagination"><a class="next page-numbers" href="{nxt}">Next</a></div>' if nxt else ""
        )
        cards = "".join(self.card(e) for e in shown[0])
        return Reply(200, self.chrome(title, f'<div class="videos-list">{cards}</div>{more}', head))

    def post(self, e: Entry) -> Reply:
        url = self.url(self.post_path(e))
        video = video_ld(url, e, base=self.base, extra={"@id": url + "#video"})
        del video["@context"]
        graph = {
            "@context": "https://schema.org",
            "@graph": [
                {
                    "@type": "WebSite",
                    "@id": self.url("/#website"),
                    "url": self.url("/"),
                    "name": "Video Blog",
                },
                {
                    "@type": "WebPage",
                    "@id": url,
                    "url": url,
                    "name": e.title,
                    "isPartOf": {"@id": "/#website"},
                },
                video,
            ],
        }
        actors = ", ".join(f'<a href="/actor/{slugify(p)}/" rel="tag">{escape(p)}</a>' for p in e.persons)
        body = (
            f'<article class="post"><h1 class="entry-title">{escape(e.title)}</h1>'
            f'<div id="video-views"><span>{e.views:,}</span> views</div>'
            f'<div class="video-infos"><span class="duration">{fmt_duration(e.duration or 0)}</span> '
            f'<time class="entry-date" datetime="{e.uploaded.isoformat()}">{e.uploaded:%B %d, %Y}</time>'
            "</div>"
            f'<div class="video-player"><iframe src="/wp-content/plugins/player/embed.php?id={e.id}">'
            f'</iframe></div><div class="actors">Actors: {actors}</div>'
            f'<a href="/category/{self.category_of(e)}/" rel="category tag">{self.category_of(e)}</a>'
            "</article>"
        )
        head = f'<link rel="canonical" href="{url}">' + json_ld(graph)
        return Reply(200, self.chrome(e.title, body, head))

    def sitemaps(self, path: str) -> Reply:
        posts = self.cat.present("video")
        per = 20
        if path == "/wp-sitemap.xml":
            names = [f"wp-sitemap-posts-post-{n}.xml" for n in range(1, len(chunks(posts, per)) + 1)]
            names += [
                "wp-sitemap-posts-page-1.xml",
                "wp-sitemap-taxonomies-category-1.xml",
                "wp-sitemap-users-1.xml",
            ]
            return sitemap_index([self.url("/" + n) for n in names])
        if m := POSTS_MAP.match(path):
            part = page_of(posts, per, int(m.group(1)))
            if part is None:
                return MISSING
            return urlset(
                f"<url><loc>{escape(self.url(self.post_path(e)))}</loc><lastmod>{e.uploaded.isoformat()}</lastmod></url>\n"
                for e in part[0]
            )
        if path == "/wp-sitemap-posts-page-1.xml":
            return urlset(f"<url><loc>{self.url(p)}</loc></url>\n" for p in ("/about/", "/contact/"))
        if path == "/wp-sitemap-taxonomies-category-1.xml":
            return urlset(f"<url><loc>{self.url(f'/category/{c}/')}</loc></url>\n" for c in self.categories)
        if path == "/wp-sitemap-users-1.xml":
            return urlset([f"<url><loc>{self.url('/author/admin/')}</loc></url>\n"])
        return MISSING
