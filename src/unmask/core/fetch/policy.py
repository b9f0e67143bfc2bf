"""The fetch layer's body policy, in one place: what may be requested, and what may be stored.

Allow-list, not deny-list. A response body is stored only when it is positively text: a text type
(HTML, XHTML, XML, JSON, plain text; CSS and JavaScript for callers that ask for scripts) or no type
at all, exactly one known content coding, and a head that decodes in its charset with no binary byte.
Everything else is refused after the headers, recorded with its headers and the reason, never its
body. Gzip containers (``.xml.gz`` sitemaps) are judged by what is inside them. Two exceptions, each
narrow: the favicon (ICO, PNG or SVG whose bytes match, from the site's own host, small, never
redirected), and a binary a request explicitly allows (:class:`BinaryAllowance`, named in
``policy.yaml``: an APK the investigator asked for), kept whole under its cap or refused whole.

The tables live in ``policy.yaml``; magic numbers there only name a refused format in its reason.
"""

from __future__ import annotations

import codecs
import re
import zlib
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any
from urllib.parse import urlsplit

import yaml

from unmask.core.errors import FetchRefused
from unmask.core.fetch.exchange import Headers
from unmask.core.secrets import REDACTED

# -- refusals --------------------------------------------------------------------------------------

SCHEME = "scheme"
USERINFO = "userinfo"
OFF_ORIGIN = "off-origin"
PRIVATE_ADDRESS = "private-address"
MEDIA_URL = "media-url"
TYPE = "type"
MULTIPART = "multipart"
ENCODING = "encoding"
PARTIAL = "partial"
BINARY = "binary"
FAVICON = "favicon"
ALLOWANCE = "allowance"
CODES: tuple[str, ...] = (
    SCHEME, USERINFO, OFF_ORIGIN, PRIVATE_ADDRESS, MEDIA_URL,
    TYPE, MULTIPART, ENCODING, PARTIAL, BINARY, FAVICON, ALLOWANCE,
)  # fmt: skip
"""Every refusal code. The first five are decided before a request is sent (nothing leaves the machine)."""


@dataclass(frozen=True, slots=True)
class Refusal:
    """Why the fetch layer will not send a request or keep a body: a code (counted) and a detail."""

    code: str
    detail: str

    def __str__(self) -> str:
        return f"{self.code}: {self.detail}"


class Refused(FetchRefused):
    """A refusal by the fetch layer's policy (``FetchRefused`` with its code)."""

    def __init__(self, refusal: Refusal, url: str) -> None:
        self.refusal = refusal
        super().__init__(str(refusal), url)

    @property
    def code(self) -> str:
        return self.refusal.code


def refusal_code(reason: str | None) -> str | None:
    """The code of a refusal as stored in ``capture.refused`` (``"code: detail"``), or None."""
    if not reason:
        return None
    code = reason.split(":", 1)[0]
    return code if code in CODES else None


# -- the tables ------------------------------------------------------------------------------------


def _hex(text: str) -> bytes:
    return bytes.fromhex(text.replace(" ", ""))


@dataclass(frozen=True)
class PolicyData:
    text_types: frozenset[str]
    text_suffixes: tuple[str, ...]
    never_text_prefixes: tuple[str, ...]
    script_types: frozenset[str]
    container_types: frozenset[str]
    unlabelled_types: frozenset[str]
    content_encodings: frozenset[str]
    head_bytes: int
    window_bytes: int
    window_binary_share: float
    favicon_types: frozenset[str]
    favicon_magic: dict[str, bytes]
    media_extensions: frozenset[str]
    media_content_types: frozenset[str]
    magic: tuple[tuple[int, bytes, str, bool], ...]
    secret_headers: frozenset[str]
    secret_header_words: tuple[str, ...]
    binary_allowances: dict[str, tuple[frozenset[str], tuple[bytes, ...]]]
    """name: (media types, magic numbers) of the binaries a request may name."""


@cache
def data() -> PolicyData:
    raw: dict[str, Any] = yaml.safe_load(
        resources.files("unmask.core.fetch").joinpath("policy.yaml").read_text(encoding="utf-8")
    )

    def lower_set(key: str) -> frozenset[str]:
        return frozenset(str(v).lower() for v in raw[key])

    favicon = raw["favicon"]
    return PolicyData(
        text_types=lower_set("text_types"),
        text_suffixes=tuple(str(s).lower() for s in raw["text_suffixes"]),
        never_text_prefixes=tuple(str(s).lower() for s in raw["never_text_prefixes"]),
        script_types=lower_set("script_types"),
        container_types=lower_set("container_types"),
        unlabelled_types=lower_set("unlabelled_types"),
        content_encodings=lower_set("content_encodings"),
        head_bytes=int(raw["head_bytes"]),
        window_bytes=int(raw["window_bytes"]),
        window_binary_share=float(raw["window_binary_share"]),
        favicon_types=frozenset(str(v).lower() for v in favicon["types"]),
        favicon_magic={str(k): _hex(str(v)) for k, v in favicon["formats"].items()},
        media_extensions=frozenset(str(e).lower() for exts in raw["media_extensions"].values() for e in exts),
        media_content_types=lower_set("media_content_types"),
        magic=tuple((int(o), _hex(str(m)), str(n), bool(media)) for o, m, n, media in raw["magic"]),
        secret_headers=lower_set("secret_headers"),
        secret_header_words=tuple(str(w).lower() for w in raw["secret_header_words"]),
        binary_allowances={
            str(name): (
                frozenset(str(t).lower() for t in entry["types"]),
                tuple(_hex(str(m)) for m in entry["magic"]),
            )
            for name, entry in raw["binary_allowances"].items()
        },
    )


MEDIA_EXTENSIONS: frozenset[str] = data().media_extensions


@dataclass(frozen=True, slots=True)
class BinaryAllowance:
    """The one binary body a single request may keep (``FetchRequest.binary``), made by
    :func:`binary_allowance` from the table in ``policy.yaml``.

    Never media: its magic numbers must name no media format. A 200 answer must carry one of
    ``content_types`` (or none), its decoded body start with one of ``magic`` and be at most
    ``max_bytes`` long, and arrive whole: it is kept whole as evidence, or refused whole (a cut binary
    is no evidence). Any other status is judged by the ordinary text rules (an error page)."""

    name: str
    content_types: frozenset[str]
    magic: tuple[bytes, ...]
    max_bytes: int

    def __post_init__(self) -> None:
        if not self.magic or any(not m or sniff_media(m + bytes(16)) for m in self.magic):
            raise ValueError(f"binary allowance {self.name}: its magic numbers must name no media format")
        if self.max_bytes <= 0:
            raise ValueError(f"binary allowance {self.name}: a cap of {self.max_bytes} bytes")


def binary_allowance(name: str, max_bytes: int) -> BinaryAllowance:
    """The allowance ``policy.yaml`` names ``name`` (``apk``), capped at ``max_bytes``."""
    types, magic = data().binary_allowances[name]
    return BinaryAllowance(name, types, magic, max_bytes)


# -- requests --------------------------------------------------------------------------------------

ALLOWED_SCHEMES: frozenset[str] = frozenset({"http", "https"})


def url_extension(url: str) -> str:
    """The extension of a URL's last path segment, path parameters (``;jsessionid=…``) and a
    trailing slash (``clip.ts/``) ignored."""
    try:
        path = urlsplit(url).path
    except ValueError:
        return ""
    last = path.rstrip("/").rsplit("/", 1)[-1].split(";", 1)[0]
    if "." not in last:
        return ""
    return last.rsplit(".", 1)[-1].lower()


def is_media_url(url: str) -> bool:
    return url_extension(url) in data().media_extensions


def is_favicon_url(url: str) -> bool:
    try:
        return urlsplit(url).path.lower().endswith("/favicon.ico")
    except ValueError:
        return False


def refuse_url(url: str, *, favicon: bool = False) -> Refusal | None:
    """Why this URL must not be requested (scheme, media extension), or None if it may be."""
    try:
        scheme = urlsplit(url).scheme.lower()
    except ValueError:
        return Refusal(SCHEME, "not a URL")
    if scheme not in ALLOWED_SCHEMES:
        return Refusal(SCHEME, f"{scheme or '(none)'} is not fetched")
    if is_media_url(url) and not (favicon or is_favicon_url(url)):
        return Refusal(MEDIA_URL, f".{url_extension(url)} is a media extension")
    return None


# -- headers ---------------------------------------------------------------------------------------


def media_type(content_type: str | None) -> str:
    return (content_type or "").split(";", 1)[0].strip().lower()


def charset_of(content_type: str | None) -> str | None:
    match = re.search(r";\s*charset\s*=\s*[\"']?([^\"';\s]+)", content_type or "", re.IGNORECASE)
    return match.group(1) if match else None


def _values(headers: Headers, name: str) -> list[str]:
    lname = name.lower()
    return [v for k, v in headers if k.lower() == lname]


@dataclass(frozen=True, slots=True)
class BodyRule:
    """How a body that passed the header checks is judged while it streams in."""

    coding: str
    """The one content coding to remove (``identity`` when none)."""
    favicon: bool = False
    charset: str | None = None
    """The charset the headers declare (None: the body's BOM, meta tag, or UTF-8 else Latin-1)."""
    container: bool = True
    """Look inside a gzip container (a body that starts with the gzip magic) and judge what it holds."""
    binary: BinaryAllowance | None = None
    """Judge the body as the binary this allowance describes, not as text."""


def judge_headers(
    status: int,
    headers: Headers,
    *,
    favicon: bool = False,
    scripts: bool = False,
    favicon_max: int = 32 * 1024,
    binary: BinaryAllowance | None = None,
) -> BodyRule | Refusal:
    """The rule for reading a response's body, or why it must not be read at all. ``binary``: the
    request's explicit allowance for one binary (a 200 answer is then judged as that binary)."""
    d = data()
    if status == 206 or _values(headers, "content-range"):
        return Refusal(PARTIAL, "a partial body (206 / Content-Range)")
    codings = [c.strip().lower() for v in _values(headers, "content-encoding") for c in v.split(",")]
    codings = [c for c in codings if c]
    if len(codings) > 1:
        return Refusal(ENCODING, f"stacked content codings ({', '.join(codings)})")
    coding = codings[0] if codings else "identity"
    if coding not in d.content_encodings:
        return Refusal(ENCODING, f"unknown content coding {coding}")
    types = {media_type(v) for v in _values(headers, "content-type")}
    if len(types) > 1:
        return Refusal(TYPE, f"conflicting content types ({', '.join(sorted(types))})")
    ctype = next(iter(types), "")
    ct_header = next(iter(_values(headers, "content-type")), "")
    if ctype.startswith("multipart/"):
        return Refusal(MULTIPART, f"{ctype} is never read")
    if favicon:
        return _judge_favicon_headers(status, headers, ctype, favicon_max, coding)
    if binary is not None and status == 200:
        return _judge_binary_headers(headers, ctype, coding, binary)
    if ctype in d.unlabelled_types or ctype in d.container_types:
        return BodyRule(coding, charset=charset_of(ct_header))
    if _is_text_type(ctype) or (scripts and ctype in d.script_types):
        return BodyRule(coding, charset=charset_of(ct_header))
    media = ctype in d.media_content_types or ctype.startswith(d.never_text_prefixes)
    return Refusal(TYPE, f"{ctype} is {'media' if media else 'not text'}")


def _is_text_type(ctype: str) -> bool:
    d = data()
    if ctype.startswith(d.never_text_prefixes):
        return False
    return ctype in d.text_types or ctype.endswith(d.text_suffixes)


def _judge_favicon_headers(
    status: int, headers: Headers, ctype: str, cap: int, coding: str
) -> BodyRule | Refusal:
    if 300 <= status < 400:
        where = next(iter(_values(headers, "location")), "")
        return Refusal(FAVICON, f"a favicon is never followed through a redirect (to {where[:200]})")
    if status != 200:  # an error page: the ordinary text rules
        return BodyRule(coding, charset=charset_of(next(iter(_values(headers, "content-type")), "")))
    if ctype not in data().favicon_types and ctype not in data().unlabelled_types:
        return Refusal(FAVICON, f"{ctype} is not an ICO, PNG or SVG icon")
    length = next(iter(_values(headers, "content-length")), "")
    if length.strip().isdigit() and int(length) > cap:
        return Refusal(FAVICON, f"{int(length)} bytes is more than the favicon cap ({cap})")
    return BodyRule(coding, favicon=True, container=False)


def _judge_binary_headers(
    headers: Headers, ctype: str, coding: str, allowance: BinaryAllowance
) -> BodyRule | Refusal:
    if ctype not in allowance.content_types and ctype not in data().unlabelled_types:
        return Refusal(TYPE, f"{ctype} is not an allowed {allowance.name}")
    length = next(iter(_values(headers, "content-length")), "").strip()
    if length.isdigit() and int(length) > allowance.max_bytes:
        cap = allowance.max_bytes
        return Refusal(ALLOWANCE, f"{allowance.name} of {int(length)} bytes is over the cap ({cap})")
    return BodyRule(coding, container=False, binary=allowance)


# -- bodies ----------------------------------------------------------------------------------------

BINARY_BYTES = bytes(b for b in range(0x20) if b not in (0x09, 0x0A, 0x0C, 0x0D))
"""NUL and the C0 controls except TAB, LF, FF and CR (ESC included): no text starts with them."""
_BINARY_CHARS = re.compile("[" + "".join(f"\\x{b:02x}" for b in BINARY_BYTES) + "]")
_BINARY_OR_REPLACEMENT = re.compile(_BINARY_CHARS.pattern[:-1] + "\ufffd]")
GZIP_MAGIC = b"\x1f\x8b"
_WINDOWS_1252 = frozenset({"ascii", "iso8859-1", "cp1252", "latin-1"})
"""Labels a browser reads as windows-1252, which decodes every byte (only C0 controls can be binary)."""
_PRESCAN = re.compile(
    rb"""<meta[^>]{0,300}?charset\s*=\s*["']?\s*([A-Za-z0-9_:.+-]{1,40})"""
    rb"""|<\?xml[^>]{0,200}?encoding\s*=\s*["']([A-Za-z0-9_.:+-]{1,40})"""
    rb"""|@charset\s+["']([A-Za-z0-9_.:+-]{1,40})""",
    re.IGNORECASE,
)
_BOMS: tuple[tuple[bytes, str], ...] = (
    (b"\xef\xbb\xbf", "utf-8-sig"),
    (b"\xff\xfe\x00\x00", "utf-32"),
    (b"\x00\x00\xfe\xff", "utf-32"),
    (b"\xff\xfe", "utf-16"),
    (b"\xfe\xff", "utf-16"),
)


def _codec(label: str | None) -> str | None:
    if not label:
        return None
    try:
        name = codecs.lookup(label.strip()).name
    except LookupError:
        return None
    return "latin-1" if name in _WINDOWS_1252 else name


def _wide(codec: str) -> bool:
    """Codecs in which ASCII text is not one byte a character (binary is judged on decoded text)."""
    return codec.replace("_", "-").startswith(("utf-16", "utf-32"))


def sniff_format(head: bytes) -> str | None:
    """The media or binary format a body's first bytes look like (for the refusal reason only)."""
    for offset, magic, name, _media in data().magic:
        if head[offset : offset + len(magic)] == magic:
            return name
    return None


def sniff_media(head: bytes) -> str | None:
    """The image, video or audio format a body's first bytes look like, or None (an explanation and a
    test aid: the policy never decides by it)."""
    for offset, magic, name, media in data().magic:
        if media and head[offset : offset + len(magic)] == magic:
            return name
    return None


def _binary(detail: str, head: bytes) -> Refusal:
    found = sniff_format(head)
    return Refusal(BINARY, f"{detail}{f' (looks like {found})' if found else ''}")


def judge_text_head(head: bytes, charset: str | None, *, complete: bool) -> tuple[str, Refusal | None]:
    """Whether the first bytes of a body are positively text; also the codec they were read with.

    ``complete``: ``head`` is the whole body (a sequence cut at its end is then invalid, not pending).
    A charset given by the headers or a BOM is binding: a sequence invalid in it refuses the body. A
    charset only named inside the body (meta tag, XML declaration) is tried first; without any, UTF-8,
    else windows-1252 (which decodes every byte, so only control bytes can refuse it).
    """
    declared = next((name for bom, name in _BOMS if head.startswith(bom)), None) or _codec(charset)
    candidates: list[tuple[str, bool]] = []
    if declared:
        candidates.append((declared, True))
    else:
        match = _PRESCAN.search(head)
        hinted = _codec(next((g for g in match.groups() if g), b"").decode("ascii")) if match else None
        if hinted and not _wide(hinted):
            candidates.append((hinted, False))
        candidates += [("utf-8", False), ("latin-1", False)]
    for codec, binding in candidates:
        try:
            text = codecs.getincrementaldecoder(codec)("strict").decode(head, final=complete)
        except UnicodeDecodeError as exc:
            if binding:
                return codec, _binary(f"not valid {codec} at byte {exc.start}", head)
            continue
        found = _BINARY_CHARS.search(text)
        if found:
            char = ord(found.group())
            return codec, _binary(f"control byte 0x{char:02x} at character {found.start()}", head)
        return codec, None
    return "latin-1", _binary("not text", head)  # pragma: no cover - latin-1 decodes every byte


class TextCheck:
    """Judges a decoded body as it streams in: its head must be text, and after the head no window of
    ``window_bytes`` may be more than ``window_binary_share`` binary (media behind a text prefix)."""

    def __init__(self, charset: str | None) -> None:
        d = data()
        self.charset = charset
        self.head_bytes = d.head_bytes
        self.window_bytes = d.window_bytes
        self.max_binary = max(1, int(d.window_bytes * d.window_binary_share))
        self.head = b""
        self.codec: str | None = None
        self.seen = 0
        self._window = b""
        self._decoder: Any = None

    def feed(self, data_in: bytes) -> Refusal | None:
        if not data_in:
            return None
        self.seen += len(data_in)
        if self.codec is None:
            self.head += data_in
            if len(self.head) < self.head_bytes:
                return None
            data_in, self.head = self.head[self.head_bytes :], self.head[: self.head_bytes]
            codec, refusal = judge_text_head(self.head, self.charset, complete=False)
            self.codec = codec
            if refusal:
                return refusal
            if _wide(codec):  # the rest is judged on decoded text
                self._decoder = codecs.getincrementaldecoder(codec)("replace")
                self._decoder.decode(self.head)
        return self._windows(data_in, final=False)

    def finish(self) -> Refusal | None:
        """At the end of the body (or where it broke off)."""
        if self.codec is None:
            self.codec, refusal = judge_text_head(self.head, self.charset, complete=True)
            return refusal
        return self._windows(b"", final=True)

    def _windows(self, data_in: bytes, *, final: bool) -> Refusal | None:
        data_in = self._window + data_in if self._window else data_in
        start = self.seen - len(data_in)  # where ``data_in`` starts in the decoded body
        size = self.window_bytes
        offset = 0
        while len(data_in) - offset >= size or (final and offset < len(data_in)):
            block = data_in[offset : offset + size]
            if self._decoder is not None:
                binary = len(_BINARY_OR_REPLACEMENT.findall(self._decoder.decode(block, final=final)))
            else:
                binary = len(block) - len(block.translate(None, BINARY_BYTES))
            if binary > self.max_binary:
                where = start + offset
                return _binary(f"{binary} control bytes in {len(block)} bytes at byte {where}", block[:32])
            offset += size
        self._window = data_in[offset:]
        return None


class BinaryCheck:
    """Judges a body a request explicitly allows (``BodyRule.binary``) as it streams in: its magic at
    the start, its size under the cap, and whole at the end."""

    def __init__(self, allowance: BinaryAllowance) -> None:
        self.allowance = allowance
        self.need = max(16, *(len(m) for m in allowance.magic))
        """Bytes judged at the start: the magic, and enough to name a media format in a refusal."""
        self.head = b""
        self.seen = 0

    def feed(self, chunk: bytes) -> Refusal | None:
        self.seen += len(chunk)
        if self.seen > self.allowance.max_bytes:
            cap = self.allowance.max_bytes
            return Refusal(ALLOWANCE, f"more than the {self.allowance.name} cap ({cap} bytes); refused whole")
        if len(self.head) < self.need:
            self.head += chunk[: self.need - len(self.head)]
            if len(self.head) >= self.need:
                return self._magic()
        return None

    def _magic(self) -> Refusal | None:
        if any(self.head.startswith(m) for m in self.allowance.magic):
            return None
        found = sniff_format(self.head)
        what = f"looks like {found}" if found else "wrong magic number"
        return Refusal(ALLOWANCE, f"not an {self.allowance.name}: {what}")

    def finish(self, *, complete: bool) -> Refusal | None:
        if len(self.head) < self.need:
            return self._magic()
        if not complete:
            return Refusal(
                ALLOWANCE,
                f"the {self.allowance.name} broke off after {self.seen} bytes; a cut one is not kept",
            )
        return None


class BodyCheck:
    """The positive test of one body, fed its decoded bytes (content coding removed) as they arrive.

    A body that starts with the gzip magic and may be a container is judged by what it holds (up to
    ``limit`` decompressed bytes); an ``.xml.gz`` sitemap passes, an MP4 in gzip does not. A body the
    request allows as a binary is judged by :class:`BinaryCheck` instead.
    """

    def __init__(self, rule: BodyRule, limit: int, *, favicon_max: int = 32 * 1024) -> None:
        self.rule = rule
        self.limit = limit
        self.favicon_max = favicon_max
        self._start = b""
        self._decided = False
        self._inner: Any = None
        self._inner_out = 0
        self._text = TextCheck(rule.charset)
        self._icon = b""
        self._binary = BinaryCheck(rule.binary) if rule.binary is not None else None

    def feed(self, chunk: bytes) -> Refusal | None:
        if not chunk:
            return None
        if self._binary is not None:
            return self._binary.feed(chunk)
        if self.rule.favicon:
            self._icon += chunk
            if len(self._icon) > self.favicon_max:
                return Refusal(FAVICON, f"more than the favicon cap ({self.favicon_max} bytes)")
            return None
        if not self._decided:
            self._start += chunk
            if len(self._start) < len(GZIP_MAGIC):
                return None
            self._decided = True
            chunk, self._start = self._start, b""
            if self.rule.container and chunk.startswith(GZIP_MAGIC):
                self._inner = zlib.decompressobj(16 + zlib.MAX_WBITS)
        if self._inner is None:
            return self._text.feed(chunk)
        return self._feed_inner(chunk)

    def _feed_inner(self, chunk: bytes) -> Refusal | None:
        room = self.limit - self._inner_out
        if room <= 0 or self._inner.eof:
            return None
        try:
            out = self._inner.decompress(chunk, room)
        except zlib.error:
            return Refusal(BINARY, "gzip data that does not decompress")
        self._inner_out += len(out)
        refusal = self._text.feed(out)
        return Refusal(BINARY, f"inside gzip: {refusal.detail}") if refusal else None

    def finish(self, *, complete: bool = True) -> Refusal | None:
        """The verdict on the whole body (or on what came before it broke off: ``complete`` false; text
        is judged on what came, an allowed binary is refused)."""
        if self._binary is not None:
            return self._binary.finish(complete=complete)
        if self.rule.favicon:
            return judge_favicon(self._icon)
        if not self._decided:
            self._decided = True
            return self._text.feed(self._start) or self._text.finish()
        refusal = self._text.finish()
        if refusal and self._inner is not None:
            return Refusal(BINARY, f"inside gzip: {refusal.detail}")
        return refusal


def judge_favicon(body: bytes) -> Refusal | None:
    """An icon is kept only when its bytes are ICO, PNG or SVG."""
    for name, magic in data().favicon_magic.items():
        if magic and body.startswith(magic):
            return None
        if name == "svg" and not magic:
            head = body[: data().head_bytes]
            _codec_used, refusal = judge_text_head(head, None, complete=len(body) <= len(head))
            if refusal is None and b"<svg" in head.lower():
                return None
    found = sniff_format(body[:32])
    return Refusal(FAVICON, f"not an ICO, PNG or SVG icon{f' ({found})' if found else ''}")


# -- credentials -----------------------------------------------------------------------------------


def secret_header_names(extra: Iterable[str] = ()) -> frozenset[str]:
    """Header names (lower case) whose values never enter evidence: the policy's list and ``extra``."""
    return data().secret_headers | {name.lower() for name in extra}


def is_secret_header(name: str, names: frozenset[str]) -> bool:
    lname = name.lower()
    return lname in names or any(word in lname for word in data().secret_header_words)


def redact(headers: Headers, names: frozenset[str]) -> Headers:
    """The headers as evidence keeps them: every name, secret values replaced."""
    return [(k, REDACTED if is_secret_header(k, names) else v) for k, v in headers]
