"""The forum page: threads and prices as `unmask forum stats` and `forum threads` give them (titles with
hidden names replaced, starters pseudonymized as the report shows them), by kind, a page at a time."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import Response

from unmask.web.cases import OpenCase
from unmask.web.errors import BadRequest

if TYPE_CHECKING:
    from unmask.web.views import Pages

PAGE_SIZE = 100
"""Threads per page."""


def forum_view(opened: OpenCase, kind: str | None) -> dict[str, Any]:
    """`forum stats` and the threads of one kind (all when None), every text redacted."""
    from unmask.forum.analysis import stats, threads

    policy = opened.policy()
    figures = stats(opened.case.store, policy)
    listed = threads(opened.case.store, policy, kind=kind)
    for t in listed:
        t["url"] = policy.redact(t["url"])
        t["section"] = policy.redact(t["section"])
        for price in t["prices"]:
            price["text"] = policy.redact(price["text"])
    return {"figures": figures, "threads": listed}


class ForumPages:
    def __init__(self, pages: Pages) -> None:
        self.pages = pages
        pages.warmers.append(lambda opened: self.view(opened, None))

    def view(self, opened: OpenCase, kind: str | None) -> dict[str, Any]:
        name = f"forum:{kind or ''}"
        found: dict[str, Any] = self.pages.cached(opened, name, lambda: forum_view(opened, kind))
        return found

    def page(self, request: Request) -> Response:
        from unmask.forum.kinds import KINDS

        pages = self.pages
        opened = pages.open(request)
        kind = request.query_params.get("kind", "") or None
        if kind is not None and kind not in KINDS:
            raise BadRequest(f"kind: choose from {', '.join(KINDS)}")
        start = request.query_params.get("start", "0")
        if not start.isdigit() or len(start) > 9:
            raise BadRequest("start: a number of threads")
        view = self.view(opened, kind)
        first = int(start)
        shown = view["threads"][first : first + PAGE_SIZE]
        return pages.render(
            request,
            "forum.html",
            case=opened,
            figures=view["figures"],
            threads=shown,
            total=len(view["threads"]),
            first=first,
            size=PAGE_SIZE,
            kind=kind or "",
            kinds=KINDS,
            **pages.runs.forum_form(opened),
        )
