"""A tube behind an age gate: without the ``age_verified=1`` cookie every page but robots.txt redirects
to ``/age-verification``, a form that links nowhere. With the cookie (case.yaml ``fetch.cookies``) the
listing ``/videos/?page=N`` shows cards in schema.org microdata, exact views in a ``<meta>``, and item pages
``/clip/<id>-<slug>`` repeat them with the depicted persons.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote

from tests.census.zoo.common import NOT_FOUND as MISSING
from tests.census.zoo.common import (
    TEXT,
    Catalogue,
    Entry,
    Reply,
    Request,
    ZooSite,
    escape,
    fmt_duration,
    fmt_views_short,
    iso_duration,
    page,
    page_of,
)

CLIP = re.compile(r"^/clip/(\d+)-[a-z0-9-]*$")
COOKIE = ("age_verified", "1")


class AgeGate(ZooSite):
    name = "age_gate"
    adapter = "age_gate.yaml"

    def __init__(self, seed: int) -> None:
        super().__init__(seed)
        rng = self.rng
        self.cat = Catalogue(rng, videos=(20, 60))
        self.per_page = rng.randint(6, 15)
        self.cat.remove_some("video", 0.05, stale=False)

    def truth(self, adapter: bool) -> dict[str, int]:
        return self.cat.truth(seen_removed=0)

    def case_settings(self) -> dict[str, Any]:
        return {"fetch": {"cookies": {"127.0.0.1": dict([COOKIE])}}}

    def path(self, e: Entry) -> str:
        return f"/clip/{e.id}-{e.slug}"

    def route(self, req: Request) -> Reply:
        if req.path == "/robots.txt":
            return Reply(200, "User-agent: *\nDisallow: /members/\n", TEXT)
        if req.path == "/age-verification":
            form = (
                '<form method="post" action="/age-verification"><p>This website contains adult material. '
                'Are you 18 or older?</p><button name="confirm" value="1">Enter</button></form>'
            )
            return Reply(200, page("Age verification", form))
        if req.cookies.get(COOKIE[0]) != COOKIE[1]:
            return Reply(302, "", headers={"Location": f"/age-verification?return={quote(req.path)}"})
        if req.path == "/":
            return Reply(200, page("Clips", '<nav><a href="/videos/">All videos</a></nav>'))
        if req.path == "/videos/":
            return self.listing(req.page() or 0)
        if m := CLIP.match(req.path):
            e = self.cat.get("video", int(m.group(1)))
            return self.clip(e) if e is not None and not e.removed and req.path == self.path(e) else MISSING
        return MISSING

    def microdata(self, e: Entry, *, full: bool) -> str:
        persons = "".join(
            f'<span itemprop="actor" itemscope itemtype="https://schema.org/Person"><span itemprop="name">'
            f"{escape(p)}</span></span>"
            for p in e.persons
        )
        return (
            '<div class="clip" itemscope itemtype="https://schema.org/VideoObject">'
            f'<a itemprop="url" href="{self.url(self.path(e))}"><img src="/thumbs/{e.id}.jpg" alt=""></a>'
            f'<h3 itemprop="name">{escape(e.title)}</h3>'
            f'<meta itemprop="duration" content="{iso_duration(e.duration or 0)}">'
            f'<span class="len">{fmt_duration(e.duration or 0)}</span>'
            f'<meta itemprop="uploadDate" content="{e.uploaded.isoformat()}">'
            '<div itemprop="interactionStatistic" itemscope itemtype="https://schema.org/InteractionCounter">'
            '<meta itemprop="interactionType" content="https://schema.org/WatchAction">'
            f'<meta itemprop="userInteractionCount" content="{e.views}">'
            f'<span class="views">{fmt_views_short(e.views)} views</span></div>'
            f"{persons if full else ''}</div>"
        )

    def listing(self, number: int) -> Reply:
        shown = page_of(self.cat.present("video"), self.per_page, number)
        if shown is None:
            return MISSING
        nxt = f'<link rel="next" href="/videos/?page={number + 1}">' if shown[1] else ""
        cards = "".join(self.microdata(e, full=False) for e in shown[0])
        return Reply(200, page("All videos", f'<div class="clips">{cards}</div>', head=nxt))

    def clip(self, e: Entry) -> Reply:
        body = self.microdata(e, full=True) + f'<p class="by">Uploaded by {escape(e.uploader)}</p>'
        return Reply(200, page(e.title, body, head=f'<link rel="canonical" href="{self.url(self.path(e))}">'))
