"""The Crawl page: each platform's latest census run now, as `stats` shows it (``census.status``): its
status and phase, pages answered and waiting, the workers at work on it and its verdict. While a run is at
work the page reloads itself every few seconds."""

from __future__ import annotations

from typing import TYPE_CHECKING

from starlette.requests import Request
from starlette.responses import Response

if TYPE_CHECKING:
    from unmask.web.views import Pages

REFRESH_SECONDS = 5
"""How often the page reloads itself while a run is at work."""


class CrawlPages:
    def __init__(self, pages: Pages) -> None:
        self.pages = pages

    def page(self, request: Request) -> Response:
        from unmask.census.status import site_status

        opened = self.pages.open(request)
        policy = opened.policy()
        sites = [policy.redact_all(site) for site in site_status(opened.case)]
        refresh = REFRESH_SECONDS if any(site["at_work"] for site in sites) else None
        return self.pages.render(request, "crawl.html", case=opened, sites=sites, refresh=refresh)
