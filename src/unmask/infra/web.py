"""The web fingerprint of a site's home page: status, server headers, title, favicon hash, linking IDs.

``https://DOMAIN/`` is fetched (``http://`` when HTTPS does not answer) through ``ctx.fetch``, so the
connection goes to the scan's own DNS answer and every response is recorded as evidence; each
observation carries the capture it came from. Linking IDs come from the page, from up to
``max_scripts`` same-site scripts, and from Tag Manager containers: a container the site serves
itself is read in every scan, Google's copy (``googletagmanager.com/gtm.js?id=``) only with
``--active`` (a third party). Which headers are read is data (``data/web.yaml``; every header that a
masking signature of ``data/masking.yaml`` names is recorded as ``web.header`` too); how much is read
is the source's options.
"""

from __future__ import annotations

import dataclasses
import functools
import html
import re
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from importlib import resources
from urllib.parse import urljoin, urlsplit

import yaml

from unmask.core.fetch.exchange import FetchResponse
from unmask.core.identifiers import LinkingId, extract_linking_ids
from unmask.infra.base import Failure, Observation, ScanContext, ScanOptions, Source, http_failure, option
from unmask.infra.favicon import shodan_favicon_hash

_TITLE = re.compile(r"<title\b[^>]*>(.*?)</title\s*>", re.IGNORECASE | re.DOTALL)
_TAG = re.compile(r"<(link|script)\b([^>]{0,2000})>", re.IGNORECASE)
_ATTR = re.compile(r"""([a-zA-Z_:][-a-zA-Z0-9_:.]*)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+))""")
_SPACE = re.compile(r"\s+")
HTML_TYPES = ("text/html", "application/xhtml+xml", "")
FAVICON_SOURCE = "web.favicon"
SCRIPT_SOURCE = "web.script"
"""Failures of a page's favicon or scripts name these sources, not ``web``: a missing icon or one dead
script does not make the page's other observations (title, linking IDs in the HTML) unknown."""


@dataclass(frozen=True)
class WebOptions:
    max_html_bytes: int = option(4 * 1024 * 1024, "bytes of the home page read for title and IDs", minimum=1)
    max_scripts: int = option(10, "same-site scripts fetched per domain", minimum=0)
    max_script_bytes: int = option(2 * 1024 * 1024, "bytes of each script read", minimum=1)
    max_gtm_containers: int = option(3, "Tag Manager containers fetched per domain (--active)", minimum=0)
    max_header_value: int = option(300, "characters of a header value kept", minimum=1)


@dataclass(frozen=True)
class WebRules:
    server_headers: tuple[str, ...]
    headers: frozenset[str]
    set_cookie_names: bool
    gtm_url: str


@functools.cache
def web_rules() -> WebRules:
    text = resources.files("unmask.infra").joinpath("data/web.yaml").read_text(encoding="utf-8")
    data = yaml.safe_load(text)
    headers = {str(h).lower() for h in data["headers"]}
    try:  # every header a masking signature looks at
        from unmask.infra.masking import masking_table

        headers |= {sig.name.lower() for service in masking_table().services for sig in service.headers}
    except ImportError:  # pragma: no cover - masking not installed
        pass
    return WebRules(
        server_headers=tuple(str(h).lower() for h in data["server_headers"]),
        headers=frozenset(headers - {"set-cookie"}),
        set_cookie_names=bool(data.get("set_cookie_names", True)),
        gtm_url=str(data["gtm_url"]),
    )


@dataclass(frozen=True)
class PageLinks:
    icons: list[str]
    scripts: list[str]


def page_title(text: str) -> str | None:
    match = _TITLE.search(text, 0, 200_000)
    if not match:
        return None
    title = _SPACE.sub(" ", html.unescape(re.sub(r"<[^>]*>", " ", match.group(1)))).strip()
    return title[:300] or None


def page_links(text: str, base: str) -> PageLinks:
    """Icons (``<link rel~=icon>``) and script sources of a page, absolute, in page order."""
    icons: list[str] = []
    scripts: list[str] = []
    for match in _TAG.finditer(text):
        attrs = {
            m.group(1).lower(): next(g for g in m.groups()[1:] if g is not None)
            for m in _ATTR.finditer(match.group(2))
        }
        tag = match.group(1).lower()
        if tag == "link" and "icon" in attrs.get("rel", "").lower().split() and attrs.get("href"):
            icons.append(urljoin(base, html.unescape(attrs["href"].strip())))
        elif tag == "script" and attrs.get("src"):
            scripts.append(urljoin(base, html.unescape(attrs["src"].strip())))
    return PageLinks(list(dict.fromkeys(icons)), list(dict.fromkeys(scripts)))


def same_site(url: str, domain: str, page_host: str) -> bool:
    host = (urlsplit(url).hostname or "").lower()
    return urlsplit(url).scheme in ("http", "https") and (
        host in (domain, page_host) or host.endswith("." + domain)
    )


def is_gtm_container(url: str) -> bool:
    parts = urlsplit(url)
    return parts.path.endswith("/gtm.js") and "id=GTM-" in parts.query


class WebFingerprint(Source[WebOptions]):
    """Status, server headers, title, favicon hash and linking IDs of the home page."""

    name = "web"
    after = ("dns",)
    connects = True

    def endpoints(self, scan: ScanOptions) -> list[str]:
        return [web_rules().gtm_url] if scan.active else []

    async def run(self, ctx: ScanContext) -> AsyncIterator[Observation | Failure]:
        rules = web_rules()
        limits = self.options
        domain = ctx.domain
        errors: list[str] = []
        for scheme in ("https", "http"):
            answer = await self.ask(domain, functools.partial(ctx.fetch, f"{scheme}://{domain}/"))
            if not isinstance(answer, Failure):
                response = answer
                break
            errors.append(f"{scheme}: {answer.error}")
        else:
            yield Failure(self.name, domain, "; ".join(errors)[:300])
            return
        capture = response.capture_id
        yield Observation(
            "web.status", str(response.status), domain, self.name, {"url": response.url}, capture
        )
        for obs in self._headers(response, domain, rules, limits.max_header_value):
            yield obs
        if response.status >= 400:
            yield Failure(self.name, domain, str(http_failure(response.status)))
            return
        ctype = response.content_type.split(";", 1)[0].strip().lower()
        if ctype not in HTML_TYPES:
            yield Failure(self.name, domain, f"not HTML ({ctype})")
            return
        text = response.body[: limits.max_html_bytes].decode("utf-8", errors="replace")
        title = page_title(text)
        if title:
            yield Observation("web.title", title, domain, self.name, {"url": response.url}, capture)
        ids = extract_linking_ids(text, where="html")
        for ident in ids:
            yield self._linking(ident, domain, "html", response.url, capture)
        links = page_links(text, response.url)
        async for item in self._favicon(ctx, links, response.url):
            yield item
        async for item in self._scripts(ctx, links, response.url, ids, rules):
            yield item

    def _headers(
        self, response: FetchResponse, domain: str, rules: WebRules, cap: int
    ) -> Iterator[Observation]:
        detail = {"url": response.url}
        for key, value in response.headers:
            name = key.lower()
            value = value.strip()[:cap]
            if name in rules.server_headers and value:
                yield Observation(
                    "web.server", f"{name}: {value}", domain, self.name, detail, response.capture_id
                )
            if name in rules.headers:
                yield Observation(
                    "web.header", f"{name}: {value}", domain, self.name, detail, response.capture_id
                )
            elif name == "set-cookie" and rules.set_cookie_names:
                cookie = value.split("=", 1)[0].strip()
                if cookie:
                    line = f"set-cookie: {cookie}"
                    yield Observation("web.header", line, domain, self.name, detail, response.capture_id)

    def _linking(
        self, ident: LinkingId, domain: str, where: str, url: str, capture: int | None
    ) -> Observation:
        detail = {"name": ident.name, "where": where, "url": url, "context": ident.context}
        return Observation("linking_id", ident.key, domain, self.name, detail, capture)

    async def _favicon(
        self, ctx: ScanContext, links: PageLinks, page_url: str
    ) -> AsyncIterator[Observation | Failure]:
        candidates = [*links.icons[:2], urljoin(page_url, "/favicon.ico")]
        last_error = ""
        for url in dict.fromkeys(candidates):
            if url.startswith("data:") or urlsplit(url).scheme not in ("http", "https"):
                continue
            icon = await self.ask(ctx.domain, functools.partial(ctx.fetch, url, favicon=True))
            if isinstance(icon, Failure):
                last_error = icon.error
                continue
            if icon.status != 200 or not icon.body:
                last_error = str(http_failure(icon.status)) if icon.status != 200 else "empty"
                continue
            if icon.truncated:
                last_error = "too large"
                continue
            detail = {"url": url, "bytes": len(icon.body)}
            value = str(shodan_favicon_hash(icon.body))
            yield Observation("web.favicon_mmh3", value, ctx.domain, self.name, detail, icon.capture_id)
            return
        yield Failure(FAVICON_SOURCE, ctx.domain, f"favicon: {last_error or 'none'}")

    async def _scripts(
        self,
        ctx: ScanContext,
        links: PageLinks,
        page_url: str,
        page_ids: list[LinkingId],
        rules: WebRules,
    ) -> AsyncIterator[Observation | Failure]:
        limits = self.options
        page_host = (urlsplit(page_url).hostname or "").lower()
        own = [u for u in links.scripts if same_site(u, ctx.domain, page_host)]
        gtm_ids = [i.value for i in page_ids if i.kind == "gtm"]
        third_party: list[str] = []
        if ctx.options.active:
            third_party = [u for u in links.scripts if is_gtm_container(u) and u not in own]
            third_party += [rules.gtm_url.format(id=gtm) for gtm in gtm_ids]
            third_party = list(dict.fromkeys(third_party))[: limits.max_gtm_containers]
        for url in [*own[: limits.max_scripts], *third_party]:
            script = await self.ask(ctx.domain, functools.partial(ctx.fetch, url))
            if isinstance(script, Failure):
                yield dataclasses.replace(
                    script, source=SCRIPT_SOURCE, error=f"script {url[:200]}: {script.error}"
                )
                continue
            if script.status != 200:
                failed = http_failure(script.status)
                yield Failure(SCRIPT_SOURCE, ctx.domain, f"script {url[:200]}: {failed}")
                continue
            where = "gtm" if is_gtm_container(url) else "script"
            text = script.body[: limits.max_script_bytes].decode("utf-8", errors="replace")
            for ident in extract_linking_ids(text, where=where):
                yield self._linking(ident, ctx.domain, f"{where}:{url[:300]}", url, script.capture_id)
