"""A policy's text: main text out of a page (trafilatura), its language (py3langid, which ships its
model), paragraphs and sentences, in English and Chinese."""

from __future__ import annotations

import re

MAX_SEGMENTS = 5000
MAX_SEGMENT_CHARS = 20_000
HEADING_CHARS = 80
CJK = re.compile(r"[\u3400-\u9fff]")
SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[\"“'(\[]?[A-Z0-9])|(?<=[。！？；])|\n+")
BLANK = re.compile(r"\n\s*\n")
LINE = re.compile(r"\s*\n\s*")


def main_text(page: str, url: str | None = None) -> str:
    """The policy's text from an HTML page (navigation, menus and footers dropped); the page's own
    text when trafilatura finds no main part."""
    import trafilatura

    text = trafilatura.extract(
        page, url=url, output_format="txt", include_comments=False, include_tables=True, favor_recall=True
    )
    if text:
        return str(text)
    return trafilatura.html2txt(page) or ""


def looks_like_html(text: str) -> bool:
    head = text[:2000].lower()
    return "<html" in head or "<body" in head or "<!doctype html" in head or "<p>" in head or "<div" in head


def language(text: str) -> str:
    """ISO 639-1 code of the text's language; "zh" when CJK characters dominate (short Chinese policies
    mixed with English names are misread by character n-grams alone)."""
    sample = text[:20_000]
    if not sample.strip():
        return "und"
    cjk = len(CJK.findall(sample))
    letters = sum(1 for ch in sample if ch.isalpha())
    if letters and cjk / letters > 0.3:
        return "zh"
    import py3langid

    code, _score = py3langid.classify(sample)
    return str(code)


def paragraphs(text: str) -> list[str]:
    """Paragraphs: blocks between blank lines, else lines; a short heading joins the paragraph after it."""
    blocks = BLANK.split(text) if BLANK.search(text) else text.split("\n")
    out: list[str] = []
    heading = ""
    for block in blocks:
        para = LINE.sub(" ", block).strip()
        if not para:
            continue
        if len(para) <= HEADING_CHARS and not para.endswith((".", "。", "；", ";", ":", "：")):
            heading = f"{heading} {para}".strip() if heading else para
            continue
        out.append(f"{heading} {para}".strip()[:MAX_SEGMENT_CHARS] if heading else para[:MAX_SEGMENT_CHARS])
        heading = ""
        if len(out) >= MAX_SEGMENTS:
            break
    if heading and len(out) < MAX_SEGMENTS:
        out.append(heading)
    return out


def sentences(paragraph: str) -> list[str]:
    return [s.strip() for s in SENTENCE_END.split(paragraph) if s and s.strip()]
