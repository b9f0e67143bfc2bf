"""Safety policy of the fetch layer: what may be requested and what may be read.

The one rule that matters most: image, video and audio bodies from an investigated platform are
never requested (refused by URL) and never read (refused by Content-Type, or by the first bytes of an
unlabelled body, before anything is stored). A size-capped favicon is the one exception.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from unmask.core.fetch.exchange import BinaryAllowance

MEDIA_EXTENSIONS: frozenset[str] = frozenset(
    {
        # images
        "jpg", "jpeg", "jpe", "jfif", "pjpeg", "pjp", "png", "apng", "gif", "gifv", "webp", "avif", "heic",
        "heif", "bmp", "tif", "tiff", "svg", "svgz", "ico", "cur", "jxl", "jp2", "psd", "raw", "dng",
        # video
        "mp4", "m4v", "m4p", "mov", "qt", "webm", "mkv", "avi", "wmv", "flv", "f4v", "swf", "mpg", "mpeg",
        "mpe", "m2v", "m2ts", "mts", "ts", "3gp", "3g2", "ogv", "vob", "asf", "rm", "rmvb", "divx",
        # streaming manifests and segments
        "m3u8", "m3u", "mpd", "ism", "isml", "ismc", "f4m", "m4s", "cmfv", "cmfa",
        # audio
        "mp3", "m4a", "m4b", "aac", "wav", "flac", "ogg", "oga", "opus", "wma", "aiff", "aif", "amr", "mka",
        "mid", "midi",
    }
)  # fmt: skip

MEDIA_CONTENT_TYPE_PREFIXES: tuple[str, ...] = ("image/", "video/", "audio/")
MEDIA_CONTENT_TYPES: frozenset[str] = frozenset(
    {
        "application/vnd.apple.mpegurl",
        "application/x-mpegurl",
        "audio/mpegurl",
        "application/dash+xml",
        "application/vnd.ms-sstr+xml",
        "application/mp4",
        "application/ogg",
        "application/x-shockwave-flash",
        "application/vnd.rn-realmedia",
    }
)
FAVICON_CONTENT_TYPES: frozenset[str] = frozenset(
    {"image/x-icon", "image/vnd.microsoft.icon", "image/png", "image/svg+xml", "image/gif", "image/ico"}
)
UNLABELLED_CONTENT_TYPES: frozenset[str] = frozenset({"", "application/octet-stream", "binary/octet-stream"})

# Magic numbers of media formats, checked on the first bytes of every body: all of them when the type is
# not given, the strong ones (that no text or markup starts with) when the server says it is text.
MEDIA_MAGIC: tuple[tuple[int, bytes, str, bool], ...] = (
    (0, b"\xff\xd8\xff", "jpeg", True),
    (0, b"\x89PNG\r\n\x1a\n", "png", True),
    (0, b"GIF87a", "gif", True),
    (0, b"GIF89a", "gif", True),
    (8, b"WEBP", "webp", True),
    (8, b"AVI ", "avi", True),
    (8, b"WAVE", "wav", True),
    (4, b"ftyp", "mp4/mov", True),
    (0, b"\x1a\x45\xdf\xa3", "webm/mkv", True),
    (0, b"OggS", "ogg", True),
    (0, b"fLaC", "flac", True),
    (0, b"ID3", "mp3", False),
    (0, b"\xff\xfb", "mp3", False),
    (0, b"FLV", "flv", False),
    (0, b"#EXTM3U", "m3u8", False),
    (0, b"BM", "bmp", False),
    (0, b"\x00\x00\x01\x00", "ico", False),
)

ALLOWED_SCHEMES: frozenset[str] = frozenset({"http", "https"})


def url_extension(url: str) -> str:
    path = urlsplit(url).path
    last = path.rsplit("/", 1)[-1]
    if "." not in last:
        return ""
    return last.rsplit(".", 1)[-1].lower()


def is_media_url(url: str) -> bool:
    return url_extension(url) in MEDIA_EXTENSIONS


def is_favicon_url(url: str) -> bool:
    return urlsplit(url).path.lower().endswith("/favicon.ico")


def refuse_url(url: str, *, favicon: bool = False) -> str | None:
    """Why this URL must not be requested, or None if it may be."""
    scheme = urlsplit(url).scheme.lower()
    if scheme not in ALLOWED_SCHEMES:
        return f"scheme {scheme or '(none)'} not fetched"
    if is_media_url(url) and not (favicon or is_favicon_url(url)):
        return f"media URL (.{url_extension(url)})"
    return None


def media_type(content_type: str | None) -> str:
    return (content_type or "").split(";", 1)[0].strip().lower()


def is_media_content_type(content_type: str | None) -> bool:
    ctype = media_type(content_type)
    return ctype.startswith(MEDIA_CONTENT_TYPE_PREFIXES) or ctype in MEDIA_CONTENT_TYPES


def refuse_headers(content_type: str | None, *, favicon: bool = False) -> str | None:
    """Why a response with these headers must not be read, or None if it may be."""
    ctype = media_type(content_type)
    if favicon and ctype in FAVICON_CONTENT_TYPES | UNLABELLED_CONTENT_TYPES:
        return None
    if is_media_content_type(ctype):
        return f"media content type {ctype}"
    return None


def needs_sniff(content_type: str | None) -> bool:
    return media_type(content_type) in UNLABELLED_CONTENT_TYPES


def sniff_media(first_bytes: bytes, *, strong_only: bool = False) -> str | None:
    """The media format the first bytes reveal, or None."""
    for offset, magic, name, strong in MEDIA_MAGIC:
        if strong_only and not strong:
            continue
        if first_bytes[offset : offset + len(magic)] == magic:
            return name
    return None


# -- the explicit binary allowance of one request (FetchRequest.binary) ----------------------------------

UNCODED: frozenset[str] = frozenset({"", "identity"})


def refuse_binary_headers(
    allowance: BinaryAllowance, content_type: str | None, content_length: str | None, coding: str | None
) -> str | None:
    """Why a response cannot be the binary ``allowance`` asks for, judged by its headers, or None."""
    ctype = media_type(content_type)
    if ctype not in allowance.content_types and ctype not in UNLABELLED_CONTENT_TYPES:
        return f"{ctype} is not an expected {allowance.label} type"
    if (coding or "").strip().lower() not in UNCODED:
        return f"a content-coded {allowance.label} is not read ({coding})"
    length = (content_length or "").strip()
    if length.isdigit() and int(length) > allowance.max_bytes:
        return f"{allowance.label} of {int(length)} bytes is over the cap ({allowance.max_bytes})"
    return None


def refuse_binary_head(allowance: BinaryAllowance, head: bytes) -> str | None:
    """Why a body starting with ``head`` is not the binary ``allowance`` asks for, or None."""
    if any(head.startswith(magic) for magic in allowance.magic):
        return None
    found = sniff_media(head)
    return f"not an {allowance.label}: {f'media ({found})' if found else 'wrong magic number'}"
