from __future__ import annotations

import datetime as dt
import json

import pytest

from unmask.census.extract.schemaorg import extract_page_links, extract_schemaorg
from unmask.census.model import ItemKind, PersonRef

BASE = "http://site.example"
PAGE = f"{BASE}/video/1/slug"


def page(*jsonld: object, head: str = "", body: str = "") -> str:
    scripts = "".join(f'<script type="application/ld+json">{json.dumps(d)}</script>' for d in jsonld)
    return f"<html><head>{head}{scripts}</head><body>{body}</body></html>"


VIDEO: dict[str, object] = {
    "@context": "https://schema.org",
    "@type": "VideoObject",
    "name": "Title &amp; more",
    "duration": "PT12M34S",
    "uploadDate": "2021-03-04T10:00:00+00:00",
    "interactionStatistic": {
        "@type": "InteractionCounter",
        "interactionType": {"@type": "WatchAction"},
        "userInteractionCount": 1234,
    },
    "author": {"@type": "Person", "name": "Bob", "url": "/user/bob"},
    "actor": [
        {"@type": "Person", "name": "Ann", "url": f"{BASE}/model/ann"},
        {"@type": "Person", "name": "Cy"},
    ],
    "keywords": "sky, river,sea",
    "genre": "Nature",
    "thumbnailUrl": f"{BASE}/media/thumbs/1.jpg",
    "thumbnail": {"@type": "ImageObject", "url": f"{BASE}/media/thumbs/1.jpg"},
    "contentUrl": f"{BASE}/media/videos/1.mp4",
}


def test_video_object() -> None:
    (record,) = extract_schemaorg(page(VIDEO), PAGE)
    assert record.kind is ItemKind.VIDEO
    assert record.url == PAGE
    assert record.title == "Title & more"
    assert record.duration == 754.0
    assert record.views == 1234
    assert record.upload_date == dt.date(2021, 3, 4)
    assert (record.uploader, record.uploader_url) == ("Bob", f"{BASE}/user/bob")
    assert record.persons == [PersonRef("Ann", f"{BASE}/model/ann"), PersonRef("Cy")]
    assert record.tags == ["sky", "river", "sea"]
    assert record.categories == ["Nature"]
    assert record.platform_id is None  # the extractor sets it


def test_graph_with_references_and_canonical() -> None:
    graph = {
        "@context": "https://schema.org",
        "@graph": [
            {"@type": "WebPage", "@id": f"{BASE}/video/1/slug#page", "mainEntity": {"@id": "#video"}},
            {**VIDEO, "@id": "#video", "author": {"@id": "#bob"}},
            {"@type": "Person", "@id": "#bob", "name": "Bob"},
        ],
    }
    head = f'<link rel="canonical" href="{PAGE}?utm_source=x">'
    (record,) = extract_schemaorg(page(graph, head=head), f"{PAGE}?ref=home")
    assert record.url == PAGE
    assert record.uploader == "Bob"


@pytest.mark.parametrize(
    ("actor", "expected"),
    [
        ({"@type": "Person", "name": "Ann"}, [PersonRef("Ann")]),
        ("Ann", [PersonRef("Ann")]),
        (["Ann", "Bea"], [PersonRef("Ann"), PersonRef("Bea")]),
        ([{"name": "Ann"}, {"@type": "Person", "name": ["Bea"]}], [PersonRef("Ann"), PersonRef("Bea")]),
        ([{"@type": "Organization", "name": "Studio"}], []),
        ([{"@type": "Person"}, None, 3], []),
        ([{"@type": "Person", "name": "Ann"}] * 2, [PersonRef("Ann")]),
    ],
)
def test_actor_shapes(actor: object, expected: list[PersonRef]) -> None:
    (record,) = extract_schemaorg(page({**VIDEO, "actor": actor}), PAGE)
    assert record.persons == expected


def test_about_counts_only_persons_and_character_counts_too() -> None:
    data = {
        **VIDEO,
        "actor": None,
        "about": ["a topic", {"@type": "Thing", "name": "x"}, {"@type": "Person", "name": "Di"}],
    }
    data["character"] = {"@type": "Person", "name": "Ed"}
    (record,) = extract_schemaorg(page(data), PAGE)
    assert record.persons == [PersonRef("Ed"), PersonRef("Di")]


@pytest.mark.parametrize(
    ("statistic", "expected"),
    [
        ({"interactionType": "http://schema.org/WatchAction", "userInteractionCount": "1,234"}, 1234),
        ({"interactionType": "https://schema.org/ViewAction", "userInteractionCount": 5}, 5),
        ({"interactionType": "WatchAction", "userInteractionCount": "12.3K"}, 12_300),
        ({"interactionType": {"@type": "WatchAction"}, "userInteractionCount": [7]}, 7),
        (
            [
                {"interactionType": "LikeAction", "userInteractionCount": 9},
                {"interactionType": "WatchAction", "userInteractionCount": 99},
            ],
            99,
        ),
        ({"userInteractionCount": 42}, None),  # a counter of no stated kind is not a view count
        ([{"interactionType": "LikeAction", "userInteractionCount": 9}], None),
        ({"interactionType": "https://schema.org/CommentAction", "userInteractionCount": "18"}, None),
        ({"interactionType": "http://schema.org/ShareAction", "userInteractionCount": 2345}, None),
        ("not a counter", None),
        ({"interactionType": "WatchAction", "userInteractionCount": "many"}, None),
    ],
)
def test_interaction_statistic_variants(statistic: object, expected: int | None) -> None:
    (record,) = extract_schemaorg(page({**VIDEO, "interactionStatistic": statistic}), PAGE)
    assert record.views == expected


def test_legacy_interaction_count() -> None:
    data = {**VIDEO, "interactionStatistic": None, "interactionCount": "UserViews:42"}
    assert extract_schemaorg(page(data), PAGE)[0].views == 42


@pytest.mark.parametrize(
    ("keywords", "expected"),
    [("a,b , c", ["a", "b", "c"]), (["a", "b, c", "a"], ["a", "b", "c"]), (None, []), (5, ["5"])],
)
def test_keywords(keywords: object, expected: list[str]) -> None:
    assert extract_schemaorg(page({**VIDEO, "keywords": keywords}), PAGE)[0].tags == expected


def test_broken_script_does_not_hide_the_others() -> None:
    html = f'<html><head><script type="application/ld+json">{{broken</script>{page(VIDEO)}</head></html>'
    assert len(extract_schemaorg(html, PAGE)) == 1


def test_list_at_top_level_and_item_list_of_videos() -> None:
    listing = {
        "@type": "ItemList",
        "itemListElement": [
            {"@type": "ListItem", "position": 1, "item": {**VIDEO, "url": f"{BASE}/video/2/b"}},
            {"@type": "ListItem", "position": 2, "item": {**VIDEO, "url": f"{BASE}/video/3/c"}},
        ],
    }
    records = extract_schemaorg(page([listing]), f"{BASE}/browse/videos")
    assert [r.url for r in records] == [f"{BASE}/video/2/b", f"{BASE}/video/3/c"]


def test_item_on_another_site_is_skipped() -> None:
    assert extract_schemaorg(page({**VIDEO, "url": "http://other.example/v/1"}), PAGE) == []


MICRODATA_PHOTO = """<html><body>
<div itemscope itemtype="https://schema.org/ImageObject">
  <h1 itemprop="name">Photo words</h1>
  <meta itemprop="uploadDate" content="2022-06-01">
  <img itemprop="contentUrl" src="/media/photos/555.jpg">
  <span itemprop="author" itemscope itemtype="https://schema.org/Person">
    <a itemprop="url" href="/user/bob"><span itemprop="name">Bob</span></a></span>
  <span itemprop="about" itemscope itemtype="https://schema.org/Person">
    <a itemprop="url" href="/model/ann"><span itemprop="name">Ann</span></a></span>
  <div itemprop="interactionStatistic" itemscope itemtype="https://schema.org/InteractionCounter">
    <link itemprop="interactionType" href="https://schema.org/WatchAction">
    <meta itemprop="userInteractionCount" content="1001"></div>
  <a itemprop="url" href="/media/photos/555.jpg">full size</a>
</div></body></html>"""


def test_microdata_image_object() -> None:
    (record,) = extract_schemaorg(MICRODATA_PHOTO, f"{BASE}/photo/555")
    assert record.kind is ItemKind.PHOTO
    assert record.url == f"{BASE}/photo/555"  # its url is the image file: the page stands for it
    assert (record.title, record.views, record.upload_date) == ("Photo words", 1001, dt.date(2022, 6, 1))
    assert (record.uploader, record.uploader_url) == ("Bob", f"{BASE}/user/bob")
    assert record.persons == [PersonRef("Ann", f"{BASE}/model/ann")]


def test_image_gallery() -> None:
    gallery = {
        "@context": "https://schema.org",
        "@type": "ImageGallery",
        "name": "Album",
        "datePublished": "2022-05-30",
        "about": [{"@type": "Person", "name": "Ann"}],
        "associatedMedia": [
            {"@type": "ImageObject", "contentUrl": f"{BASE}/media/photos/{i}.jpg", "url": f"{BASE}/photo/{i}"}
            for i in range(24)
        ],
    }
    (record,) = extract_schemaorg(page(gallery), f"{BASE}/album/7/x")
    assert (record.kind, record.title, record.photo_count) == (ItemKind.GALLERY, "Album", 24)
    assert record.upload_date == dt.date(2022, 5, 30)
    assert record.persons == [PersonRef("Ann")]


def test_collection_page_with_media_is_a_gallery_and_without_is_not() -> None:
    media = {"@type": "CollectionPage", "associatedMedia": {"@type": "ImageObject", "contentUrl": "/m/1.jpg"}}
    (record,) = extract_schemaorg(page(media), f"{BASE}/album/1")
    assert (record.kind, record.photo_count) == (ItemKind.GALLERY, 1)
    assert extract_schemaorg(page({"@type": "CollectionPage", "name": "x"}), f"{BASE}/album/1") == []


OG = """<meta property="og:type" content="video.other"><meta property="og:title" content="OG title">
<meta property="og:url" content="{url}"><meta property="video:duration" content="754">
<meta property="video:release_date" content="2021-03-04">
<meta property="video:actor" content="/model/ann-lee"><meta property="video:actor" content="Bea">
<meta property="video:tag" content="sky"><meta property="video:tag" content="sea">
<meta property="og:video" content="{base}/media/videos/1.mp4">"""


def test_opengraph_fallback() -> None:
    (record,) = extract_schemaorg(page(head=OG.format(url=PAGE, base=BASE)), PAGE)
    assert (record.kind, record.url, record.title, record.duration) == (
        ItemKind.VIDEO,
        PAGE,
        "OG title",
        754.0,
    )
    assert record.upload_date == dt.date(2021, 3, 4)
    assert record.persons == [PersonRef("ann lee", f"{BASE}/model/ann-lee"), PersonRef("Bea")]
    assert record.tags == ["sky", "sea"]


def test_opengraph_is_not_used_when_structured_data_describes_the_page() -> None:
    (record,) = extract_schemaorg(page(VIDEO, head=OG.format(url=PAGE, base=BASE)), PAGE)
    assert record.title == "Title & more"


def test_opengraph_non_video_is_nothing() -> None:
    head = '<meta property="og:type" content="website"><meta property="og:title" content="Home">'
    assert extract_schemaorg(page(head=head), f"{BASE}/") == []


def test_page_links() -> None:
    item_list = {
        "@type": "ItemList",
        "itemListElement": [
            {"@type": "ListItem", "position": 1, "url": "/video/2/b?ref=list"},
            {"@type": "ListItem", "position": 2, "item": {"@id": f"{BASE}/video/3/c"}},
            {"@type": "ListItem", "position": 3, "item": f"{BASE}/video/4/d"},
            f"{BASE}/video/5/e",
            {"@type": "VideoObject", "url": f"{BASE}/video/6/f"},
            "http://other.example/video/9",
            f"{BASE}/media/x.jpg",
            {"@type": "ListItem", "position": 8},
        ],
    }
    head = f'<link rel="canonical" href="{BASE}/browse/videos?page=2"><link rel="prev" href="/browse/videos">'
    links = extract_page_links(page(item_list, head=head), f"{BASE}/browse/videos?page=2&utm_medium=x")
    assert links.canonical == f"{BASE}/browse/videos?page=2"
    assert links.next_url is None
    assert links.itemlist_urls == [f"{BASE}/video/{n}" for n in ("2/b", "3/c", "4/d", "5/e", "6/f")]
    canonical, next_url, urls = extract_page_links(
        '<a href="/x">x</a><a rel="nofollow next" href="/browse/videos?page=3">Next</a>',
        f"{BASE}/browse/videos",
    )
    assert (canonical, next_url, urls) == (None, f"{BASE}/browse/videos?page=3", [])


@pytest.mark.parametrize(
    "html",
    [
        "",
        "<html>",
        '<script type="application/ld+json">' + "[" * 100_000 + "</script>",
        '<script type="application/ld+json">'
        + json.dumps({"@graph": [{"@graph": [{"@graph": []}]}]})
        + "</script>",
        '<script type="application/ld+json">{"@type": ["VideoObject", 3, null], "name": {"x": 1}}</script>',
        '<script type="application/ld+json">'
        '{"@type": "VideoObject", "actor": {"@id": "#loop"}, "@id": "#loop"}</script>',
        '<div itemscope itemtype="https://schema.org/VideoObject">'
        '<div itemprop="actor" itemscope></div></div>',
        '<meta property="og:type" content="video.movie">',
    ],
)
def test_hostile_structured_data_never_raises(html: str) -> None:
    for record in extract_schemaorg(html, PAGE):
        assert record.url == PAGE


# ------------------------------------------------------------------- script wrappers and comments


@pytest.mark.parametrize(
    "wrapped",
    [
        "<!-- John joined the festival. -->\n{json}",
        "<!--\n{json}\n-->",
        "// a comment line\n{json}",
        "/* block */ {json}",
        "//<![CDATA[\n{json}\n//]]>",
        "<![CDATA[{json}]]>",
        "<!-- one -->\n<!-- two -->\n{json}",
    ],
)
def test_jsonld_script_with_comment_lines_or_wrappers_is_read(wrapped: str) -> None:
    script = wrapped.replace("{json}", json.dumps(VIDEO))
    html = f'<html><head><script type="application/ld+json">{script}</script></head></html>'
    (record,) = extract_schemaorg(html, PAGE)
    assert record.title == "Title & more"


def test_jsonld_with_comments_inside_is_read_leniently_but_not_when_huge() -> None:
    lenient = '{"@type": "VideoObject", "name": "T", // category\n "duration": "PT1M",}'
    html = f'<script type="application/ld+json">{lenient}</script>'
    assert [r.duration for r in extract_schemaorg(html, PAGE)] == [60.0]
    padding = '"x": "' + "a" * 300_000 + '", '
    huge = lenient.replace('"name"', padding + '"name"')
    assert extract_schemaorg(f'<script type="application/ld+json">{huge}</script>', PAGE) == []


# ---------------------------------------------------------------------------------------- views


@pytest.mark.parametrize(
    ("legacy", "expected"),
    [
        ("UserViews:42", 42),
        ("UserPlays: 1,234", 1234),
        ("5555 UserLikes", None),
        ("UserLikes:5555", None),
        ("UserComments:12", None),
        ("UserDownloads:7", None),
        ("4242", 4242),
        (4242, 4242),
        ("12 views", 12),
        ("", None),
    ],
)
def test_legacy_interaction_count_is_views_only_when_it_says_views(
    legacy: object, expected: int | None
) -> None:
    data = {**VIDEO, "interactionStatistic": None, "interactionCount": legacy}
    assert extract_schemaorg(page(data), PAGE)[0].views == expected


def test_interaction_counter_as_graph_member() -> None:
    graph = {
        "@context": "https://schema.org",
        "@graph": [
            {**VIDEO, "interactionStatistic": [{"@id": "#likes"}, {"@id": "#views"}]},
            {
                "@type": "InteractionCounter",
                "@id": "#likes",
                "interactionType": "LikeAction",
                "userInteractionCount": 5,
            },
            {
                "@type": "InteractionCounter",
                "@id": "#views",
                "interactionType": "WatchAction",
                "userInteractionCount": 77,
            },
        ],
    }
    (record,) = extract_schemaorg(page(graph), PAGE)
    assert record.views == 77


# ----------------------------------------------------------------------------------- nested items


NESTED = {k: v for k, v in VIDEO.items() if k not in {"@context", "url"}}


@pytest.mark.parametrize(
    ("container", "prop"),
    [
        ("TVEpisode", "video"),
        ("WebPage", "video"),
        ("MusicGroup", "subjectOf"),
        ("Article", "associatedMedia"),
        ("NewsArticle", "video"),
    ],
)
def test_video_nested_under_another_node_is_the_pages_item(container: str, prop: str) -> None:
    data = {"@context": "https://schema.org", "@type": container, "name": "Outer", prop: NESTED}
    (record,) = extract_schemaorg(page(data), PAGE)
    assert (record.kind, record.url, record.title, record.duration) == (
        ItemKind.VIDEO,
        PAGE,
        "Title & more",
        754.0,
    )


def test_nested_videos_with_their_own_urls_are_items_at_those_urls() -> None:
    data = {
        "@type": "WebPage",
        "video": [{**NESTED, "url": f"{BASE}/video/2/b"}, {**NESTED, "url": f"{BASE}/video/3/c"}],
    }
    records = extract_schemaorg(page(data), f"{BASE}/browse")
    assert [r.url for r in records] == [f"{BASE}/video/2/b", f"{BASE}/video/3/c"]


def test_several_unnamed_nested_videos_do_not_make_the_page_one_video() -> None:
    data = {"@type": "BlogPosting", "video": [NESTED, {**NESTED, "name": "Another"}]}
    assert extract_schemaorg(page(data), f"{BASE}/blog/post") == []


def test_nested_video_does_not_replace_the_pages_own_item() -> None:
    own = {**VIDEO, "name": "Own", "subjectOf": {**NESTED, "name": "Trailer"}}
    (record,) = extract_schemaorg(page(own), PAGE)
    assert record.title == "Own"


def test_video_label_id_is_not_a_url() -> None:
    data = {"@type": "TVEpisode", "video": {**NESTED, "@id": "vid-9457d0c6-b8ac"}}
    (record,) = extract_schemaorg(page(data), PAGE)
    assert record.url == PAGE


# ------------------------------------------------------------------------------------ photo items


YOAST_ARTICLE = {
    "@context": "https://schema.org",
    "@graph": [
        {
            "@type": "Article",
            "@id": f"{BASE}/2024/storm/#article",
            "headline": "Storm",
            "image": {"@id": f"{BASE}/2024/storm/#primaryimage"},
        },
        {
            "@type": "WebPage",
            "@id": f"{BASE}/2024/storm/",
            "primaryImageOfPage": {"@id": f"{BASE}/2024/storm/#primaryimage"},
        },
        {
            "@type": "ImageObject",
            "@id": f"{BASE}/2024/storm/#primaryimage",
            "url": f"{BASE}/wp-content/uploads/storm.jpg",
            "caption": "Clouds",
        },
        {
            "@type": "Organization",
            "name": "Paper",
            "logo": {"@type": "ImageObject", "url": f"{BASE}/logo.png"},
        },
    ],
}


def test_an_articles_picture_is_not_a_photo() -> None:
    assert extract_schemaorg(page(YOAST_ARTICLE), f"{BASE}/2024/storm/") == []


def test_a_top_level_picture_beside_an_article_is_not_a_photo() -> None:
    article = {"@type": "NewsArticle", "headline": "Storm"}
    picture = {"@type": "ImageObject", "contentUrl": "/i/storm.jpg", "name": "Clouds"}
    assert extract_schemaorg(page(article, picture), f"{BASE}/2024/storm/") == []


@pytest.mark.parametrize(
    "data",
    [
        {"@type": "ImageObject", "name": "Beach", "contentUrl": "/m/beach.jpg"},
        {"@type": "Photograph", "name": "Beach"},
        {"@type": "WebPage", "mainEntity": {"@type": "ImageObject", "name": "Beach"}},
        {"@type": "ImageObject", "name": "Beach", "mainEntityOfPage": f"{BASE}/photo/5"},
        {
            "@graph": [
                {"@type": "ItemPage", "mainEntity": {"@id": "#p"}},
                {"@type": "ImageObject", "@id": "#p", "name": "Beach"},
            ]
        },
    ],
)
def test_a_picture_that_is_the_pages_main_entity_is_a_photo(data: dict[str, object]) -> None:
    (record,) = extract_schemaorg(page({"@context": "https://schema.org", **data}), f"{BASE}/photo/5")
    assert (record.kind, record.url, record.title) == (ItemKind.PHOTO, f"{BASE}/photo/5", "Beach")


def test_pictures_of_a_gallery_or_listing_without_their_own_page_are_not_photos() -> None:
    listing = {
        "@type": "ItemList",
        "itemListElement": [
            {"@type": "ImageObject", "contentUrl": f"{BASE}/m/1.jpg"},
            {"@type": "ImageObject", "url": f"{BASE}/photo/2", "name": "Two"},
        ],
    }
    records = extract_schemaorg(page(listing), f"{BASE}/photos")
    assert [(r.kind, r.url) for r in records] == [(ItemKind.PHOTO, f"{BASE}/photo/2")]


OPENGRAPH_PAGES = {
    "plain": '<html><head><meta property="og:type" content="video.movie"><meta property="og:title" '
    'content="A"><meta property="og:video:tag" content="t1"><meta property="og:video:tag" content="t2">'
    "</head><body></body></html>",
    "declared prefix on html": '<html prefix="fb: http://ogp.me/ns/fb# my: http://x/"><head>'
    '<meta property="fb:app_id" content="1"><meta property="my:thing" content="2">'
    '<meta property="other:x" content="3"><meta property="OG:Type" content="video.other"></head></html>',
    "declared prefix on head": '<html><head prefix="my: http://x/"><meta property="my:thing" content="2">'
    '<meta property="video:actor" content="/p/someone"><meta property="og:url" content="/v/1">'
    '<meta name="og:title" content="no property"><meta property="og:image"></head></html>',
    "meta in body": '<html><head><meta property="og:type" content="video.movie"></head><body>'
    '<meta property="og:title" content="in the body"></body></html>',
    "no head": '<div><meta property="og:title" content="x"></div>',
    "many": "<html><head>" + '<meta property="video:tag" content="t">' * 600 + "</head></html>",
}


@pytest.mark.parametrize("name", sorted(OPENGRAPH_PAGES))
def test_opengraph_reading_matches_extructs(name: str) -> None:
    """The targeted reading that replaced extruct's OpenGraphExtractor gives the same properties."""
    from extruct.opengraph import OpenGraphExtractor

    from unmask.census.extract.document import Document
    from unmask.census.extract.schemaorg import MAX_LIST, opengraph_properties

    doc = Document.parse(OPENGRAPH_PAGES[name], "https://site.test/v/1")
    expected: dict[str, list[str]] = {}
    for block in OpenGraphExtractor().extract_items(doc.root):
        for prop, value in block["properties"][:MAX_LIST]:
            expected.setdefault(prop.lower().removeprefix("og:"), []).append(value)
    assert opengraph_properties(doc) == expected
