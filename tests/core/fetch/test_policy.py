"""The body policy's rules, one by one: only what is positively text is stored."""

from __future__ import annotations

import gzip
import zlib

import pytest

from unmask.core.fetch import policy
from unmask.core.fetch.policy import BodyCheck, BodyRule, Refusal, judge_headers, judge_text_head

HTML = b"<!DOCTYPE html><html><head><title>an invented page</title></head><body>" + b"x" * 5000 + b"</body>"


# -- URLs ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "https://cdn.example.org/t/123.jpg",
        "https://cdn.example.org/t/123.JPEG?w=300",
        "https://example.org/v/1.mp4",
        "https://example.org/hls/master.m3u8",
        "https://example.org/a/track.mp3#t=1",
        "https://example.org/p/x.webp",
        "https://example.org/dash/manifest.mpd",
        "https://example.org/v/clip.mp4;jsessionid=1",
        "https://example.org/v/clip.ts/",
    ],
)
def test_media_urls_are_refused_before_any_request(url: str) -> None:
    refusal = policy.refuse_url(url)
    assert refusal is not None and refusal.code == "media-url"


@pytest.mark.parametrize(
    "url",
    [
        "https://example.org/video/123/title",
        "https://example.org/sitemap.xml",
        "https://example.org/a.mp4.html",
    ],
)
def test_pages_are_requested(url: str) -> None:
    assert policy.refuse_url(url) is None


def test_favicon_is_the_one_media_url_requested() -> None:
    assert policy.refuse_url("https://example.org/favicon.ico") is None
    assert policy.refuse_url("https://example.org/static/icon.png") is not None
    assert policy.refuse_url("https://example.org/static/icon.png", favicon=True) is None


def test_non_http_schemes_are_never_requested() -> None:
    for url in ("file:///etc/passwd", "ftp://example.org/x", "data:text/html,hi", "gopher://x/"):
        refusal = policy.refuse_url(url)
        assert refusal is not None and refusal.code == "scheme"


# -- headers ---------------------------------------------------------------------------------------


def headers(ctype: str | None = None, **more: str) -> list[tuple[str, str]]:
    out = [("Content-Type", ctype)] if ctype is not None else []
    return out + [(k.replace("_", "-"), v) for k, v in more.items()]


@pytest.mark.parametrize(
    "ctype",
    [
        "text/html; charset=utf-8",
        "application/xhtml+xml",
        "application/xml",
        "text/xml",
        "application/rss+xml",
        "application/atom+xml",
        "application/json",
        "application/ld+json",
        "application/rdap+json",
        "text/plain",
        "",
        "application/octet-stream",
        "application/gzip",
        "application/x-gzip",
    ],
)
def test_text_types_and_unlabelled_bodies_are_read(ctype: str) -> None:
    assert isinstance(judge_headers(200, headers(ctype)), BodyRule)


@pytest.mark.parametrize(
    ("ctype", "code"),
    [
        ("image/jpeg", "type"),
        ("video/mp4", "type"),
        ("video/MP2T", "type"),
        ("audio/mpeg", "type"),
        ("Video/MP4; codecs=avc1", "type"),
        ("image/svg+xml", "type"),  # an image, whatever its suffix
        ("application/vnd.apple.mpegurl", "type"),
        ("application/pdf", "type"),
        ("application/zip", "type"),
        ("font/woff2", "type"),
        ("multipart/x-mixed-replace; boundary=frame", "multipart"),
        ("multipart/byteranges; boundary=x", "multipart"),
    ],
)
def test_every_other_type_is_refused_after_the_headers(ctype: str, code: str) -> None:
    refusal = judge_headers(200, headers(ctype))
    assert isinstance(refusal, Refusal) and refusal.code == code


def test_scripts_only_for_callers_that_ask() -> None:
    for ctype in ("application/javascript", "text/css", "text/javascript"):
        assert isinstance(judge_headers(200, headers(ctype)), Refusal)
        assert isinstance(judge_headers(200, headers(ctype), scripts=True), BodyRule)


@pytest.mark.parametrize(
    ("coding", "allowed"),
    [
        ("gzip", True),
        ("x-gzip", True),
        ("deflate", True),
        ("br", True),
        ("identity", True),
        ("GZIP", True),
        ("gzip, gzip", False),
        ("gzip, identity", False),
        ("zstd", False),
        ("x-gzip2", False),
        ("compress", False),
    ],
)
def test_exactly_one_known_content_coding(coding: str, allowed: bool) -> None:
    rule = judge_headers(200, headers("text/html", Content_Encoding=coding))
    assert isinstance(rule, BodyRule) is allowed
    if not allowed:
        assert isinstance(rule, Refusal) and rule.code == "encoding"


def test_two_content_encoding_headers_are_stacked() -> None:
    rule = judge_headers(
        200, [("Content-Type", "text/html"), ("Content-Encoding", "gzip"), ("content-encoding", "gzip")]
    )
    assert isinstance(rule, Refusal) and rule.code == "encoding"


def test_partial_bodies_are_refused() -> None:
    for status, extra in ((206, {}), (200, {"Content_Range": "bytes 0-99/5000"})):
        rule = judge_headers(status, headers("text/html", **extra))
        assert isinstance(rule, Refusal) and rule.code == "partial"


def test_conflicting_content_types_are_refused() -> None:
    rule = judge_headers(200, [("Content-Type", "text/html"), ("Content-Type", "video/mp4")])
    assert isinstance(rule, Refusal) and rule.code == "type"


def test_favicon_headers() -> None:
    for ctype in ("image/x-icon", "image/vnd.microsoft.icon", "image/png", "image/svg+xml", ""):
        assert isinstance(judge_headers(200, headers(ctype), favicon=True), BodyRule)
    for ctype in ("image/jpeg", "image/gif", "video/mp4", "text/html"):
        assert isinstance(judge_headers(200, headers(ctype), favicon=True), Refusal)
    moved = judge_headers(302, headers("text/html", Location="/x.jpg"), favicon=True)
    assert isinstance(moved, Refusal) and "redirect" in moved.detail
    big = judge_headers(200, headers("image/x-icon", Content_Length="40000"), favicon=True, favicon_max=32768)
    assert isinstance(big, Refusal) and "cap" in big.detail
    assert isinstance(judge_headers(404, headers("text/html"), favicon=True), BodyRule)  # an error page


# -- bodies ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "charset"),
    [
        (HTML, None),
        (HTML, "utf-8"),
        ("<p>Зайчик — выдуманный</p>".encode("windows-1251"), "windows-1251"),
        ("<p>Zoë Ångström, café</p>".encode("latin-1"), None),  # not UTF-8: read as windows-1252
        ('<meta charset="shift_jis"><p>架空の映像</p>'.encode("shift_jis"), None),
        ('<?xml version="1.0" encoding="euc-jp"?><a>作り話</a>'.encode("euc-jp"), None),
        ("\ufeff<html>with a BOM</html>".encode("utf-16"), None),
        ("<html>declared</html>".encode("utf-16-le"), "utf-16le"),
        (b"\tindented\r\n\x0cform feed\n", None),
        (b"", None),
        (b'{"json": true}', None),
    ],
)
def test_text_heads_pass(body: bytes, charset: str | None) -> None:
    assert judge_text_head(body, charset, complete=True)[1] is None


def test_a_multibyte_character_cut_at_the_head_boundary_is_not_binary() -> None:
    head = ("é" * 2048).encode("utf-8")[:4095]
    assert judge_text_head(head, "utf-8", complete=False)[1] is None
    assert judge_text_head(head, "utf-8", complete=True)[1] is not None


@pytest.mark.parametrize(
    ("body", "charset"),
    [
        (b"<html>\x00</html>", None),
        (b"<html>\x1b[31mred</html>", None),  # ESC
        (b"<html>\x0b</html>", "utf-8"),
        (b"<html>\xff\xfe\xfd</html>", "utf-8"),  # invalid in the declared charset
        (b"\x47\x40\x00\x10" + bytes(184), "iso-8859-1"),  # MPEG-TS, even read as Latin-1
        (b"\xff\xf1\x50\x80\x02\x1f\xfc" + b"\x21" * 100, None),  # AAC ADTS
    ],
)
def test_binary_heads_are_refused(body: bytes, charset: str | None) -> None:
    _codec, refusal = judge_text_head(body, charset, complete=True)
    assert refusal is not None and refusal.code == "binary"


def feed_all(check: BodyCheck, body: bytes, step: int) -> Refusal | None:
    for start in range(0, len(body), step):
        refusal = check.feed(body[start : start + step])
        if refusal:
            return refusal
    return check.finish()


@pytest.mark.parametrize("step", [1, 7, 4096, 1 << 20])
def test_body_check_is_the_same_whatever_the_chunks(step: int) -> None:
    rule = BodyRule("identity")
    assert feed_all(BodyCheck(rule, 1 << 24), HTML, step) is None
    mp4 = b"\x00\x00\x00\x18ftypmp42" + bytes(range(256)) * 20
    refusal = feed_all(BodyCheck(rule, 1 << 24), mp4, step)
    assert refusal is not None and "mp4" in refusal.detail


def test_media_behind_a_text_prefix_is_refused() -> None:
    media = bytes(range(256)) * 1024  # binary: an eighth of its bytes are control bytes
    refusal = feed_all(BodyCheck(BodyRule("identity"), 1 << 24), HTML + media, 65536)
    assert refusal is not None and refusal.code == "binary" and "control bytes" in refusal.detail
    stray = HTML + (b"<p>a stray \x00 byte</p>" + b"y" * 1000) * 20  # text with a few controls: kept
    assert feed_all(BodyCheck(BodyRule("identity"), 1 << 24), stray, 65536) is None


def test_gzip_sitemaps_are_judged_inside() -> None:
    sitemap = (
        b'<?xml version="1.0"?><urlset>' + b"<url><loc>https://x.test/v/1</loc></url>" * 500 + b"</urlset>"
    )
    assert feed_all(BodyCheck(BodyRule("identity"), 1 << 24), gzip.compress(sitemap), 100) is None
    mp4 = b"\x00\x00\x00\x18ftypmp42" + bytes(5000)
    refusal = feed_all(BodyCheck(BodyRule("identity"), 1 << 24), gzip.compress(mp4), 100)
    assert refusal is not None and refusal.detail.startswith("inside gzip")
    broken = feed_all(BodyCheck(BodyRule("identity"), 1 << 24), b"\x1f\x8b" + bytes(100), 100)
    assert broken is not None


def test_favicon_bytes_must_be_ico_png_or_svg() -> None:
    assert policy.judge_favicon(b"\x00\x00\x01\x00\x01\x00" + bytes(100)) is None
    assert policy.judge_favicon(b"\x89PNG\r\n\x1a\n" + bytes(100)) is None
    assert policy.judge_favicon(b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"/>') is None
    for body in (b"\xff\xd8\xff\xe0\x00\x10JFIF" + bytes(100), b"GIF89a" + bytes(100), b"<html></html>", b""):
        refusal = policy.judge_favicon(body)
        assert refusal is not None and refusal.code == "favicon"


def test_favicon_over_the_cap_is_refused_not_cut() -> None:
    check = BodyCheck(BodyRule("identity", favicon=True), 1 << 24, favicon_max=1000)
    assert check.feed(b"\x00\x00\x01\x00" + bytes(600)) is None
    refusal = check.feed(bytes(600))
    assert refusal is not None and "cap" in refusal.detail


# -- naming and credentials ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("first", "found"),
    [
        (b"\xff\xd8\xff\xe0\x00\x10JFIF", "jpeg"),
        (b"\x00\x00\x00\x18ftypisom", "mp4/mov/heif"),
        (b"RIFF\x00\x00\x00\x00WEBPVP8 ", "webp"),
        (b"ID3\x04", "mp3"),
        (b"\x1a\x45\xdf\xa3\x01", "webm/mkv"),
        (b"\x00\x00\x00\x08wide\x00\x00\x00\x10mdat", "quicktime"),
        (b"<!doctype html>", None),
        (b"<?xml version", None),
        (b"\x1f\x8b\x08", None),  # gzip: not media
    ],
)
def test_media_formats_are_named(first: bytes, found: str | None) -> None:
    assert policy.sniff_media(first) == found


def test_credentials_are_redacted_but_named() -> None:
    names = policy.secret_header_names(["X-Case-Secret"])
    sent = [
        ("User-Agent", "Mozilla/5.0"),
        ("Authorization", "Bearer abc"),
        ("Cookie", "session=1"),
        ("X-Api-Key", "k"),
        ("X-Case-Secret", "s"),
        ("X-Session-Token", "t"),
        ("Accept", "text/html"),
    ]
    kept = dict(policy.redact(sent, names))
    assert list(kept) == [k for k, _ in sent]
    assert kept["User-Agent"] == "Mozilla/5.0" and kept["Accept"] == "text/html"
    assert {
        kept[k] for k in ("Authorization", "Cookie", "X-Api-Key", "X-Case-Secret", "X-Session-Token")
    } == {policy.REDACTED}


def test_refusal_codes_read_back_from_the_store() -> None:
    assert policy.refusal_code("off-origin: http://x is neither…") == "off-origin"
    assert policy.refusal_code("disallowed by robots.txt") is None
    assert policy.refusal_code(None) is None


def test_deflate_and_raw_deflate_are_both_read() -> None:
    from unmask.core.fetch.decoding import ContentDecoder

    for body in (zlib.compress(HTML), zlib.compress(HTML)[2:-4]):
        decoder = ContentDecoder("deflate", 1 << 20)
        assert b"".join(decoder.feed(body[i : i + 3]) for i in range(0, len(body), 3)) == HTML
