"""End to end against small hostile sites: the real CLI crawls, finishes, stores what it should, never media.

Every site is standards-based (robots.txt with a Sitemap: line, Google video sitemaps, JSON-LD
VideoObject item pages) and read by the generic extractor. Each test checks that the crawl did its
job (exit 0, a sensible run status), that what was stored is right, and that nothing stored is lost:
every frontier row settled, every fetched page pointing at a capture, every capture at a WARC record.
"""

from __future__ import annotations

import datetime as dt
import json
import signal
import sqlite3
import subprocess
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from html import escape
from pathlib import Path
from typing import Any

import pytest
from warcio.archiveiterator import ArchiveIterator

from tests.census.conftest import UNMASK, stats, unmask
from tests.helpers.hostile import (
    JPEG,
    MP4,
    Handler,
    HostileServer,
    cut_off,
    delayed,
    dribbled,
    dropping,
    gzipped,
    redirect,
    respond,
    throttled,
)
from unmask.core.config import CrawlSettings, FetchSettings
from unmask.core.fetch.policy import is_media_url, sniff_media

HTML = "text/html; charset=utf-8"
XML = "application/xml"
SETTLED = {"done", "failed", "unparsed", "refused", "disallowed", "gone", "skipped"}

# -- an invented platform ------------------------------------------------------------------------


@dataclass
class Clip:
    slug: str
    title: str
    seconds: int
    views: int
    uploaded: dt.date
    uploader: str
    actors: tuple[str, ...]
    tags: tuple[str, ...] = ("invented", "synthetic")

    @property
    def path(self) -> str:
        return f"/video/{self.slug}"


def make_clips(n: int, prefix: str = "clip") -> list[Clip]:
    return [
        Clip(
            slug=f"{prefix}-{i}",
            title=f"Invented {prefix} number {i}",
            seconds=60 + 37 * i,
            views=1000 + 11 * i,
            uploaded=dt.date(2024, 1, 1) + dt.timedelta(days=3 * i),
            uploader=f"Uploader Quill {i % 4}",
            actors=(f"Performer Ostra {i % 5}", f"Performer Veln {i % 3}"),
        )
        for i in range(n)
    ]


def slug_of(name: str) -> str:
    return "-".join(name.lower().split())


def person_ld(base: str, name: str, folder: str) -> dict[str, str]:
    return {"@type": "Person", "name": name, "url": f"{base}/{folder}/{slug_of(name)}"}


def video_ld(base: str, c: Clip) -> dict[str, Any]:
    url = base + c.path
    return {
        "@context": "https://schema.org",
        "@type": "VideoObject",
        "@id": url,
        "url": url,
        "name": c.title,
        "duration": f"PT{c.seconds // 60}M{c.seconds % 60}S",
        "uploadDate": c.uploaded.isoformat(),
        "thumbnailUrl": f"{base}/media/thumbs/{c.slug}.jpg",
        "contentUrl": f"{base}/media/videos/{c.slug}.mp4",
        "interactionStatistic": {
            "@type": "InteractionCounter",
            "interactionType": {"@type": "WatchAction"},
            "userInteractionCount": c.views,
        },
        "author": person_ld(base, c.uploader, "user"),
        "actor": [person_ld(base, a, "model") for a in c.actors],
        "keywords": ", ".join(c.tags),
    }


def json_ld(data: object) -> str:
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":")).replace("<", "\\u003c")
    return f'<script type="application/ld+json">{text}</script>'


def item_page(base: str, c: Clip, *, head: str = "", body: str = "", ld: str | None = None) -> str:
    """An item page: canonical link, JSON-LD VideoObject, a title, optional extra markup."""
    return (
        "<!DOCTYPE html>\n<html><head>"
        f"{head}<title>{escape(c.title)}</title>\n"
        f'<link rel="canonical" href="{base}{c.path}">\n'
        f"{json_ld(video_ld(base, c)) if ld is None else ld}\n"
        f"</head><body><h1>{escape(c.title)}</h1>\n{body}\n</body></html>\n"
    )


def listing_page(
    base: str, clips: Iterable[Clip], *, next_path: str | None = None, describe: bool = False, body: str = ""
) -> str:
    """A listing: a JSON-LD ItemList (items described in full or as links), anchors, rel=next."""
    clips = list(clips)
    elements = [
        {"@type": "ListItem", "position": i + 1, "item": video_ld(base, c)}
        if describe
        else {"@type": "ListItem", "position": i + 1, "url": base + c.path}
        for i, c in enumerate(clips)
    ]
    item_list = {"@context": "https://schema.org", "@type": "ItemList", "itemListElement": elements}
    head = f'<link rel="next" href="{next_path}">' if next_path else ""
    anchors = "\n".join(f'<li><a href="{c.path}">{escape(c.title)}</a></li>' for c in clips)
    more = f'<a rel="next" href="{next_path}">Next</a>' if next_path else ""
    return (
        f"<!DOCTYPE html>\n<html><head><title>Videos</title>{head}\n{json_ld(item_list)}</head>"
        f"<body><ul>\n{anchors}\n</ul>{body}<p>{more}</p></body></html>\n"
    )


def home_page(links: Iterable[str] = ()) -> str:
    anchors = "".join(f'<li><a href="{href}">{escape(href)}</a></li>' for href in links)
    head = "<!DOCTYPE html>\n<html><head><title>Invented site</title></head>"
    return f"{head}<body><ul>{anchors}</ul></body></html>"


def robots_txt(base: str, sitemaps: Iterable[str] = ("/sitemap.xml",)) -> str:
    lines = ["User-agent: *", "Allow: /", ""]
    lines += [f"Sitemap: {base}{path}" for path in sitemaps]
    return "\n".join(lines) + "\n"


SITEMAP_OPEN = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" '
    'xmlns:video="http://www.google.com/schemas/sitemap-video/1.1" '
    'xmlns:image="http://www.google.com/schemas/sitemap-image/1.1">\n'
)


def sitemap_entry(base: str, c: Clip, *, meta: bool = True, images: int = 0) -> str:
    pictures = "".join(
        f"<image:image><image:loc>{base}/media/stills/{c.slug}-{n}.jpg</image:loc></image:image>"
        for n in range(images)
    )
    if not meta:
        return f"<url><loc>{base}{c.path}</loc>{pictures}</url>\n"
    tags = "".join(f"<video:tag>{escape(t)}</video:tag>" for t in c.tags)
    return (
        f"<url><loc>{base}{c.path}</loc>{pictures}<video:video>"
        f"<video:thumbnail_loc>{base}/media/thumbs/{c.slug}.jpg</video:thumbnail_loc>"
        f"<video:title>{escape(c.title)}</video:title>"
        f"<video:description>{escape(c.title)}.</video:description>"
        f"<video:content_loc>{base}/media/videos/{c.slug}.mp4</video:content_loc>"
        f"<video:duration>{c.seconds}</video:duration>"
        f"<video:view_count>{c.views}</video:view_count>"
        f"<video:publication_date>{c.uploaded.isoformat()}</video:publication_date>"
        f'<video:uploader info="{base}/user/{slug_of(c.uploader)}">{escape(c.uploader)}</video:uploader>'
        f"{tags}</video:video></url>\n"
    )


def video_sitemap(base: str, clips: Iterable[Clip], *, meta: bool = True, images: int = 0) -> str:
    entries = "".join(sitemap_entry(base, c, meta=meta, images=images) for c in clips)
    return SITEMAP_OPEN + entries + "</urlset>\n"


def sitemap_index(base: str, paths: Iterable[str]) -> str:
    entries = "".join(f"<sitemap><loc>{base}{p}</loc></sitemap>\n" for p in paths)
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n'
        f"{entries}</sitemapindex>\n"
    )


@dataclass
class Site:
    """Routes of an invented platform, built before the server starts answering."""

    server: HostileServer
    routes: dict[str, Handler] = field(default_factory=dict)

    @property
    def base(self) -> str:
        return self.server.base

    def add(self, path: str, handler: Handler) -> None:
        self.routes[path] = handler

    def page(self, path: str, body: str | bytes, ctype: str = HTML, **headers: str) -> None:
        self.add(path, respond(200, body, ctype, **headers))

    def standard(
        self,
        clips: list[Clip],
        *,
        meta: bool = True,
        home_links: Iterable[str] = (),
        sitemaps: tuple[str, ...] = ("/sitemap.xml",),
    ) -> None:
        """robots.txt → /sitemap.xml (a video sitemap of `clips`) and a JSON-LD page per clip."""
        base = self.base
        self.page("/robots.txt", robots_txt(base, sitemaps), "text/plain")
        self.page("/", home_page(home_links))
        if sitemaps == ("/sitemap.xml",):
            self.page("/sitemap.xml", video_sitemap(base, clips, meta=meta), XML)
        for c in clips:
            self.page(c.path, item_page(base, c))

    def install(self, wrap: Any = None) -> None:
        """Hand the routes to the server, each wrapped by `wrap` (a hostile behaviour) if given."""
        for path, handler in self.routes.items():
            self.server.route(path, wrap(handler) if wrap else handler)


@pytest.fixture
def server() -> Iterator[HostileServer]:
    with HostileServer() as srv:
        yield srv


# -- reading the case ----------------------------------------------------------------------------


def sql(case: Path, query: str, *args: object) -> list[tuple[Any, ...]]:
    con = sqlite3.connect(case / "unmask.db")
    try:
        return con.execute(query, args).fetchall()
    finally:
        con.close()


def items(case: Path) -> dict[str, dict[str, Any]]:
    """Stored items by platform id, with their uploader and depicted persons."""
    rows = sql(
        case,
        "SELECT i.platform_item_id, i.title, i.duration_s, i.views, i.upload_date, u.name, i.page_run,"
        " (SELECT group_concat(p.name, '|') FROM item_person ip JOIN person p ON p.id = ip.person_id"
        "  WHERE ip.item_id = i.id) FROM item i LEFT JOIN uploader u ON u.id = i.uploader_id",
    )
    keys = ("title", "duration", "views", "upload_date", "uploader", "page_run", "persons")
    return {row[0]: dict(zip(keys, row[1:], strict=True)) for row in rows}


def frontier(case: Path, like: str = "%") -> dict[str, tuple[str, str | None]]:
    """Frontier rows whose URL matches `like`: url -> (status, error)."""
    return {
        u: (s, e) for u, s, e in sql(case, "SELECT url, status, error FROM frontier WHERE url LIKE ?", like)
    }


def warc_records(case: Path) -> Iterator[tuple[str, int, str, str, bytes, bytes]]:
    """Every WARC record: (file, offset, type, target URI, raw payload, decoded payload)."""
    for path in sorted((case / "evidence" / "warc").glob("*.warc.gz")):
        with path.open("rb") as fh:
            records = ArchiveIterator(fh)
            for record in records:
                offset = records.get_record_offset()
                uri = record.rec_headers.get_header("WARC-Target-URI") or ""
                raw = record.raw_stream.read()
                decoded = raw
                if record.http_headers is not None:
                    encoding = (record.http_headers.get_header("Content-Encoding") or "").lower()
                    if encoding in ("gzip", "x-gzip") and raw:
                        decoded = zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(raw)  # cut ones too
                yield f"warc/{path.name}", offset, record.rec_type, uri, raw, decoded


def crawl(case: Path, url: str) -> dict[str, Any]:
    """The real CLI, as an investigator runs it: exit 0, no traceback, done well within a minute.

    (A page whose processing raised would stay pending and be asked for again and again: the time
    limit, and ``assert_settled``'s check that no frontier row is left pending, catch that.)
    """
    args = ("census", "crawl", url, "--case", str(case), "--delay", "0", "--concurrency", "4", "--json")
    proc = unmask(*args, timeout=60)
    assert "Traceback" not in proc.stderr, proc.stderr[-3000:]
    summary: dict[str, Any] = json.loads(proc.stdout)
    return summary


def assert_settled(case: Path, summary: dict[str, Any], *, incomplete: Iterable[str] = ()) -> None:
    """The run finished its job and lost nothing: settled frontier, captures backed by WARC records.

    ``incomplete``: words of the reasons the run must give for being incomplete (none: it is complete).
    """
    reasons = list(incomplete)
    status = "incomplete" if reasons else "complete"
    assert summary["status"] == status, summary
    assert summary["complete"] is not reasons
    assert len(summary["incomplete_reasons"]) == len(reasons), summary["incomplete_reasons"]
    for words, said in zip(reasons, summary["incomplete_reasons"], strict=True):
        assert words in said, (words, said)
    assert sql(case, "SELECT status, phase FROM crawl_run ORDER BY id DESC LIMIT 1") == [(status, "done")]
    unsettled = sql(
        case,
        f"SELECT url, status FROM frontier WHERE status NOT IN ({','.join('?' * len(SETTLED))})",
        *SETTLED,
    )
    assert not unsettled, unsettled
    unbacked = sql(case, "SELECT url FROM frontier WHERE status = 'done' AND capture_id IS NULL")
    assert not unbacked, unbacked
    responses = {(f, o): uri for f, o, kind, uri, *_ in warc_records(case) if kind == "response"}
    answered = sql(case, "SELECT warc_file, warc_offset, url FROM capture WHERE status IS NOT NULL")
    assert answered
    lost = [(f, o, url) for f, o, url in answered if responses.get((f, o)) != url]
    assert not lost, lost
    errors = sql(case, "SELECT url FROM capture WHERE status IS NULL AND error IS NULL")
    assert not errors, errors
    assert summary["requests"] == sql(case, "SELECT count(*) FROM capture")[0][0]


def assert_clip(got: dict[str, Any], c: Clip, *, own_page: bool = True) -> None:
    """Every field of an item, read from its own page (or not: another page described it in full)."""
    assert got["title"] == c.title
    assert got["duration"] == c.seconds
    assert got["views"] == c.views
    assert got["upload_date"] == c.uploaded.isoformat()
    assert got["uploader"] == c.uploader
    assert set((got["persons"] or "").split("|")) == set(c.actors)
    assert (got["page_run"] is not None) is own_page


# -- 1. malformed and truncated HTML -------------------------------------------------------------


@pytest.mark.slow
def test_malformed_and_truncated_item_pages(new_case: Path, server: HostileServer) -> None:
    clips = make_clips(12, "broken")
    site = Site(server)
    site.standard(clips, meta=False)  # titles can only come from the item pages
    base = site.base
    good = item_page(base, clips[0])
    cut = item_page(base, clips[5]).encode()
    pages: dict[int, bytes | Handler] = {
        # unclosed and stray tags everywhere, no </body></html>
        1: (
            f"<html><head><title>x</title>{json_ld(video_ld(base, clips[1]))}"
            "<div class=x><p>unclosed <b>bold <i>italic <table><tr><td>cell</span></div></em>"
            "<a href=/video/broken-2 <p>attribute soup"
        ).encode(),
        # the JSON-LD script never closed, at the end of the file
        2: f"<html><head><title>x</title>{json_ld(video_ld(base, clips[2]))[:-9]}".encode(),
        # JSON-LD with comments and trailing commas, wrapped in an HTML comment
        3: item_page(
            base,
            clips[3],
            ld='<script type="application/ld+json"><!--\n'
            + json.dumps(video_ld(base, clips[3]))[:-1]
            + ', // a comment\n "genre": "x",}\n--></script>',
        ).encode(),
        # a second, broken JSON-LD script before the good one
        4: item_page(
            base, clips[4], head='<script type="application/ld+json">{"@type": "VideoObj</script>'
        ).encode(),
        # the file ends in the middle of the JSON-LD
        5: cut[: cut.index(b'"duration"')],
        # the server promises more and hangs up in the middle of the JSON-LD
        6: cut_off(item_page(base, clips[6]).encode(), item_page(base, clips[6]).index('"duration"')),
        # the server hangs up after the JSON-LD, in the body
        7: cut_off(item_page(base, clips[7], body="<p>" + "words " * 2000).encode(), len(good) + 200),
        # binary garbage labelled as HTML
        8: bytes(range(1, 256)) * 40,
        # empty
        9: b"",
        # nested garbage: NUL bytes, a comment that never ends, then nothing
        10: b"<html>\x00\x00<head><!-- never closed " + b"<" * 5000,
    }
    for i, page in pages.items():
        if callable(page):
            site.add(clips[i].path, page)
        else:
            site.page(clips[i].path, page)
    site.install()
    summary = crawl(new_case, base + "/")
    # two pages broke off: what came before the break is stored, and the census says it is incomplete
    assert_settled(new_case, summary, incomplete=["2 pages were cut short"])
    assert summary["removed"] == 0
    got = items(new_case)
    assert set(got) == {c.path for c in clips}  # every item the sitemap listed is stored
    parseable = {0, 1, 2, 3, 4, 7, 11}
    titled = {5, 6}  # the JSON-LD is cut off, but the page's <title> came: the item page gives its title
    for i, c in enumerate(clips):
        if i in parseable:
            assert_clip(got[c.path], c)
        elif i in titled:
            assert (got[c.path]["title"], got[c.path]["duration"]) == (c.title, None), i
        else:
            assert got[c.path]["title"] is None, i
    rows = frontier(new_case, "%/video/%")
    binary = {base + clips[i].path for i in (8, 10)}  # not positively text: the fetch layer refuses them
    assert {status for url, (status, _) in rows.items() if url not in binary} == {"done"}
    assert {rows[url][0] for url in binary} == {"refused"}
    assert rows[base + clips[6].path][1] == "truncated"
    assert rows[base + clips[7].path][1] == "truncated"
    truncated = sql(new_case, "SELECT url FROM capture WHERE truncated IS NOT NULL")
    assert {u for (u,) in truncated} == {base + clips[6].path, base + clips[7].path}


# -- 2. pages not in UTF-8 -----------------------------------------------------------------------

ENCODED = [
    # (codec, how the charset is declared, title, uploader, performer)
    ("windows-1251", "header", "Тайная запись номер один", "Загрузчик Вымышленный", "Исполнитель Ольховая"),
    ("windows-1251", "meta", "Скрытая камера: выдуманный ролик", "Пользователь Кедров", "Актриса Ясенева"),
    ("windows-1251", "http-equiv", "Выдуманное видео «три»", "Автор Берёзкин", "Модель Щукина"),
    ("shift_jis", "header", "秘密の動画その一", "投稿者ミズキ", "出演者ハルカ"),
    ("shift_jis", "meta", "架空の映像「二」", "投稿者ソラノ", "出演者ユウヒ"),
    ("shift_jis", "http-equiv", "作り話の録画・三", "投稿者カゼマチ", "出演者ツキミ"),
]


@pytest.mark.slow
def test_non_utf8_pages_are_decoded(new_case: Path, server: HostileServer) -> None:
    clips = make_clips(9, "enc")
    for i, (_codec, _how, title, uploader, performer) in enumerate(ENCODED):
        clips[i].title, clips[i].uploader, clips[i].actors = title, uploader, (performer,)
    site = Site(server)
    site.standard(clips, meta=False)  # titles can only come from the item pages
    base = site.base
    for i, (codec, how, *_names) in enumerate(ENCODED):
        head = {
            "header": "",
            "meta": f'<meta charset="{codec}">',
            "http-equiv": f'<meta http-equiv="Content-Type" content="text/html; charset={codec}">',
        }[how]
        body = item_page(base, clips[i], head=head).encode(codec)
        assert body != item_page(base, clips[i], head=head).encode("utf-8")
        site.page(clips[i].path, body, f"text/html; charset={codec}" if how == "header" else "text/html")
    site.install()
    summary = crawl(new_case, base + "/")
    assert_settled(new_case, summary)
    got = items(new_case)
    assert set(got) == {c.path for c in clips}
    for c in clips:
        assert_clip(got[c.path], c)
    figures = stats(new_case)
    assert figures["videos"] == len(clips)
    assert figures["uploaders"] == len({c.uploader for c in clips})


# -- 3. a ten-megabyte item page -----------------------------------------------------------------


def inline_state(megabytes: float) -> str:
    """A realistic inline script: an app's serialised state, one long line of JSON."""
    record = {"id": 0, "slug": "x" * 24, "thumb": "/media/t/0.jpg", "w": 640, "h": 360, "score": 0.5}
    one = json.dumps(record, separators=(",", ":"))
    count = int(megabytes * 1024 * 1024 / (len(one) + 1))
    return "<script>window.__STATE__ = [" + ",".join([one] * count) + "];</script>\n"


@pytest.mark.slow
def test_ten_megabyte_item_pages(new_case: Path, server: HostileServer) -> None:
    clips = make_clips(10, "large")
    site = Site(server)
    site.standard(clips, meta=False)
    base = site.base
    big = {
        # one 10 MB script (an app's whole state), then the JSON-LD
        0: item_page(base, clips[0], head=inline_state(10)).encode(),
        # several scripts of a few megabytes, then the JSON-LD
        1: item_page(base, clips[1], head=inline_state(6) + inline_state(2) + inline_state(2)).encode(),
    }
    for i, page in big.items():
        assert 10 * 1024 * 1024 <= len(page) < 11 * 1024 * 1024
        assert page.index(b"application/ld+json") > 10_000_000  # the JSON-LD comes after it all
        site.page(clips[i].path, page)
    site.install()
    summary = crawl(new_case, base + "/")
    assert_settled(new_case, summary)
    got = items(new_case)
    assert set(got) == {c.path for c in clips}
    for c in clips:
        assert_clip(got[c.path], c)
    for i, page in big.items():
        stored = sql(
            new_case, "SELECT payload_length, truncated FROM capture WHERE url = ?", base + clips[i].path
        )
        assert stored == [(len(page), None)]


# -- 4. redirect loops ---------------------------------------------------------------------------


@pytest.mark.slow
def test_redirect_loops_fail_alone(new_case: Path, server: HostileServer) -> None:
    clips = make_clips(12, "hop")
    looping = make_clips(1, "loop")[0]
    site = Site(server)
    # the sitemap lists the looping item too; the listing's second page loops
    site.standard([*clips, looping], meta=False, home_links=["/browse/start"])
    base = site.base
    site.add("/browse/start", redirect("/browse/videos", 301))  # an ordinary redirect is followed
    site.page("/browse/videos", listing_page(base, clips[:6], next_path="/browse/videos?page=2"))
    site.add(looping.path, redirect(looping.path))  # to itself
    site.add("/browse/loop-a", redirect("/browse/loop-b"))
    site.add("/browse/loop-b", redirect("/browse/loop-a"))
    site.install()
    # the listing's page 2 (a query on the same path) answers the loop; page 1 is the plain path
    page_one = server._server.routes["/browse/videos"]
    server.route(
        "/browse/videos",
        lambda h: redirect("/browse/loop-a")(h) if "page=2" in h.path else page_one(h),
    )
    summary = crawl(new_case, base + "/")
    assert_settled(new_case, summary, incomplete=["1 listing page failed", "1 item page failed"])
    rows = frontier(new_case)
    loops = {base + looping.path, base + "/browse/videos?page=2"}
    for url in loops:
        status, error = rows[url]
        assert status in ("failed", "refused"), (url, status)
        assert error and "redirect" in error.lower(), error
    assert all(status == "done" for url, (status, _) in rows.items() if url not in loops)
    followed = sql(
        new_case,
        "SELECT c.url, c.status FROM frontier f JOIN capture c ON c.id = f.capture_id WHERE f.url = ?",
        base + "/browse/start",
    )
    assert followed == [(base + "/browse/videos", 200)]
    assert server.hits["/browse/videos"] == 2  # page 1, and page 2 that loops
    max_hops = FetchSettings().max_redirects + 1
    assert server.hits[looping.path] <= max_hops
    assert server.hits["/browse/loop-a"] + server.hits["/browse/loop-b"] <= max_hops
    got = items(new_case)
    assert set(got) == {c.path for c in [*clips, looping]}
    for c in clips:
        assert_clip(got[c.path], c)
    assert got[looping.path]["title"] is None  # known from the sitemap, its page never answered
    assert summary["verdict"].endswith("the figures are lower bounds.")


# -- 5. endless pagination -----------------------------------------------------------------------


def endless(base: str, path: str, cards: list[Clip], *, describe: bool) -> Handler:
    """Every page N of `path` links to page N+1, forever, showing the same `cards`."""

    def handler(h: Any) -> None:
        query = h.path.partition("?")[2]
        number = int(query.removeprefix("page=") or 1) if query.startswith("page=") or not query else 1
        body = listing_page(base, cards, next_path=f"{path}?page={number + 1}", describe=describe)
        respond(200, body)(h)

    return handler


@pytest.mark.slow
def test_endless_pagination_is_read_to_its_end(new_case: Path, server: HostileServer) -> None:
    """Pages that repeat (or stay empty) forever end their chain: that is its end, not a limit."""
    clips = make_clips(10, "page")
    repeated = clips[:3]
    site = Site(server)
    site.standard(clips, home_links=["/browse/empty", "/browse/same"])
    base = site.base
    site.add("/browse/empty", endless(base, "/browse/empty", [], describe=True))
    site.add("/browse/same", endless(base, "/browse/same", repeated, describe=True))
    site.install()
    summary = crawl(new_case, base + "/")
    assert_settled(new_case, summary)
    guard = CrawlSettings().barren_pages
    for chain in ("/browse/empty", "/browse/same"):
        rows = frontier(new_case, f"{base}{chain}%")
        assert 2 <= len(rows) <= guard + 1, (chain, sorted(rows))
        assert all(status == "done" for status, _ in rows.values())
        assert server.hits[chain] == len(rows)
    got = items(new_case)
    assert set(got) == {c.path for c in clips}
    for c in clips:
        assert_clip(got[c.path], c, own_page=c not in repeated)  # the listing described those in full
    assert stats(new_case)["videos"] == len(clips)


# -- 6. sitemap loops ----------------------------------------------------------------------------


@pytest.mark.slow
def test_sitemap_loops_are_fetched_once(new_case: Path, server: HostileServer) -> None:
    clips = make_clips(20, "map")
    site = Site(server)
    # robots.txt names the index twice (once with a tracking parameter) and the pair's first member
    site.standard(
        clips, sitemaps=("/sitemap_index.xml", "/sitemap_index.xml?utm_source=robots", "/sitemap-a.xml")
    )
    base = site.base
    # an index that lists itself, the pair, and the first URL set
    site.page(
        "/sitemap_index.xml",
        sitemap_index(base, ["/sitemap_index.xml", "/sitemap-a.xml", "/sitemap-1.xml"]),
        XML,
    )
    # a pair of indexes that list each other; the second also lists the second URL set
    site.page("/sitemap-a.xml", sitemap_index(base, ["/sitemap-b.xml", "/sitemap_index.xml"]), XML)
    site.page("/sitemap-b.xml", sitemap_index(base, ["/sitemap-a.xml", "/sitemap-2.xml"]), XML)
    site.page("/sitemap-1.xml", video_sitemap(base, clips[:12]), XML)
    site.page("/sitemap-2.xml", video_sitemap(base, clips[8:]), XML)
    site.install()
    summary = crawl(new_case, base + "/")
    assert_settled(new_case, summary)
    maps = ["/sitemap_index.xml", "/sitemap-a.xml", "/sitemap-b.xml", "/sitemap-1.xml", "/sitemap-2.xml"]
    assert {path: server.hits[path] for path in maps} == dict.fromkeys(maps, 1)
    rows = frontier(new_case, "%sitemap%")
    assert sorted(rows) == sorted(base + path for path in maps)
    assert {status for status, _ in rows.values()} == {"done"}
    got = items(new_case)
    assert set(got) == {c.path for c in clips}
    for c in clips:
        assert_clip(got[c.path], c)
    assert all(n == 1 for path, n in server.hits.items() if path.startswith("/video/"))


# -- 7. a 429 storm ------------------------------------------------------------------------------


@pytest.mark.slow
def test_429_storm_every_url_twice(new_case: Path, server: HostileServer) -> None:
    clips = make_clips(24, "storm")
    site = Site(server)
    site.standard(clips)
    site.install(lambda handler: throttled(handler, failures=2, status=429, retry_after="0"))
    summary = crawl(new_case, site.base + "/")
    assert_settled(new_case, summary)
    got = items(new_case)
    assert set(got) == {c.path for c in clips}
    for c in clips:
        assert_clip(got[c.path], c)
    # every URL asked three times (robots.txt once more: Scrapy's own robots check reads it too)
    served = {path: n for path, n in server.hits.items() if path != "/robots.txt"}
    assert served and all(n == 3 for n in served.values()), served
    assert server.hits["/robots.txt"] == 4
    # every request was recorded, the 429s included, and counted
    total = sum(server.hits.values())
    statuses = dict(sql(new_case, "SELECT status, count(*) FROM capture GROUP BY status"))
    assert statuses == {429: 2 * (len(served) + 1), 200: len(served) + 2}
    assert summary["requests"] == total
    figures = stats(new_case)
    assert figures["requests"] == total
    assert figures["videos"] == len(clips)


# -- 8. dropped connections ----------------------------------------------------------------------


@pytest.mark.slow
def test_dropped_connections_are_retried(new_case: Path, server: HostileServer) -> None:
    clips = make_clips(16, "drop")
    dead = clips[-1]
    site = Site(server)
    site.standard(clips)
    site.install(lambda handler: dropping(handler, failures=1))  # every URL: the first try hangs up
    server.route(dead.path, dropping(site.routes[dead.path], failures=None))  # this one always
    summary = crawl(new_case, site.base + "/")
    assert_settled(new_case, summary, incomplete=["1 item page failed"])
    tries = FetchSettings().retries + 1
    assert server.hits[dead.path] == tries
    status, error = frontier(new_case, f"%{dead.path}")[site.base + dead.path]
    assert status == "failed" and error
    failures = sql(new_case, "SELECT status, error FROM capture WHERE url = ?", site.base + dead.path)
    assert len(failures) == tries and all(s is None and e for s, e in failures)
    assert summary["failed"] == 1
    got = items(new_case)
    assert set(got) == {c.path for c in clips}
    for c in clips[:-1]:
        assert_clip(got[c.path], c)
    assert got[dead.path]["title"] == dead.title  # what the sitemap said is kept
    assert got[dead.path]["page_run"] is None
    others = {path: n for path, n in server.hits.items() if path not in (dead.path, "/robots.txt")}
    assert others and all(n == 2 for n in others.values()), others


# -- 9. no media, ever ---------------------------------------------------------------------------

MEDIA_MARKUP = """
<img src="/media/thumbs/{slug}.jpg" srcset="/media/thumbs/{slug}@2x.webp 2x, /media/thumbs/{slug}.avif 3x">
<picture><source srcset="/media/thumbs/{slug}.webp" type="image/webp">
  <img src="/media/t/{slug}.png"></picture>
<video poster="/media/posters/{slug}.jpg" controls>
  <source src="/media/videos/{slug}.mp4" type="video/mp4">
  <source src="/media/hls/{slug}/index.m3u8" type="application/x-mpegURL">
</video>
<a href="/media/videos/{slug}.mp4">Download MP4</a> <a href="/media/hls/{slug}/index.m3u8">Stream</a>
<a href="/media/full/{slug}.jpg">Full size</a> <a href="/video/{slug}.mp4">Video as a file</a>
<link rel="preload" as="image" href="/media/thumbs/{slug}.gif"><link rel="next" href="/media/next/{slug}.mp4">
"""

OG_MEDIA = """<meta property="og:type" content="video.other">
<meta property="og:image" content="/media/thumbs/{slug}.jpg">
<meta property="og:video" content="/media/videos/{slug}.mp4">
"""

DISGUISED: dict[str, Handler] = {
    # extension-less URLs whose bodies are media
    "/browse/videos/next": respond(200, MP4, "video/mp4"),  # the listing's rel=next
    "/video/stream-7": respond(200, JPEG, "image/jpeg"),  # an item link
    "/video/blob-3": respond(200, JPEG, "application/octet-stream"),  # JPEG magic, no media type
    "/video/trickle-2": dribbled(JPEG, "application/octet-stream"),  # the magic in one-byte chunks
    "/video/packed-4": gzipped(JPEG, "application/octet-stream"),  # the magic under gzip
    "/video/raw-9": respond(200, MP4, "video/mp4"),  # listed in the sitemap
    "/sitemaps/stills": respond(200, JPEG, "image/jpeg"),  # a "sitemap" in the index
}


@pytest.mark.slow
def test_no_media_is_ever_requested_or_stored(new_case: Path, server: HostileServer) -> None:
    clips = make_clips(10, "safe")
    raw = make_clips(1, "raw-9")[0]
    raw.slug = "raw-9"
    site = Site(server)
    base = site.base
    site.standard(clips, sitemaps=("/media/evil-sitemap.mp4", "/sitemap.xml"), home_links=["/browse/videos"])
    entries = "".join(sitemap_entry(base, c, images=2) for c in [*clips, raw])
    site.page(
        "/sitemap.xml",
        sitemap_index(base, ["/sitemap-videos.xml", "/media/sitemap-thumbs.jpg", "/sitemaps/stills"]),
        XML,
    )
    media_entry = f"<url><loc>{base}/media/videos/loose.mp4</loc></url>\n"
    site.page("/sitemap-videos.xml", SITEMAP_OPEN + entries + media_entry + "</urlset>\n", XML)
    for c in clips:
        page = item_page(base, c, head=OG_MEDIA.format(slug=c.slug), body=MEDIA_MARKUP.format(slug=c.slug))
        site.page(c.path, page)
    disguised_items = make_clips(4, "disguised")  # listed by the listing, never described
    for c, slug in zip(disguised_items, ["stream-7", "blob-3", "trickle-2", "packed-4"], strict=True):
        c.slug = slug
    listing = listing_page(
        base,
        [*clips, *disguised_items],
        next_path="/browse/videos/next",
        body="".join(MEDIA_MARKUP.format(slug=c.slug) for c in clips),
    )
    # rel=next: a media URL first (never taken), then the extension-less one that answers video/mp4
    listing = listing.replace("<title>", '<link rel="next" href="/media/page-2.m3u8"><title>', 1)
    site.page("/browse/videos", listing)
    for path, handler in DISGUISED.items():
        site.add(path, handler)
    site.install()
    server.prefix("/media/", respond(200, JPEG, "image/jpeg"))  # real media, should anyone ask
    summary = crawl(new_case, base + "/")
    assert_settled(new_case, summary)

    # never requested: no media URL reached the server
    asked = [path for path in server.hits if is_media_url(base + path) or path.startswith("/media/")]
    assert not asked, asked
    assert all("." not in path.rsplit("/", 1)[-1] or path.endswith((".txt", ".xml")) for path in server.hits)

    # disguised media: asked once, refused before the body was kept
    for path in DISGUISED:
        assert server.hits[path] == 1, path
        refused = sql(new_case, "SELECT refused, payload_length FROM capture WHERE url = ?", base + path)
        assert len(refused) == 1 and refused[0][0] and refused[0][1] == 0, (path, refused)
        assert frontier(new_case, base + path)[base + path][0] == "refused", path
    assert summary["refused"] == len(DISGUISED)

    # never stored: no WARC record holds media bytes, raw or decoded
    for _file, _offset, _kind, uri, payload, decoded in warc_records(new_case):
        for body in (payload, decoded):
            assert sniff_media(body[:32]) is None, uri
            assert b"\xff\xd8\xff" not in body and b"ftypmp42" not in body, uri

    # and the catalogue is complete
    got = items(new_case)
    for c in clips:
        assert_clip(got[c.path], c)
    assert got["/video/raw-9"]["title"] == raw.title  # the sitemap described it; its page is a video
    assert stats(new_case)["videos"] == len(got)


# -- 10. Ctrl-C, then the same command again -----------------------------------------------------


@pytest.mark.slow
def test_ctrl_c_then_rerun_completes(new_case: Path, server: HostileServer) -> None:
    clips = make_clips(48, "slow")
    site = Site(server)
    site.standard(clips, sitemaps=("/sitemap.xml",))
    site.install(lambda handler: delayed(0.12, handler))
    url = site.base + "/"
    args = [
        *UNMASK,
        "census",
        "crawl",
        url,
        "--case",
        str(new_case),
        "--delay",
        "0",
        "--concurrency",
        "4",
        "--json",
    ]
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        # mid-crawl: item pages being fetched
        server.wait_for(lambda hits: sum(hits[c.path] for c in clips) >= 4, alive=proc)
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130, err[-3000:]
    first = json.loads(out)
    assert first["status"] == "interrupted"
    assert sql(new_case, "SELECT status FROM crawl_run") == [("interrupted",)]
    fetched = sum(server.hits[c.path] for c in clips)
    assert 0 < fetched < len(clips)

    second = crawl(new_case, url)
    assert second["resumed"] is True and second["session"] == 2 and second["run"] == first["run"]
    assert_settled(new_case, second)
    counts = sql(new_case, "SELECT platform_item_id, count(*) FROM item GROUP BY kind, platform_item_id")
    assert sorted(counts) == sorted((c.path, 1) for c in clips)
    got = items(new_case)
    for c in clips:
        assert_clip(got[c.path], c)
    # the second session fetched what the first had not finished: each page at most twice
    assert all(server.hits[c.path] in (1, 2) for c in clips)
    assert stats(new_case)["videos"] == len(clips)


# -- 11. damaged sitemaps and walls: incomplete, never a removal ---------------------------------


@pytest.mark.slow
def test_a_sitemap_that_fails_to_parse_makes_the_run_incomplete(
    new_case: Path, server: HostileServer
) -> None:
    clips = make_clips(10, "damaged")
    site = Site(server)
    site.standard(clips, sitemaps=("/sitemap.xml", "/sitemap-2.xml"))
    base = site.base
    whole = video_sitemap(base, clips[:6])
    site.page("/sitemap.xml", whole, XML)
    damaged = video_sitemap(base, clips[6:])
    site.page("/sitemap-2.xml", damaged[: damaged.index("<url>", damaged.index("<url>") + 1) + 40], XML)
    site.install()
    summary = crawl(new_case, base + "/")
    assert_settled(new_case, summary, incomplete=["1 sitemap could not be read whole"])
    status, error = frontier(new_case, "%sitemap-2.xml")[base + "/sitemap-2.xml"]
    assert status == "unparsed" and error
    assert set(items(new_case)) == {c.path for c in clips[:7]}  # the entry before the damage is kept


@pytest.mark.slow
def test_a_403_wall_on_a_recrawl_removes_nothing(new_case: Path, server: HostileServer) -> None:
    clips = make_clips(8, "walled")
    site = Site(server)
    site.standard(clips)
    site.install()
    first = crawl(new_case, site.base + "/")
    assert_settled(new_case, first)
    # the platform now answers 403 to every page (a wall for crawlers): an answer, but not a census
    server.prefix("/", respond(403, "<html><body>Access denied</body></html>"))
    for path in list(site.routes):
        server.route(path, respond(403, "<html><body>Access denied</body></html>"))
    second = crawl(new_case, site.base + "/")
    assert second["status"] == "incomplete" and second["removed"] == 0, second
    assert "robots.txt could not be read" in second["incomplete_reasons"]
    assert "the start page could not be read (HTTP 403)" in second["incomplete_reasons"]
    figures = stats(new_case)
    assert figures["videos"] == len(clips) and figures["removed"] == 0
    assert figures["complete"] is False
