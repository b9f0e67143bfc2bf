"""The demo platform's forum: sections, threads, paid requests and their prices, deterministic from a seed.

Every handle and name is invented (``demo.names``). ``ForumWorld`` is the forum's ground truth (what a
forum census of it must count); ``XenForoSite`` serves it with XenForo 2's markup under ``/forum/``:
board index, section listings (one of them paginates without end), thread pages with JSON-LD, an RSS
feed that still lists deleted threads, a login-only section, attachments and embedded media that a
census must never fetch, and relative dates ("Yesterday at 3:12 PM") for the newest threads.
The zoo of tests/forum renders the same world as MyBB, phpBB and Discourse.
"""

from __future__ import annotations

import datetime as dt
import json
import random
import re
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from html import escape
from statistics import median
from typing import Any

from unmask.demo.names import person_name, slugify, uploader_handle

PAGE_SIZE = 20
FEED_SIZE = 40


@dataclass(frozen=True)
class Section:
    id: int
    name: str
    kind: str
    """What its threads are: paid_request, request, offer or other."""
    closed: bool = False
    endless: bool = False
    """Its pagination never ends: past the last page, the last page again (with a "next" link)."""

    @property
    def slug(self) -> str:
        return slugify(self.name)


SECTIONS = (
    Section(2, "Paid Requests", "paid_request"),
    Section(3, "Requests", "request"),
    Section(4, "Marketplace", "offer"),
    Section(5, "General Discussion", "other", endless=True),
    Section(6, "Verified Creators Lounge", "offer", closed=True),
)
WEIGHTS = (32, 24, 14, 24, 6)


@dataclass
class Thread:
    id: int
    section: Section
    title: str
    prefix: str | None
    starter: str
    started: dt.datetime
    replies: int
    views: int
    first_post: str
    person: str | None
    prices: list[tuple[Decimal, Decimal, str]]
    kind: str
    deleted: bool = False

    @property
    def slug(self) -> str:
        return slugify(self.title)[:50] or "thread"

    @property
    def counted(self) -> bool:
        return not self.deleted and not self.section.closed


PAID_POSTS = (
    ("Paying {usd} for a {m} min clip of {person}, 1080p. PayPal or cash app.", "usd"),
    ("Budget {lo}-{hi} USD for {person}, 4k if possible. Will send half upfront.", "range"),
    ("Will pay {btc} BTC for a {m} minute video of {person}. Crypto only.", "btc"),
    ("{eur}€ for a good one of {person}. 20 pics also fine. Amazon gift card ok.", "eur"),
    ("Offering {xmr} XMR for {person}, {m} min, 60fps.", "xmr"),
)
REQUEST_POSTS = (
    "Can someone make one of {person}? Thanks in advance.",
    "Looking for anything with {person}, {m} min or longer, 1080p.",
)
OFFER_POSTS = (
    ("Taking commissions: {usd} per video, $5 per pic. PayPal F&F.", "offer"),
    ("Selling custom work, {usd} each, delivery in 3 days, btc accepted.", "offer_each"),
)
OTHER_POSTS = (
    "What software do you all use for face alignment? My {m} min renders take hours.",
    "Site was down for {m} hours yesterday, anyone else?",
)
REQUEST_TITLES = ("{person} video", "{person} ({m} min)", "Anyone have {person}?")
OTHER_TITLES = ("Render times on a {m} year old GPU", "Site maintenance thread", "Introduce yourself #{m}")


class ForumWorld:
    """The forum's threads and what a census of it must give (``truth``)."""

    def __init__(
        self,
        seed: int = 7,
        threads: int = 120,
        as_of: dt.date | None = None,
        persons: list[str] | None = None,
        public: int | None = None,
    ) -> None:
        rng = random.Random(seed)
        self.as_of = as_of or dt.date.today()
        self.now = dt.datetime.combine(self.as_of, dt.time(12, 0))
        self.persons = persons or [person_name(rng) for _ in range(40)]
        cut = len(self.persons) * 3 // 4 if public is None else public
        self.public = self.persons[:cut]
        """Names the investigator's public-figure list holds (the rest are not public figures)."""
        handles = [uploader_handle(rng) for _ in range(max(8, threads // 6))]
        self.threads: list[Thread] = []
        next_id = 100
        for i in range(threads):
            next_id += rng.randint(1, 4)
            section = rng.choices(SECTIONS, WEIGHTS)[0]
            self.threads.append(self._thread(rng, next_id, section, rng.choice(handles), i))
        for t in rng.sample(self.threads, max(1, threads // 12)):
            if not t.section.closed:
                t.deleted = True
        self.by_id = {t.id: t for t in self.threads}

    def _started(self, rng: random.Random, i: int) -> dt.datetime:
        if i % 25 == 0:  # the newest threads show relative dates
            return self.now - dt.timedelta(hours=rng.randint(1, 11))
        if i % 25 == 1:
            return self.now - dt.timedelta(days=1, hours=rng.randint(0, 10))
        return self.now - dt.timedelta(days=rng.randint(2, 900), minutes=rng.randint(0, 1439))

    def _thread(self, rng: random.Random, tid: int, section: Section, starter: str, i: int) -> Thread:
        person: str | None = rng.choice(self.persons)
        m = rng.randint(2, 20)
        usd = rng.choice((10, 25, 40, 50, 75, 100, 150, 250, 500, 1500))
        lo = rng.choice((20, 50, 100))
        values = {
            "person": person,
            "m": m,
            "usd": f"${usd}",
            "lo": lo,
            "hi": lo * rng.choice((2, 3)),
            "btc": f"0.00{rng.randint(1, 9)}{rng.randint(0, 9)}",
            "eur": rng.choice((30, 45, 60, 120)),
            "xmr": f"{rng.randint(0, 2)}.{rng.randint(1, 99):02d}",
        }
        prefix = None
        prices: list[tuple[Decimal, Decimal, str]] = []
        kind = section.kind
        if section.kind in ("paid_request", "request"):
            title = rng.choice(REQUEST_TITLES).format(**values)
            paid = section.kind == "paid_request" or rng.random() < 0.35
            if paid:
                template, how = rng.choice(PAID_POSTS)
                post = template.format(**values)
                prices = [_expected(how, values)]
                if section.kind == "request":
                    prefix, kind = "PAID", "paid_request"
            else:
                post = rng.choice(REQUEST_POSTS).format(**values)
        elif section.kind == "offer":
            person = None
            title = rng.choice(("Commissions open", "Custom work for hire", "Quality fakes, fast"))
            template, how = rng.choice(OFFER_POSTS)
            post = template.format(**values)
            prices = [_expected(how, values)] + ([(Decimal(5), Decimal(5), "USD")] if how == "offer" else [])
        else:
            person = None
            title = rng.choice(OTHER_TITLES).format(**values)
            post = rng.choice(OTHER_POSTS).format(**values)
        return Thread(
            id=tid,
            section=section,
            title=title,
            prefix=prefix,
            starter=starter,
            started=self._started(rng, i),
            replies=rng.randint(0, 60),
            views=int(rng.paretovariate(1.2) * 80),
            first_post=post,
            person=person,
            prices=prices,
            kind=kind,
        )

    # -- what a census must give --------------------------------------------------------------------

    def counted(self) -> list[Thread]:
        return [t for t in self.threads if t.counted]

    def truth(self) -> dict[str, Any]:
        """``forum stats --json`` of a complete census of this forum."""
        counted = self.counted()
        kinds = Counter(t.kind for t in counted)
        by_currency: dict[str, list[Decimal]] = {}
        for t in counted:
            for lo, hi, cur in t.prices:
                by_currency.setdefault(cur, []).extend((lo, hi) if lo != hi else (lo,))
        monthly = Counter(t.started.strftime("%Y-%m") for t in counted)
        paid_monthly = Counter(t.started.strftime("%Y-%m") for t in counted if t.kind == "paid_request")
        return {
            "threads": len(counted),
            "sections": sorted(
                (
                    {"name": s.name, "threads": sum(1 for t in counted if t.section is s)}
                    for s in SECTIONS
                    if not s.closed
                ),
                key=lambda x: (-int(x["threads"]), str(x["name"])),
            ),
            "kinds": {k: kinds.get(k, 0) for k in ("paid_request", "request", "offer", "other")},
            "prices": {
                cur: {
                    "count": len(values),
                    "min": float(min(values)),
                    "median": float(median(values)),
                    "max": float(max(values)),
                }
                for cur, values in by_currency.items()
            },
            "monthly": [
                {"month": month, "threads": monthly[month], "paid_requests": paid_monthly.get(month, 0)}
                for month in sorted(monthly)
            ],
            "non_public_share": self.non_public_share(),
        }

    def non_public_share(self) -> float | None:
        paid = [t for t in self.counted() if t.kind == "paid_request" and t.person]
        if not paid:
            return None
        public = set(self.public)
        return sum(1 for t in paid if t.person not in public) / len(paid)


def _expected(how: str, v: dict[str, Any]) -> tuple[Decimal, Decimal, str]:
    if how in ("usd", "offer", "offer_each"):
        amount = Decimal(str(v["usd"]).lstrip("$"))
        return amount, amount, "USD"
    if how == "range":
        return Decimal(v["lo"]), Decimal(v["hi"]), "USD"
    if how == "btc":
        return Decimal(v["btc"]), Decimal(v["btc"]), "BTC"
    if how == "xmr":
        return Decimal(v["xmr"]), Decimal(v["xmr"]), "XMR"
    return Decimal(v["eur"]), Decimal(v["eur"]), "EUR"


# -- XenForo 2 markup -------------------------------------------------------------------------------

HTML = b"text/html; charset=utf-8"
RSS = b"application/rss+xml; charset=utf-8"
JPEG = b"image/jpeg"
FAKE_JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 512


@dataclass
class Reply:
    status: int
    body: bytes
    content_type: bytes = HTML
    headers: dict[str, str] = field(default_factory=dict)


def relative_xenforo(when: dt.datetime, now: dt.datetime) -> str:
    """How XenForo shows a recent time: "Today at 3:12 PM", "Yesterday at 9:05 AM", else "Mar 5, 2024"."""
    clock = when.strftime("%I:%M %p").lstrip("0")
    if when.date() == now.date():
        return f"Today at {clock}"
    if when.date() == now.date() - dt.timedelta(days=1):
        return f"Yesterday at {clock}"
    return when.strftime("%b %d, %Y").replace(" 0", " ")


def _page(title: str, body: str, *, head: str = "") -> bytes:
    return (
        '<!DOCTYPE html>\n<html id="XF" lang="en-US" dir="LTR" data-app="public" data-template="forum">'
        f'<head><meta charset="utf-8"><title>{escape(title)} | Demo Forum</title>'
        f'<script src="/forum/js/xf/preamble.min.js"></script>{head}</head>'
        f'<body><div class="p-body">{body}</div></body></html>\n'
    ).encode()


class XenForoSite:
    """The world served with XenForo 2's markup; ``root`` is its install folder ("/forum")."""

    def __init__(self, world: ForumWorld, root: str = "/forum") -> None:
        self.world = world
        self.root = root
        self.sections = {s.id: s for s in SECTIONS}
        self.listed: dict[int, list[Thread]] = {
            s.id: sorted((t for t in world.threads if t.section is s and not t.deleted), key=_newest)
            for s in SECTIONS
        }

    def section_url(self, s: Section, page: int = 1) -> str:
        return f"{self.root}/forums/{s.slug}.{s.id}/" + (f"page-{page}" if page > 1 else "")

    def thread_url(self, t: Thread) -> str:
        return f"{self.root}/threads/{t.slug}.{t.id}/"

    def respond(self, path: str, base: str) -> Reply:
        rest = path[len(self.root) :] if path.startswith(self.root) else path
        if rest in ("", "/", "/index.php"):
            return Reply(200, self.index())
        if rest == "/forums/-/index.rss":
            return Reply(200, self.feed(base), RSS)
        if rest.startswith(("/attachments/", "/data/", "/media/", "/embed/")):
            return Reply(200, FAKE_JPEG, JPEG)
        m = re.fullmatch(r"/forums/[^/]*\.(\d+)/(?:page-(\d+))?", rest)
        if m:
            section = self.sections.get(int(m.group(1)))
            return self.section(section, int(m.group(2) or 1)) if section else NOT_FOUND
        m = re.fullmatch(r"/threads/[^/]*\.(\d+)/", rest)
        if m:
            thread = self.world.by_id.get(int(m.group(1)))
            return self.thread(thread) if thread else NOT_FOUND
        return NOT_FOUND

    def index(self) -> bytes:
        nodes = "".join(
            f'<div class="node node--forum"><h3 class="node-title">'
            f'<a href="{self.section_url(s)}" data-xf-init="element-tooltip">{escape(s.name)}</a></h3></div>'
            for s in SECTIONS
        )
        return _page("Forums", f'<h1 class="p-title-value">Demo Forum</h1><div class="block">{nodes}</div>')

    def feed(self, base: str) -> bytes:
        newest = sorted((t for t in self.world.threads if not t.section.closed), key=_newest)[:FEED_SIZE]
        items = "".join(
            f"<item><title>{escape(t.title)}</title><link>{base}{self.thread_url(t)}</link>"
            f"<pubDate>{t.started.strftime('%a, %d %b %Y %H:%M:%S +0000')}</pubDate>"
            f"<dc:creator>{escape(t.starter)}</dc:creator></item>"
            for t in newest
        )
        return (
            '<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0" '
            'xmlns:dc="http://purl.org/dc/elements/1.1/"><channel><title>Demo Forum</title>'
            f"{items}</channel></rss>\n"
        ).encode()

    def section(self, s: Section, page: int) -> Reply:
        if s.closed:
            return Reply(
                403, _page("Oops!", '<div class="blockMessage">You must be logged-in to do that.</div>')
            )
        threads = self.listed[s.id]
        pages = max(1, -(-len(threads) // PAGE_SIZE))
        if page > pages and not s.endless:
            return NOT_FOUND
        shown = threads[(min(page, pages) - 1) * PAGE_SIZE : min(page, pages) * PAGE_SIZE]
        cards = "".join(self.card(t) for t in shown)
        more = page < pages or s.endless
        nav = (
            f'<nav class="pageNav"><a href="{self.section_url(s, page + 1)}" '
            'class="pageNav-jump pageNav-jump--next">Next</a></nav>'
            if more
            else ""
        )
        return Reply(
            200,
            _page(
                s.name,
                f'<h1 class="p-title-value">{escape(s.name)}</h1>'
                f'<div class="structItemContainer">{cards}</div>{nav}',
            ),
        )

    def card(self, t: Thread) -> str:
        label = (
            f'<a href="{self.section_url(t.section)}?prefix_id=1" class="labelLink">'
            f'<span class="label label--green" dir="auto">{t.prefix}</span></a> '
            if t.prefix
            else ""
        )
        iso = t.started.strftime("%Y-%m-%dT%H:%M:%S+0000")
        return (
            f'<div class="structItem structItem--thread js-threadListItem-{t.id}">'
            f'<div class="structItem-cell structItem-cell--main"><div class="structItem-title">{label}'
            f'<a href="{self.thread_url(t)}" data-tp-primary="on">{escape(t.title)}</a></div>'
            f'<ul class="structItem-parts"><li><a href="{self.root}/members/{slugify(t.starter)}.1/" '
            f'class="username">{escape(t.starter)}</a></li><li class="structItem-startDate">'
            f'<a href="{self.thread_url(t)}"><time class="u-dt" datetime="{iso}">'
            f"{relative_xenforo(t.started, self.world.now)}</time></a></li></ul></div>"
            f'<div class="structItem-cell structItem-cell--meta"><dl class="pairs pairs--justified">'
            f'<dt>Replies</dt><dd>{t.replies:,}</dd></dl><dl class="pairs pairs--justified structItem-minor">'
            f"<dt>Views</dt><dd>{_short_count(t.views)}</dd></dl></div></div>"
        )

    def thread(self, t: Thread) -> Reply:
        if t.deleted:
            return Reply(404, _page("Oops!", "<div>The requested thread could not be found.</div>"))
        if t.section.closed:
            return Reply(
                403, _page("Oops!", '<div class="blockMessage">You must be logged-in to do that.</div>')
            )
        url = self.thread_url(t)
        ld = {
            "@context": "https://schema.org",
            "@type": "DiscussionForumPosting",
            "@id": url,
            "headline": t.title,
            "articleBody": t.first_post,
            "articleSection": t.section.name,
            "author": {"@type": "Person", "name": t.starter},
            "datePublished": t.started.strftime("%Y-%m-%dT%H:%M:%S+0000"),
            "interactionStatistic": [
                {
                    "@type": "InteractionCounter",
                    "interactionType": "https://schema.org/ReplyAction",
                    "userInteractionCount": t.replies,
                },
                {
                    "@type": "InteractionCounter",
                    "interactionType": "https://schema.org/ViewAction",
                    "userInteractionCount": t.views,
                },
            ],
        }
        label = f'<span class="label label--green" dir="auto">{t.prefix}</span> ' if t.prefix else ""
        media = (
            f'<ul class="attachmentList"><li class="file">'
            f'<a href="{self.root}/attachments/still-{t.id}-jpg.{t.id}/">'
            f'<img src="{self.root}/data/attachments/{t.id}.jpg" alt=""></a></li></ul>'
            f'<video src="{self.root}/media/preview-{t.id}.mp4"></video>'
            f'<iframe src="{self.root}/embed/{t.id}"></iframe>'
        )
        body = (
            f'<ul class="p-breadcrumbs"><li itemprop="itemListElement">'
            f'<a href="{self.root}/" itemprop="item">'
            f'<span itemprop="name">Forums</span></a></li><li itemprop="itemListElement">'
            f'<a href="{self.section_url(t.section)}" itemprop="item"><span itemprop="name">'
            f"{escape(t.section.name)}</span></a></li></ul>"
            f'<h1 class="p-title-value">{label}{escape(t.title)}</h1>'
            f'<article class="message message--post js-post" data-author="{escape(t.starter)}">'
            f'<div class="message-attribution-main"><time class="u-dt" '
            f'datetime="{t.started.strftime("%Y-%m-%dT%H:%M:%S+0000")}">'
            f"{relative_xenforo(t.started, self.world.now)}</time></div>"
            f'<div class="message-body"><div class="bbWrapper">{escape(t.first_post)}</div>{media}</div>'
            "</article>"
        )
        head = f'<script type="application/ld+json">{json.dumps(ld)}</script>'
        return Reply(200, _page(t.title, body, head=head))


NOT_FOUND = Reply(404, _page("Not found", "<h1>Not found</h1>"))


def _newest(t: Thread) -> tuple[float, int]:
    return (-t.started.timestamp(), -t.id)


def _short_count(n: int) -> str:
    return f"{n / 1000:.1f}K".replace(".0K", "K") if n >= 1000 else str(n)


# -- the demo platform's forum (served by demo/app.py under /forum/) ---------------------------------

FORUM_THREADS_AT_SCALE_1 = 2_000
MIN_FORUM_THREADS = 120


class DemoForum:
    """The demo platform's forum, built on first use: its requests name the platform's own persons
    (public figures first, so the investigator's list is the platform's celebrities)."""

    def __init__(self, platform: Any) -> None:
        self.platform = platform
        self._site: XenForoSite | None = None

    @property
    def site(self) -> XenForoSite:
        if self._site is None:
            persons = self.platform.persons()
            public = [p.name for p in persons if p.celebrity][:30]
            private = [p.name for p in persons if not p.celebrity][:30]
            world = ForumWorld(
                seed=self.platform.seed,
                threads=max(MIN_FORUM_THREADS, round(FORUM_THREADS_AT_SCALE_1 * self.platform.scale)),
                as_of=self.platform.as_of,
                persons=public + private,
                public=len(public),
            )
            self._site = XenForoSite(world)
        return self._site

    def respond(self, path: str, base: str) -> Any:
        from unmask.demo.render import Response

        reply = self.site.respond(path, base)
        return Response(reply.status, "forum", reply.body, reply.content_type)


def crawl_forum(case_root: Any, base: str, concurrency: int) -> dict[str, Any]:
    """Crawl the demo platform's forum into the case (`unmask forum crawl`, in a process of its own: a
    process runs one Scrapy reactor, and the census crawl already ran in this one)."""
    import subprocess
    import sys

    from unmask.core.errors import UnmaskError

    args = [sys.executable, "-m", "unmask", "forum", "crawl", f"{base}/forum/", "--case", str(case_root)]
    args += ["--delay", "0", "--concurrency", str(concurrency), "--json"]
    proc = subprocess.run(args, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        last = (proc.stderr.strip().splitlines() or ["no output"])[-1]
        raise UnmaskError(f"the demo forum crawl failed: {last}")
    summary: dict[str, Any] = json.loads(proc.stdout)
    return summary
