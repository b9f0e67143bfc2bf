"""The demo platform's app: an invented app the platform promotes, its store listing and its privacy
policy, served by the demo server on loopback (``unmask demo`` points ``apps.play_base`` there).

The home page and the first page of every listing carry a Google Play badge link
(``https://play.google.com/store/apps/details?id=…``, as real platforms do; the crawler never follows
it, ``apps discover`` finds it on the stored pages). The listing is a Play page
with its data where Google Play puts it (``AF_initDataCallback`` blocks, the listing in ``ds:5``, at the
places google-play-scraper's element specs read); the policy admits what such policies admit. Every
name, address and domain here is invented.
"""

from __future__ import annotations

import json
from html import escape
from typing import Any, Final
from urllib.parse import parse_qs

PACKAGE: Final = "com.glimmerpath.mirage"
APP_NAME: Final = "Mirage Studio: Face Swap"
DEVELOPER: Final = "Glimmerpath Studio Limited"
DEVELOPER_ID: Final = "Glimmerpath+Studio"
EMAIL: Final = "support@glimmerpath.example"
WEBSITE: Final = "https://glimmerpath.example"
ADDRESS: Final = "Room 1708, 9 Invented Lane, Nanshan District, Shenzhen, China"
OPERATOR: Final = "Glimmerpath Studio Ltd"
"""The company behind the app as the demo's invented register names it (the store writes "Limited")."""
PLAY_LINK: Final = f"https://play.google.com/store/apps/details?id={PACKAGE}"
STORE_PATH: Final = "/store/apps/details"
POLICY_PATH: Final = "/app/privacy"

PLAY_PATHS: Final[dict[str, list[int]]] = {  # google_play_scraper.constants.element.ElementSpecs.Detail
    "title": [1, 2, 0, 0],
    "installs": [1, 2, 13, 0],
    "ratings": [1, 2, 51, 2, 1],
    "developer": [1, 2, 68, 0],
    "developerId": [1, 2, 68, 1, 4, 2],
    "developerEmail": [1, 2, 69, 1, 0],
    "developerWebsite": [1, 2, 69, 0, 5, 2],
    "developerAddress": [1, 2, 69, 2, 0],
    "privacyPolicy": [1, 2, 99, 0, 5, 2],
    "released": [1, 2, 10, 0],
    "lastUpdatedOn": [1, 2, 145, 0, 0],
    "version": [1, 2, 140, 0, 0, 0],
}
PLAY_NOT_FOUND: Final = (
    "<!DOCTYPE html><html lang=en><meta charset=utf-8><title>Error 404 (Not Found)!!1</title>"
    "<p><b>404.</b> <ins>That’s an error.</ins><p>We're sorry, the requested URL was not found on this "
    "server. <ins>That’s all we know.</ins></html>"
)


def _put(root: list[Any], path: list[int], value: Any) -> None:
    node = root
    for i, index in enumerate(path):
        while len(node) <= index:
            node.append(None)
        if i == len(path) - 1:
            node[index] = value
        else:
            if not isinstance(node[index], list):
                node[index] = []
            node = node[index]


def play_page(**facts: Any) -> str:
    """A Google Play listing page holding ``facts`` (keys of :data:`PLAY_PATHS`)."""
    ds5: list[Any] = []
    for key, value in facts.items():
        _put(ds5, PLAY_PATHS[key], f"/store/apps/dev?id={value}" if key == "developerId" else value)
    blocks = [("ds:0", [[None, "shell"]]), ("ds:5", ds5)]
    scripts = "\n".join(
        f"<script class=\"ds:{n}\" nonce=\"x\">AF_initDataCallback({{key: '{key}', hash: '{n}', "
        f"data:{json.dumps(data, ensure_ascii=False)}, sideChannel: {{}}}});</script>"
        for n, (key, data) in enumerate(blocks)
    )
    title = escape(str(facts.get("title", "")))
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>'
        f"{title} - Apps on Google Play</title></head><body>{scripts}</body></html>"
    )


def listing(base: str) -> dict[str, Any]:
    """The app's listing facts; its privacy policy is served by the same demo server."""
    return {
        "title": APP_NAME,
        "installs": "100,000+",
        "ratings": 4821,
        "developer": DEVELOPER,
        "developerId": DEVELOPER_ID,
        "developerEmail": EMAIL,
        "developerWebsite": WEBSITE,
        "developerAddress": ADDRESS,
        "privacyPolicy": base + POLICY_PATH,
        "released": "Jun 2, 2023",
        "lastUpdatedOn": "Nov 18, 2024",
        "version": "3.4.0",
    }


def listing_page(query: bytes, base: str) -> tuple[int, bytes]:
    """The answer to ``STORE_PATH?id=…&gl=…``: the listing in every storefront, Play's 404 for another app."""
    asked = parse_qs(query.decode("latin-1")).get("id", [""])[0]
    if asked != PACKAGE:
        return 404, PLAY_NOT_FOUND.encode()
    return 200, play_page(**listing(base)).encode()


POLICY_PARAGRAPHS: Final = (
    "Mirage Studio Privacy Policy. Last updated: 18 November 2024.",
    f'Mirage Studio is operated by {OPERATOR} ("Glimmerpath", "we", "us"). We are the personal '
    "information processor of the information described in this policy under the Personal Information "
    "Protection Law of the People's Republic of China (PIPL).",
    "We collect the photos and videos you upload and we process the faces in them, including facial "
    "features and face geometry, to create face swap results.",
    "We may use the photos you upload and the results you create to train and improve our models.",
    "Your personal information is stored on servers located in mainland China.",
    "We may transfer your personal information to our affiliates outside the country where you live.",
    "We may share your personal information without your consent where it is directly related to "
    "national security, public safety or criminal investigation, or when competent authorities request it.",
    "We keep your information for as long as your account exists and for three years after you close it.",
    "You may ask us to delete your account by writing to us at the e-mail address shown in the store.",
)


def policy_page() -> bytes:
    """The app's privacy policy as an HTML page (a navigation and a footer around the text)."""
    body = "\n".join(f"<p>{escape(p)}</p>" for p in POLICY_PARAGRAPHS)
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>Privacy Policy – Mirage Studio'
        f'</title></head>\n<body><nav><a href="{WEBSITE}">Glimmerpath</a></nav>\n'
        f"<article><h1>Privacy Policy</h1>\n{body}\n</article>\n"
        f"<footer>© 2024 {escape(OPERATOR)}</footer></body></html>\n"
    ).encode()


def banner_html() -> str:
    """The app promotion on the platform's home page and first listing pages: a store badge link."""
    return (
        f'<aside class="app-banner"><a class="store-badge" href="{escape(PLAY_LINK)}" '
        f'title="Get it on Google Play">{escape(APP_NAME)}</a></aside>'
    )
