"""The owner's pages: protected persons, the latest scan's matches and the takedown notices, from the
case's private protect/ folder (``protect.watchlist``, ``protect.scan.load_matches``,
``protect.notices.load_notices``, as `unmask protect report` reads them).

They name the persons an NGO protects, so they exist only for the owner's session
(:func:`unmask.web.security.is_owner`: a server on loopback, a browser on this machine, the owner's cookie
from the address printed at start). To anyone else they are "no such page", as if they did not exist; a
server off loopback has none. No name goes into an address (persons are numbered on the page) or a log.
"""

from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response

from unmask.core.errors import UnmaskError
from unmask.web.cases import OpenCase
from unmask.web.security import check_owner_key, is_owner, owner_cookie

if TYPE_CHECKING:
    from unmask.web.views import Pages

MATCHES_SHOWN = 500
"""Matches listed per person (all are counted)."""


def private_view(opened: OpenCase) -> dict[str, Any]:
    """The watchlist's persons with their matches (newest first) and the notices."""
    from unmask.protect.notices import load_notices
    from unmask.protect.scan import load_matches
    from unmask.protect.watchlist import Watchlist

    root = opened.case.root
    by_person: dict[str, list[Any]] = defaultdict(list)
    for match in load_matches(root):
        by_person[match.person].append(match)
    persons = []
    for number, person in enumerate(Watchlist(root).persons, 1):
        found = sorted(by_person.get(person.name, []), key=lambda m: m.last_seen, reverse=True)
        persons.append(
            {
                "number": number,
                "name": person.name,
                "aliases": person.aliases,
                "added": person.added,
                "matches": found[:MATCHES_SHOWN],
                "count": len(found),
                "present": sum(not m.removed for m in found),
            }
        )
    return {"persons": persons, "notices": [n.as_dict() for n in load_notices(root)]}


class ProtectPages:
    def __init__(self, pages: Pages) -> None:
        self.pages = pages

    def open_session(self, request: Request) -> Response:
        """``/owner?key=…``: this machine's browser becomes the owner's session (the key leaves the
        address at once); a wrong key, another machine or a server off loopback get nothing."""
        settings = self.pages.settings
        if not settings.is_loopback or not check_owner_key(settings, request.query_params.get("key")):
            return PlainTextResponse("refused\n", status_code=403)
        target = f"/c/{self.pages.shelf.single}/protect" if self.pages.shelf.single else "/"
        response = RedirectResponse(target, status_code=303)
        response.headers["set-cookie"] = owner_cookie(settings)
        return response

    def page(self, request: Request) -> Response:
        pages = self.pages
        if not is_owner(pages.settings, request.scope):
            return pages.error(request, 404, "no such page")
        opened = pages.open(request)
        try:
            view, message = private_view(opened), None
        except UnmaskError as exc:
            view, message = {"persons": [], "notices": []}, str(exc)
        return pages.render(request, "protect.html", case=opened, message=message, **view)
