"""Every section of the report as a journalist sees it: headless Chromium screenshots compared with the
reference images stored beside this file (tests/report/reference/), with a tolerance.

A section that changes on purpose: run with UNMASK_UPDATE_REFERENCES=1 to write new references, look at
them, commit them. A missing reference fails the test (and is written, for review).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from tests.report.newsroom_case import GENERATED, load_newsroom_case
from tests.report.test_report_browser import ARGS, ARTIFACTS, CHROMIUM, _require_browser
from unmask.core.case import Case
from unmask.report.html import write_report
from unmask.report.sections import SECTIONS

REFERENCE = Path(__file__).parent / "reference"
VIEWPORT = {"width": 1000, "height": 900}
PIXEL_TOLERANCE = 40
"""A pixel differs when its grey level differs by more than one of the eight levels: anti-aliasing passes."""
AREA_TOLERANCE = 0.01
"""A section passes when at most this share of the pixels of each band of it differ."""
BAND = 40
"""Height of the bands compared (at the compared scale): a changed line of text shows in its band."""
HEIGHT_TOLERANCE = 3
"""Pixels (at the compared scale) a section's height may differ by before it counts as changed."""
SCALE = 2
"""Screenshots are compared (and stored) at half their size: small files, sub-pixel shifts forgiven."""


def _grey(value: int) -> int:
    """Eight grey levels (0, 36, … 252): what is stored and compared; idempotent."""
    return (value // 32) * 36


def _worst_band(expected: Any, image: Any, dy: int) -> tuple[float, Any]:
    """The largest share of differing pixels in any band, with ``image`` moved down by ``dy`` pixels (a
    section that starts half a pixel lower renders its text on the other side of a pixel edge)."""
    from PIL import ImageChops

    top, bottom = max(0, dy), min(expected.height, image.height + dy)
    height = bottom - top
    diff = ImageChops.difference(
        expected.crop((0, top, image.width, bottom)), image.crop((0, top - dy, image.width, bottom - dy))
    )
    marked = diff.point(lambda v: 255 if v > PIXEL_TOLERANCE else 0)
    share = max(
        marked.crop((0, y, image.width, min(height, y + BAND))).histogram()[255]
        / (image.width * (min(height, y + BAND) - y))
        for y in range(0, height, BAND)
    )
    return share, diff


def _compare(key: str, shot: Path) -> str | None:
    """None when the screenshot matches its reference, else what differs."""
    from PIL import Image

    reference = REFERENCE / f"{key}.png"
    update = os.environ.get("UNMASK_UPDATE_REFERENCES") == "1"
    full = Image.open(shot).convert("L")
    image = full.resize((full.width // SCALE, full.height // SCALE), Image.Resampling.LANCZOS).point(_grey)
    if update or not reference.exists():
        REFERENCE.mkdir(exist_ok=True)
        image.save(reference, optimize=True)
        return None if update else f"{key}: no reference image; wrote {reference} for review"
    expected = Image.open(reference).convert("L")
    if abs(expected.height - image.height) > HEIGHT_TOLERANCE or expected.width != image.width:
        return f"{key}: size {image.size} instead of {expected.size}"
    share, diff = min((_worst_band(expected, image, dy) for dy in (0, -1, 1)), key=lambda found: found[0])
    if share > AREA_TOLERANCE:
        ARTIFACTS.mkdir(exist_ok=True)
        diff.point(lambda v: 255 - min(255, v * 4)).save(ARTIFACTS / f"diff-{key}.png")
        return f"{key}: {share:.2%} of the pixels of a band differ (diff in {ARTIFACTS / f'diff-{key}.png'})"
    return None


@pytest.mark.slow
@pytest.mark.parametrize("lang", ["en", "de"])
def test_every_section_looks_as_reviewed(sqlite_case: Case, lang: str) -> None:
    _require_browser()
    from playwright.sync_api import sync_playwright

    load_newsroom_case(sqlite_case)
    path = write_report(sqlite_case, sqlite_case.root / "report.html", generated=GENERATED, lang=lang)
    keys = ["summary", *(s.key for s in SECTIONS)]
    problems = []
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            page = browser.new_page(viewport=VIEWPORT, device_scale_factor=1)
            page.goto(path.resolve().as_uri(), wait_until="load")
            for key in keys:
                shot = ARTIFACTS / f"section-{lang}-{key}.png"
                page.locator(f"section#{key}").screenshot(path=str(shot), animations="disabled")
                problem = _compare(f"{lang}-{key}", shot)
                if problem:
                    problems.append(problem)
            height = page.evaluate("document.documentElement.scrollHeight")
            page.set_viewport_size({"width": 760, "height": 900})  # a narrow window: nothing sticks out
            wide = page.evaluate(
                "[...document.querySelectorAll('section')].filter(s => s.scrollWidth > s.clientWidth + 1)"
                ".map(s => s.id)"
            )
            overflow = page.evaluate(
                "document.documentElement.scrollWidth - document.documentElement.clientWidth"
            )
        finally:
            browser.close()
    assert problems == []
    assert wide == [] and overflow <= 0  # no table or chart wider than the page (the crawl runs were)
    assert height < 16_000  # the whole report, every stage included (it was 34,091 px with the demo alone)
