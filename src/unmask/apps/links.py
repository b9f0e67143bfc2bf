"""Which links promote an app, and which app: store listings, mirrors, direct APK downloads, ``market:``
and ``intent:`` links, deep links into an app, and page metadata (Smart App Banner, App Links). The
patterns are data (``data/app_links.yaml``)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import yaml

PACKAGE = re.compile(r"^[A-Za-z][\w]*(?:\.[A-Za-z_][\w]*)+$")
MAX_LINK = 4000


@dataclass(frozen=True, slots=True)
class AppLink:
    kind: str
    """play | apple | huawei | samsung | mirror | apk | intent | deeplink"""
    app_id: str | None
    """The package name, or ``apple:ID`` / ``huawei:ID``; None for a download or a deep link whose app is
    not named."""
    store: str | None = None
    """The store unmask checks it in (play, apple)."""
    country: str | None = None


@dataclass(frozen=True)
class _Listing:
    kind: str
    store: str | None
    hosts: frozenset[str]
    path: re.Pattern[str]
    id_param: str | None
    id_prefix: str
    country_param: str | None


@dataclass(frozen=True)
class LinkRules:
    listings: tuple[_Listing, ...]
    by_host: dict[str, tuple[_Listing, ...]]
    """Each listing host → its listings, in the order of the YAML (a link's host and its parent domains
    are looked up: one dict look-up per label instead of a test per host)."""
    market_param: str
    intent_package: re.Pattern[str]
    apk_extensions: frozenset[str]
    ordinary_schemes: frozenset[str]
    meta: tuple[dict[str, Any], ...]
    banner: re.Pattern[str]


@cache
def rules() -> LinkRules:
    raw = yaml.safe_load(resources.files("unmask.apps").joinpath("data/app_links.yaml").read_text("utf-8"))
    listings = tuple(
        _Listing(
            kind=str(e["kind"]),
            store=e.get("store"),
            hosts=frozenset(str(h) for h in e["hosts"]),
            path=re.compile(e["path"]),
            id_param=e.get("id_param"),
            id_prefix=str(e.get("id_prefix", "")),
            country_param=e.get("country_param"),
        )
        for e in raw["listings"]
    )
    meta = tuple({**m, "id": re.compile(m["id"])} for m in raw["meta"])
    by_host: dict[str, list[_Listing]] = {}
    for listing in listings:
        for host in listing.hosts:
            by_host.setdefault(host, []).append(listing)
    return LinkRules(
        listings=listings,
        by_host={host: tuple(found) for host, found in by_host.items()},
        market_param=str(raw["market"]["id_param"]),
        intent_package=re.compile(raw["intent"]["package"]),
        apk_extensions=frozenset(str(e) for e in raw["apk_extensions"]),
        ordinary_schemes=frozenset(str(s) for s in raw["ordinary_schemes"]),
        meta=meta,
        banner=re.compile("|".join(f"(?:{w})" for w in raw["banner_words"]), re.IGNORECASE),
    )


def _listings_of(host: str, r: LinkRules) -> list[_Listing]:
    """The listings whose hosts are ``host`` or one of its parent domains, in the YAML's order."""
    labels = host.split(".")
    found = {id(x): x for i in range(len(labels)) for x in r.by_host.get(".".join(labels[i:]), ())}
    return [listing for listing in r.listings if id(listing) in found] if found else []


def could_be_download(href: str) -> bool:
    """Whether a link without a scheme or host (``/dl/app.apk``, ``app.apk?v=2``) may be an app link:
    only a direct download can be (a cheap test before the link is made absolute)."""
    path = href.split("#", 1)[0].split("?", 1)[0].rstrip()
    last = path.rsplit("/", 1)[-1]
    return "." in last and last.rsplit(".", 1)[-1].lower() in rules().apk_extensions


def classify(href: str) -> AppLink | None:
    """What app, if any, a link points at; None for an ordinary link."""
    href = href.strip()[:MAX_LINK]
    try:
        parts = urlsplit(href)
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    r = rules()
    if scheme in ("http", "https"):
        host = (parts.hostname or "").lower().rstrip(".")
        for listing in _listings_of(host, r):
            query = parse_qs(parts.query)
            match = listing.path.search(unquote(parts.path) + ("#" + parts.fragment if "#/" in href else ""))
            if match is None:
                continue
            app_id = _first(query, listing.id_param) if listing.id_param else match.groupdict().get("id")
            if not app_id or (not listing.id_prefix and not PACKAGE.match(app_id)):
                continue
            country = _first(query, listing.country_param) if listing.country_param else None
            country = country or match.groupdict().get("country")
            return AppLink(listing.kind, listing.id_prefix + app_id, listing.store, _country(country))
        extension = parts.path.rsplit("/", 1)[-1].rsplit(".", 1)[-1].lower() if "." in parts.path else ""
        if extension in r.apk_extensions:
            return AppLink("apk", None)
        return None
    if scheme == "market":
        app_id = _first(parse_qs(parts.query), r.market_param)
        return AppLink("play", app_id, "play") if app_id and PACKAGE.match(app_id) else None
    if scheme == "intent":
        match = r.intent_package.search(href)
        return AppLink("intent", match.group("id") if match else None, "play" if match else None)
    if scheme and scheme not in r.ordinary_schemes and re.fullmatch(r"[a-z][a-z0-9+.-]{1,30}", scheme):
        return AppLink("deeplink", None)
    return None


def _first(query: dict[str, list[str]], name: str) -> str | None:
    values = query.get(name)
    return values[0] if values else None


def _country(value: str | None) -> str | None:
    return value.lower() if value and re.fullmatch(r"[A-Za-z]{2}", value) else None


def meta_app(attribute: str, name: str, content: str) -> AppLink | None:
    """The app a ``<meta>`` names (Apple's Smart App Banner, App Links), or None."""
    for rule in rules().meta:
        if rule["attribute"] == attribute and rule["value"] == name:
            match = rule["id"].search(content.strip())
            if match:
                return AppLink(rule["kind"], rule.get("id_prefix", "") + match.group("id"), rule.get("store"))
    return None


def is_banner_text(text: str) -> bool:
    return bool(rules().banner.search(text[:500]))
