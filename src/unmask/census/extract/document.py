"""Decoding and parsing one HTML response, once, robustly.

Encoding: byte-order mark, then the declared (HTTP) charset, then ``<meta charset>``, then UTF-8 with
replacement characters. Parsing: lxml's recovering HTML parser, comments and processing
instructions dropped, no network, no 10 MB text node limit. Bodies above ``MAX_HTML_BYTES`` are cut there.
"""

from __future__ import annotations

import codecs
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import lxml.html
from lxml import etree
from w3lib.encoding import html_to_unicode

from unmask.core.urls import absolute, canonicalize, is_media, same_site

MAX_HTML_BYTES = 16 * 1024 * 1024
MAX_TEXT_CHARS = 10_000
"""A single extracted value (a title, a name) is cut to this many characters."""

_PARSER = lxml.html.HTMLParser(
    encoding="utf-8", remove_comments=True, remove_pis=True, no_network=True, recover=True, huge_tree=True
)
"""``huge_tree``: libxml2 otherwise stops at a text node over 10 MB (a page's inline app state) and loses
the rest of the page, JSON-LD included. Input is cut at ``MAX_HTML_BYTES`` first; nesting stays bounded."""
_BASE_HREF = etree.XPath("//head/base[@href][1]/@href")
_REL_LINKS = etree.XPath(
    "//link[@href and @rel] | //a[@href and @rel]",
)


def decode_html(body: bytes | str, encoding: str | None = None) -> str:
    """The body as text (never raises). ``encoding`` is the charset the HTTP response declared."""
    if isinstance(body, str):
        return body[:MAX_HTML_BYTES]
    body = body[:MAX_HTML_BYTES]
    header = f"text/html; charset={encoding}" if encoding and _known_codec(encoding) else None
    try:
        return html_to_unicode(header, body)[1]
    except (LookupError, TypeError, ValueError, UnicodeError):
        return body.decode("utf-8", "replace")


def _known_codec(name: str) -> bool:
    try:
        codecs.lookup(name.strip().strip("\"'"))
    except (LookupError, ValueError):
        return False
    return True


def parse_html(text: str) -> lxml.html.HtmlElement:
    """The document's ``<html>`` element; an empty one for an empty or unparsable body."""
    data = text.replace("\x00", "").encode("utf-8", "replace")
    try:
        root = lxml.html.document_fromstring(data, parser=_PARSER)
    except (etree.ParserError, etree.XMLSyntaxError, ValueError):
        root = None
    if root is None or not isinstance(root, lxml.html.HtmlElement):
        return lxml.html.document_fromstring(b"<html><body></body></html>", parser=_PARSER)
    return root


def text_of(node: object) -> str | None:
    """Collapsed text of an element, or of a string result (attribute value, text node)."""
    if isinstance(node, etree._Element):
        raw = node.text_content() if isinstance(node, lxml.html.HtmlElement) else "".join(node.itertext())
    elif isinstance(node, str):
        raw = node
    else:
        return None
    text = " ".join(raw[: MAX_TEXT_CHARS * 2].split())[:MAX_TEXT_CHARS]
    return text or None


def has_rel(element: etree._Element, rel: str) -> bool:
    return rel in (element.get("rel") or "").lower().split()


@dataclass
class Document:
    """One parsed HTML page: the tree, its URL and the base for relative links."""

    root: lxml.html.HtmlElement
    url: str
    base: str
    site: str
    """The crawl's base URL (or the page URL): links elsewhere are dropped."""
    _found: dict[str, str | None] = field(default_factory=dict, repr=False)
    structured: list[dict[str, Any]] | None = field(default=None, repr=False)
    """The page's JSON-LD and microdata nodes once read (``schemaorg.structured_nodes`` fills it)."""

    @classmethod
    def parse(
        cls, body: bytes | str, url: str, *, encoding: str | None = None, site: str | None = None
    ) -> Document:
        root = parse_html(decode_html(body, encoding))
        page = canonicalize(url)
        base_hrefs = _BASE_HREF(root)
        base = page
        if isinstance(base_hrefs, list) and base_hrefs:
            base = absolute(str(base_hrefs[0]), page) or page
        return cls(root=root, url=page, base=base, site=site or page)

    def resolve(self, href: str | None) -> str | None:
        """A same-site, non-media, canonical absolute URL for ``href``, or None."""
        if not href:
            return None
        url = absolute(href, self.base)
        if url is None or is_media(url) or not same_site(url, self.site):
            return None
        return url

    def rel_links(self, rel: str) -> Iterator[str]:
        """Resolved hrefs of ``<link>``/``<a>`` elements whose rel has ``rel``, in document order."""
        found = _REL_LINKS(self.root)
        for element in found if isinstance(found, list) else []:
            if isinstance(element, etree._Element) and has_rel(element, rel):
                url = self.resolve(element.get("href"))
                if url is not None:
                    yield url

    def canonical(self) -> str | None:
        if "canonical" not in self._found:
            self._found["canonical"] = next(self.rel_links("canonical"), None)
        return self._found["canonical"]

    def next_page(self) -> str | None:
        if "next" not in self._found:
            self._found["next"] = next((u for u in self.rel_links("next") if u != self.url), None)
        return self._found["next"]
