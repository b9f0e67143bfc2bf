"""Peers' structured-data fixtures against unmask's extractors: extruct's samples, yt-dlp's JSON-LD tests
and schema.org's own examples (tests/fixtures/peers/, each folder's README names source and licence).

Every case states the expected result; where unmask deliberately differs from the peer, the case says why.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from extruct.w3cmicrodata import MicrodataExtractor

from unmask.census.extract.document import Document
from unmask.census.extract.generic import GenericExtractor
from unmask.census.extract.schemaorg import (
    bounded_microdata,
    extract_schemaorg,
    jsonld_values,
    opengraph_properties,
)
from unmask.census.model import PageKind

PEERS = Path(__file__).resolve().parents[2] / "fixtures" / "peers"
EXTRUCT = PEERS / "extruct" / "samples"
SITE = "http://example.com"


# ------------------------------------------------------------------------------------------ extruct

JSONLD_SAMPLES = [
    "schema.org/CreativeWork.001",
    "songkick/Elysian Fields Brooklyn Tickets, The Owl Music Parlor, 31 Oct 2015",
    "songkick/jsonld_empty_item_test",
    "schema.org.invalid/JoinAction.001",  # <!-- comment line --> before the JSON
    "schema.org.invalid/AllocateAction.001",
    "custom.invalid/JoinAction.001",
    "custom.invalid/AllocateAction.001",
    "custom.invalid/JSONLD_with_control_characters",
    "custom.invalid/JSONLD_with_control_characters_comment",
    "custom.invalid/JSONLD_with_JS_comment",  # // comments inside the object
    "misc/null_ld_mock",
    "songkick/Years & Years Tickets, Tour Dates 2015 & Concerts",
]


def _top_level(values: list[object]) -> list[object]:
    """As extruct returns them: a script's list unrolled, empty values dropped."""
    out: list[object] = []
    for value in values:
        out.extend(v for v in (value if isinstance(value, list) else [value]) if v)
    return out


@pytest.mark.parametrize("sample", JSONLD_SAMPLES)
def test_extruct_jsonld_samples_read_as_extruct_expects(sample: str) -> None:
    html = (EXTRUCT / f"{sample}.html").read_bytes()
    expected = json.loads((EXTRUCT / f"{sample}.jsonld").read_text(encoding="utf-8"))
    if isinstance(expected, dict) and "items" in expected:
        expected = _top_level(expected["items"])  # an older output shape: one list per script
    assert _top_level(list(jsonld_values(Document.parse(html, f"{SITE}/")))) == expected


MICRODATA_SAMPLES: list[tuple[str, str, dict[str, bool], str | None]] = [
    ("schema.org/CreativeWork.001", "CreativeWork.001", {}, None),
    ("schema.org/LocalBusiness.002", "LocalBusiness.002", {}, None),
    ("schema.org/LocalBusiness.003", "LocalBusiness.003", {}, None),
    ("schema.org/MusicRecording.001", "MusicRecording.001", {}, None),
    *[(f"schema.org/Event.00{n}", f"Event.00{n}", {}, None) for n in (1, 2, 3, 4, 8)],
    ("schema.org/SearchAction.001", "SearchAction.001", {}, None),
    ("schema.org/product", "product", {}, None),
    ("schema.org/product-ref", "product-ref", {}, None),
    ("websites/microdata-with-description", "microdata-with-description", {}, None),
    ("w3c/microdata.4.2.strings", "microdata.4.2.strings", {"strict": True}, None),
    ("w3c/microdata.4.2.strings.unclean", "microdata.4.2.strings.unclean", {"strict": True}, None),
    ("w3c/microdata.4.2.meter", "microdata.4.2.meter", {"strict": True}, None),
    ("w3c/microdata.4.2.data", "microdata.4.2.data", {"strict": True}, None),
    ("w3c/microdata.5.2", "microdata.5.2", {"strict": True}, None),
    ("w3c/microdata.5.3", "microdata.5.3", {"strict": True}, None),
    ("w3c/microdata.5.5", "microdata.5.5", {"strict": True}, None),
    ("w3c/microdata.7.1", "microdata.7.1", {"strict": True}, "http://blog.example.com/progress-report"),
    ("w3c/microdata.object", "microdata.object", {"strict": True}, "http://www.example.com/microdata/test"),
    ("w3c/microdata.5.2", "microdata.5.2.flat", {"strict": True, "nested": False}, None),
    (
        "w3c/microdata.7.1",
        "microdata.7.1.flat",
        {"strict": True, "nested": False},
        "http://blog.example.com/progress-report",
    ),
    ("w3c/microdata.5.2", "microdata.5.2.withtext", {"add_text_content": True}, None),
]


@pytest.mark.parametrize(("sample", "expected_name", "flags", "base"), MICRODATA_SAMPLES)
def test_extruct_microdata_samples_survive_the_bounds(
    sample: str, expected_name: str, flags: dict[str, bool], base: str | None
) -> None:
    """The bounds on depth, count and size change nothing on real pages: extruct's own expected output."""
    html = (EXTRUCT / f"{sample}.html").read_bytes()
    folder = sample.split("/")[0]
    expected = json.loads((EXTRUCT / folder / f"{expected_name}.json").read_text(encoding="utf-8"))
    doc = Document.parse(html, base or f"{SITE}/")
    with bounded_microdata(doc.root) as root:
        assert root is doc.root  # within bounds: the page's own tree
        assert MicrodataExtractor(**flags).extract_items(root, base) == expected


SONGKICK = "http://www.songkick.com/artists/236156-elysian-fields"
WHOLE_PAGES = [
    ("songkick/elysianfields", SONGKICK),
    ("songkick/elysianfields_1", SONGKICK),
    (
        "songkick/tovestyrke",
        "https://www.songkick.com/concerts/30166884-tove-styrke-at-hoxton-square-bar-and-kitchen",
    ),
]


@pytest.mark.parametrize(("sample", "url"), WHOLE_PAGES)
def test_extruct_whole_pages_give_its_jsonld_and_microdata(sample: str, url: str) -> None:
    """extruct's `extract()` outputs of whole pages: unmask reads the same JSON-LD and, through the bounds,
    the same microdata (RDFa, microformats and Dublin Core, which unmask does not read, are left aside)."""
    expected = json.loads((EXTRUCT / f"{sample}.json").read_text(encoding="utf-8"))
    doc = Document.parse((EXTRUCT / f"{sample}.html").read_bytes(), url)
    assert _top_level(list(jsonld_values(doc))) == expected["json-ld"]
    with bounded_microdata(doc.root) as root:
        microdata = MicrodataExtractor().extract_items(root, url) if root is not None else []
    assert microdata == expected["microdata"]


def test_extruct_opengraph_sample() -> None:
    expected: dict[str, list[str]] = {}
    for block in json.loads((EXTRUCT / "misc/opengraph_test.json").read_text(encoding="utf-8")):
        for prop, value in block["properties"]:
            expected.setdefault(prop.lower().removeprefix("og:"), []).append(value)
    doc = Document.parse((EXTRUCT / "misc/opengraph_test.html").read_bytes(), f"{SITE}/")
    assert opengraph_properties(doc) == expected


def test_extruct_expanded_opengraph_sample_as_plain_opengraph() -> None:
    """extruct reads this page as RDFa (its expected output is expanded RDF); unmask reads the OpenGraph
    meta properties only, which is all it needs from OpenGraph: the type says it is no video."""
    doc = Document.parse((EXTRUCT / "misc/expanded_OG_support_test.html").read_bytes(), f"{SITE}/")
    properties = opengraph_properties(doc)
    assert properties["type"] == ["article"]
    expanded = json.loads((EXTRUCT / "misc/expanded_OG_support_test.json").read_text(encoding="utf-8"))
    assert expanded[0]["https://ogp.me/ns#type"] == [{"@value": "article"}]


INTERVIEW = ("video", f"{SITE}/page", "Interview with the Foo Fighters", 93.0)
EXTRUCT_ITEMS: dict[str, list[tuple[str, str, str, float]]] = {
    # schema.org's MusicGroup example in microdata: the band's page embeds one interview as its `video`,
    # a VideoObject nested under another node, which is the page's one video (issue 10, item 5).
    "schema.org/Event.002.html": [INTERVIEW],
    "schema.org/MusicRecording.001.html": [INTERVIEW],
}
"""What unmask's census takes from each extruct page; every other page (events, products, businesses,
actions, articles, W3C examples) describes no video, photo or gallery and gives nothing."""


@pytest.mark.parametrize("page", sorted(str(p.relative_to(EXTRUCT)) for p in EXTRUCT.rglob("*.html")))
def test_items_unmask_takes_from_extruct_pages(page: str) -> None:
    records = extract_schemaorg((EXTRUCT / page).read_bytes(), f"{SITE}/page", site=f"{SITE}/")
    got = [(r.kind.value, r.url, r.title, r.duration) for r in records]
    assert got == EXTRUCT_ITEMS.get(page, [])


# ------------------------------------------------------------------------------------------- yt-dlp

YTDLP_CASES = yaml.safe_load((PEERS / "yt-dlp" / "json_ld_cases.yaml").read_text(encoding="utf-8"))


@dataclass(frozen=True)
class Expected:
    """What unmask takes from a page: (kind, url, title, duration, views, upload date, persons)."""

    page: str
    items: list[tuple[str, str, str | None, float | None, int | None, dt.date | None, list[str]]]
    why: str = ""


EPORNER = "https://www.eporner.com/hd-porn/xN49A1cT3eB/1-On-1-With-Mira/"
VRT = "https://www.vrt.be/vrtnu/a-z/het-journaal/2021/het-journaal-het-journaal-19u-20211231/"
RAI = "https://www.rainews.it/video/2021/12/cat-video"
YTDLP_EXPECTED = [
    Expected(
        EPORNER,
        [("video", EPORNER, "1 On 1 With Mira", 743.0, 1120958, dt.date(2015, 12, 5), ["Mira Testwood"])],
        "yt-dlp's `url` is the contentUrl (an .mp4): unmask keeps pages, never media; its timestamp is the "
        "instant, unmask keeps the platform's local date (2015-12-05T21:24:35+01:00 -> 2015-12-05)",
    ),
    Expected(
        "https://www.ant1news.gr/Society/article/620286/symmoria-anilikon-dikigoros-thymaton-ithelan-na-toys-apoteleiosoyn",
        [],
        "yt-dlp is asked for the NewsArticle's metadata (expected_type); unmask counts media items, "
        "and a news article with a picture (ImageObject as its `image`, a logo) is no photo",
    ),
    Expected(
        VRT,
        [
            (
                "video",
                VRT,
                "Het journaal - Aflevering 365 (Seizoen 2021)",
                2079.23,
                None,
                dt.date(2021, 12, 31),
                [],
            )
        ],
        "a TVEpisode whose `video` is the VideoObject: the page's video (issue 10); chapters are not "
        "a field; the VideoObject's `@id` 'vid-9457…' is a label, not a URL",
    ),
    Expected(RAI, [("video", RAI, None, None, None, None, [])], "thumbnails are media URLs: not kept"),
    Expected(RAI, [("video", RAI, None, None, None, None, [])], "thumbnails are media URLs: not kept"),
    Expected(RAI, [("video", RAI, None, None, None, None, [])], "thumbnails are media URLs: not kept"),
]


def test_every_ytdlp_case_has_an_expectation() -> None:
    assert len(YTDLP_CASES) == len(YTDLP_EXPECTED) == 6


@pytest.mark.parametrize(("case", "expected"), list(zip(YTDLP_CASES, YTDLP_EXPECTED, strict=True)))
def test_ytdlp_json_ld_cases(case: dict[str, Any], expected: Expected) -> None:
    ex = GenericExtractor(expected.page)
    result = ex.extract(
        PageKind.ITEM,
        expected.page,
        case["html"].encode(),
        encoding=None,
        fetched_at=dt.datetime(2025, 1, 15),
    )
    got = [
        (r.kind.value, r.url, r.title, r.duration, r.views, r.upload_date, [p.name for p in r.persons])
        for r in result.items
    ]
    assert got == expected.items, expected.why
    ytdlp = case["yt_dlp_expected"]
    for record in result.items:  # where both read a value, they agree
        assert record.duration == ytdlp.get("duration", record.duration)
        assert record.views == ytdlp.get("view_count", record.views)
        if not str(ytdlp.get("title", "")).startswith("md5:"):
            assert record.title == ytdlp.get("title", record.title)


# --------------------------------------------------------------------------------------- schema.org

SDO_EXAMPLES = {
    match.group(1): match.group(0)
    for match in re.finditer(
        r"^TYPES: *(#eg-\d+|\S+).*?(?=^TYPES:|\Z)",
        (PEERS / "schemaorg" / "examples.txt").read_text(encoding="utf-8"),
        re.S | re.M,
    )
}


def _section(example: str, name: str) -> str:
    match = re.search(rf"^{name}:(.*?)(?=^[A-Z-]+:|\Z)", example, re.S | re.M)
    return match.group(1).strip() if match else ""


FOO = ("video", "http://example.com/page", "Interview with the Foo Fighters", 93.0, None, None, None)
BEACH = ("photo", "http://example.com/page", "Beach in Mexico", None, None, dt.date(2008, 1, 25), "Jane Doe")
SDO_PAGES = {
    "#eg-0446": "http://videolectures.net/iswc2013_guha_tunnel/",
    "#eg-0166": "http://www.bbc.co.uk/programmes/b00sj9sq",
    "#eg-0424": "http://techcrunch.com/2015/03/08/apple-watch-event-live-blog",
}
SDO_ITEMS: dict[str, list[tuple[object, ...]]] = {
    # a band's page whose `subjectOf` is an interview video; its only counter is a CommentAction: no views
    "#eg-0009": [FOO],
    "#eg-0021": [BEACH],  # an ImageObject that is the page's only node: a photo
    "#eg-0404": [BEACH],  # the same with additionalProperty
    # a VideoObject with Clip parts; the example's microdata is "TODO"
    "#eg-0267 JSON": [("video", "http://example.com/page", "Cat video", 600.0, None, None, None)],
    "#eg-0380": [("video", "http://example.com/page", "Video Title", 192.0, None, dt.date(2000, 1, 1), None)],
    # a VideoGame page with a review video under `subjectOf`
    "#eg-0447": [("video", "http://example.com/page", "Super Game review", 93.0, None, None, None)],
    # likes (512, 1024, 1024) and shares (2345) are not views; the WatchAction counter (4356) is
    "#eg-0446 JSON": [
        (
            "video",
            SDO_PAGES["#eg-0446"],
            "Light at the End of the Tunnel",
            None,
            4356,
            dt.date(2013, 11, 28),
            "Ramanathan V. Guha",
        )
    ],
    "#eg-0446 MICRODATA": [  # the microdata states no date
        (
            "video",
            SDO_PAGES["#eg-0446"],
            "Light at the End of the Tunnel",
            None,
            4356,
            None,
            "Ramanathan V. Guha",
        )
    ],
    # series -> season -> episode -> `video`: nested at any depth, at its own (same-site) URL
    "#eg-0166": [("video", "http://www.bbc.co.uk/iplayer/episode/b00sj9sq", None, None, None, None, None)],
    # a live blog whose one embedded video is its only media: the page's video, by the same rule as a
    # TVEpisode page (a nested video that names no URL stands for the page when it is the only one)
    "#eg-0424": [("video", SDO_PAGES["#eg-0424"], None, None, None, None, None)],
}
"""Every other example gives nothing: audio (MediaObject/AudioObject, podcasts), actions, recipes, articles
and blog posts with pictures, reviews and claims about videos elsewhere, counters of persons and
organisations."""


SDO_CASES = [
    (example, syntax)
    for example in SDO_EXAMPLES
    for syntax in ("JSON", "MICRODATA", "RDFA")
    if _section(SDO_EXAMPLES[example], syntax) not in ("", "TODO")
]


@pytest.mark.parametrize(("example", "syntax"), SDO_CASES)
def test_schemaorg_examples(example: str, syntax: str) -> None:
    page = SDO_PAGES.get(example, "http://example.com/page")
    records = extract_schemaorg(_section(SDO_EXAMPLES[example], syntax), page)
    got = [(r.kind.value, r.url, r.title, r.duration, r.views, r.upload_date, r.uploader) for r in records]
    if syntax == "RDFA":
        # unmask does not read RDFa: no platform in its scope publishes catalogue data only as RDFa, and
        # every example here has a JSON-LD or microdata form that is read
        assert got == []
        return
    assert got == SDO_ITEMS.get(f"{example} {syntax}", SDO_ITEMS.get(example, []))


def test_schemaorg_examples_cover_every_media_type() -> None:
    text = (PEERS / "schemaorg" / "examples.txt").read_text(encoding="utf-8")
    for needle in ("VideoObject", "ImageObject", "MediaObject", "interactionStatistic", "InteractionCounter"):
        assert needle in text
    assert len(SDO_EXAMPLES) == 29
