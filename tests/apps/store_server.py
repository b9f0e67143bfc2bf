"""A loopback app store serving the recorded answers of tests/fixtures/stores: per storefront, a script of
answers (one per check; the last repeats), and a log of every query asked."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from tests.helpers.json_server import JsonServer, Reply, Request

STORES = Path(__file__).resolve().parents[1] / "fixtures" / "stores"
HTML = "text/html; charset=utf-8"
APPLE_JSON = "text/javascript; charset=utf-8"
"""What Apple's lookup really labels its JSON (the fetch layer keeps it only for callers that ask)."""


def page(name: str, status: int = 200) -> Reply:
    kind = APPLE_JSON if name.endswith(".json") else HTML
    return Reply(status, (STORES / name).read_text(encoding="utf-8"), content_type=kind)


LISTED = page("play-listed.html")
LISTED_LATER = page("play-listed-later.html")
NOT_HERE = page("play-404.html", 404)
CAPTCHA = page("play-captcha.html", 429)
APPLE_LISTED = page("apple-listed.json")
APPLE_NONE = page("apple-none.json")


class StoreServer(JsonServer):
    """Play at /store/apps/details (storefront ``gl``), Apple at /lookup (``country``)."""

    def __init__(
        self, play: dict[str, list[Reply]] | None = None, apple: dict[str, list[Reply]] | None = None
    ):
        self.play = {k.upper(): v for k, v in (play or {}).items()}
        self.apple = {k.lower(): v for k, v in (apple or {}).items()}
        self.asked: list[dict[str, list[str]]] = []
        self._count: dict[str, int] = defaultdict(int)
        super().__init__({"/store/apps/details": self._answer_play, "/lookup": self._answer_apple})

    def _next(self, script: list[Reply] | None, key: str) -> Reply:
        if not script:
            return Reply(404, "<html>not found</html>", content_type=HTML)
        n = self._count[key]
        self._count[key] += 1
        return script[min(n, len(script) - 1)]

    def _answer_play(self, request: Request) -> Reply:
        query = parse_qs(urlsplit(request.path).query)
        self.asked.append(query)
        country = (query.get("gl") or [""])[0]
        return self._next(self.play.get(country), "play " + country)

    def _answer_apple(self, request: Request) -> Reply:
        query = parse_qs(urlsplit(request.path).query)
        self.asked.append(query)
        country = (query.get("country") or [""])[0]
        return self._next(self.apple.get(country), "apple " + country)
