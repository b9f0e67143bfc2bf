"""The apps and policies page: each app the platform promotes, as `unmask apps show` gives it (store
presence per storefront, versions with certificates, trackers and permissions, the pages that promoted
it, its privacy policies' signals with their sentences), every text through the case's privacy policy."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import Response

from unmask.web.cases import OpenCase

if TYPE_CHECKING:
    from unmask.web.views import Pages

APPS_SHOWN = 50
"""Apps on the page (the case may hold more: the page says how many)."""


def case_apps(opened: OpenCase) -> tuple[list[dict[str, Any]], int]:
    """The first :data:`APPS_SHOWN` apps (`apps show --json` each, redacted) and how many the case holds."""
    from unmask.apps.show import packages, summary

    policy = opened.policy()
    names = packages(opened.case.store)
    apps = [
        policy.redact_all(summary(opened.case.store, p, opened.case.config.apps)) for p in names[:APPS_SHOWN]
    ]
    return apps, len(names)


class AppPages:
    def __init__(self, pages: Pages) -> None:
        self.pages = pages
        pages.warmers.append(self.apps)

    def apps(self, opened: OpenCase) -> tuple[list[dict[str, Any]], int]:
        found: tuple[list[dict[str, Any]], int] = self.pages.cached(opened, "apps", lambda: case_apps(opened))
        return found

    def page(self, request: Request) -> Response:
        pages = self.pages
        opened = pages.open(request)
        apps, total = self.apps(opened)
        jobs = [j for j in pages.jobs.of_case(opened.slug) if j.kind == "apps"]
        return pages.render(request, "apps.html", case=opened, apps=apps, total=total, jobs=jobs)
