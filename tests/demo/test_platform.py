"""The synthetic demo platform's data: determinism, size, time filtering, figures, invented names."""

from __future__ import annotations

import collections
import datetime as dt
import math
import random
import re
from collections.abc import Sequence

import pytest

from unmask.demo import names
from unmask.demo.platform import (
    DEFAULT_AS_OF,
    KINDS,
    PAGE_SIZES,
    SITEMAP_LIMIT,
    DemoPlatform,
    Item,
    Video,
)

SMALL = 0.02
EARLIER = dt.date(2022, 6, 1)

# Common real first names (several languages) that no invented person may carry.
REAL_FIRST_NAMES = {
    "anna", "maria", "emma", "olivia", "sophia", "mia", "lena", "sara", "laura", "julia", "eva",
    "kate", "nina", "lisa", "elsa", "emily", "james", "john", "michael", "david", "robert", "daniel",
    "thomas", "paul", "mark", "peter", "adam", "leo", "luca", "noah", "taylor", "jennifer", "jessica",
    "ana", "fatima", "mohammed", "wei", "yuki", "olga", "priya", "chloe", "zoe", "scarlett", "natalie",
}  # fmt: skip


@pytest.fixture(scope="module")
def small() -> DemoPlatform:
    return DemoPlatform(seed=3, scale=SMALL)


@pytest.fixture(scope="module")
def full() -> DemoPlatform:
    return DemoPlatform()


def _key(v: Video) -> tuple[object, ...]:
    """What does not depend on ``as_of`` (views do)."""
    return (v.id, v.title, v.duration, v.upload_date, v.uploader.slug, [p.slug for p in v.persons], v.tags)


# -- determinism ----------------------------------------------------------------------------------


def test_same_seed_gives_the_same_platform(small: DemoPlatform) -> None:
    again = DemoPlatform(seed=3, scale=SMALL)
    assert again.counts() == small.counts()
    assert again.expected_figures() == small.expected_figures()
    assert list(again.visible_videos()) == list(small.visible_videos())
    assert list(again.visible_photos())[:200] == list(small.visible_photos())[:200]
    assert list(again.visible_albums()) == list(small.visible_albums())
    assert again.persons() == small.persons()
    assert again.uploaders() == small.uploaders()


def test_another_seed_gives_another_platform(small: DemoPlatform) -> None:
    other = DemoPlatform(seed=4, scale=SMALL)
    assert [p.name for p in other.persons()] != [p.name for p in small.persons()]
    assert [v.title for v in other.visible_videos()[:50]] != [v.title for v in small.visible_videos()[:50]]
    assert other.expected_figures() != small.expected_figures()


@pytest.mark.slow
def test_as_of_only_filters_the_same_items(small: DemoPlatform) -> None:
    earlier = DemoPlatform(seed=3, scale=SMALL, as_of=EARLIER)
    assert 0 < len(earlier.visible_videos()) < len(small.visible_videos())
    assert [_key(v) for v in earlier.videos()] == [_key(v) for v in small.videos()]
    for v in earlier.visible_videos():
        later = small.video(v.id)
        assert later is not None and later.views >= v.views
    much_later = DemoPlatform(seed=3, scale=SMALL, as_of=dt.date(2026, 6, 1))
    assert len(much_later.videos()) > len(small.videos())
    assert [_key(v) for v in much_later.videos()[: len(small.videos())]] == [_key(v) for v in small.videos()]
    assert DemoPlatform(seed=3, scale=1 / 50).expected_figures() == small.expected_figures()


# -- time -----------------------------------------------------------------------------------------


def test_visible_items_exist_on_as_of(small: DemoPlatform) -> None:
    as_of = small.as_of
    for view in (small.visible_videos(), small.visible_photos(), small.visible_albums()):
        assert len(view) > 0
        for item in view:
            assert item.upload_date <= as_of
            assert item.removed_on is None or item.removed_on > as_of
            assert small.is_visible(item)


def test_items_outside_as_of_are_not_visible(small: DemoPlatform) -> None:
    visible = {v.id for v in small.visible_videos()}
    removed = [v for v in small.videos() if v.removed_on is not None and v.removed_on <= small.as_of]
    future = [v for v in small.videos() if v.upload_date > small.as_of]
    assert removed and future
    for v in removed + future:
        assert v.id not in visible
        assert not small.is_visible(v)
    assert len(visible) + len(removed) + len(future) == len(small.videos())


def test_removed_album_takes_its_photos_along(small: DemoPlatform) -> None:
    removed_albums = [a for a in small.albums() if a.removed_on is not None]
    assert removed_albums
    for album in removed_albums:
        for photo in small.photos():
            if photo.album_id == album.id:
                assert album.removed_on is not None and photo.removed_on is not None
                assert photo.removed_on <= album.removed_on


def test_a_removal_date_after_as_of_keeps_the_item(small: DemoPlatform) -> None:
    later = [v for v in small.visible_videos() if v.removed_on is not None]
    assert later, "some visible videos will be removed later"
    earlier = DemoPlatform(seed=3, scale=SMALL, as_of=EARLIER)
    gone = [
        v for v in earlier.videos() if v.removed_on is not None and EARLIER < v.removed_on <= DEFAULT_AS_OF
    ]
    visible_earlier = {v.id for v in earlier.visible_videos()}
    assert any(v.id in visible_earlier for v in gone)


def test_before_the_platform_opened_nothing_exists() -> None:
    empty = DemoPlatform(seed=3, scale=SMALL, as_of=dt.date(2017, 12, 31))
    figures = empty.expected_figures()
    assert figures["videos"] == figures["photos"] == figures["galleries"] == 0
    assert figures["first_upload"] is None and figures["last_upload"] is None
    assert empty.video_page(1) == [] and empty.video_page(2) is None
    assert empty.minimum_requests() == 2 + 3  # robots, index, one (empty) first page per listing


def test_ids_increase_with_upload_date(small: DemoPlatform) -> None:
    views: tuple[Sequence[Item], ...] = (small.videos(), small.photos(), small.albums())
    for view in views:
        items = list(view)
        assert [i.id for i in items] == sorted({i.id for i in items})
        assert [i.upload_date for i in items] == sorted(i.upload_date for i in items)


def test_views_grow_with_age(small: DemoPlatform) -> None:
    later = DemoPlatform(seed=3, scale=SMALL, as_of=dt.date(2025, 6, 1))
    v = small.visible_videos()[-1]
    again = later.video(v.id)
    assert again is not None and again.views > v.views


# -- shape ----------------------------------------------------------------------------------------


def test_item_fields_are_in_range(small: DemoPlatform) -> None:
    for v in small.videos():
        assert 20 <= v.duration <= 7200
        assert 1 <= len(v.persons) <= 3 and len(set(v.persons)) == len(v.persons)
        assert 2 <= len(v.tags) <= 6 and len(set(v.tags)) == len(v.tags)
        assert set(v.tags) <= set(names.TAGS) and v.category in names.CATEGORIES
        assert v.missing in (None, "duration", "views", "upload_date", "uploader", "persons")
    for p in small.photos():
        assert 1 <= len(p.persons) <= 2
        assert p.missing in (None, "views", "upload_date", "uploader", "persons")
    for a in small.albums():
        assert 1 <= len(a.persons) <= 2
        album_photos = [p for p in a.photo_ids if (photo := small.photo(p)) and small.is_visible(photo)]
        assert list(a.photo_ids) == album_photos and a.photo_count == len(album_photos)


def test_photos_share_their_album_date_and_uploader(small: DemoPlatform) -> None:
    for photo in small.visible_photos()[:300]:
        album = small.album(photo.album_id)
        assert album is not None
        assert (photo.upload_date, photo.uploader) == (album.upload_date, album.uploader)
        assert photo.id in album.photo_ids


def test_small_scales_still_have_items() -> None:
    for scale in (0.01, 0.001):
        p = DemoPlatform(seed=5, scale=scale)
        counts = p.counts()
        assert counts["videos"] >= 30 and counts["photos"] >= 30 and counts["albums"] >= 20
        assert counts["persons"] >= 20 and counts["uploaders"] >= 10
    assert DemoPlatform(scale=0.01).counts()["albums"] >= 36


@pytest.mark.slow
def test_scale_1_matches_the_investigation(full: DemoPlatform) -> None:
    counts = full.counts()  # how fast it is built: bench/census_bench.py
    assert 56_000 <= counts["videos"] <= 60_000
    assert 90_000 <= counts["photos"] <= 102_000
    assert 3_800 <= counts["albums"] <= 4_200
    assert counts["persons"] == 3_000 and counts["uploaders"] == 1_500
    figures = full.expected_figures()
    assert figures["first_upload"] == "2018-02-01"
    assert "2024-12-01" <= str(figures["last_upload"]) <= "2024-12-15"
    by_2019 = DemoPlatform(as_of=dt.date(2018, 12, 31)).counts()["videos"]
    assert 8_000 <= by_2019 <= 12_000
    celebrities = sum(p.celebrity for p in full.persons())
    assert 0.05 <= celebrities / 3_000 <= 0.11


@pytest.mark.slow
def test_scale_1_distributions(full: DemoPlatform) -> None:
    videos = list(full.visible_videos())
    durations = [v.duration for v in videos]
    assert sum(180 <= d <= 1500 for d in durations) / len(durations) > 0.85
    assert any(d > 3600 for d in durations)
    assert sum(v.views >= 1_000_000 for v in videos) >= 5
    per_person = collections.Counter(p.id for v in videos for p in v.persons)
    assert per_person.most_common(1)[0][1] >= 300
    assert sum(1 for n in per_person.values() if n >= 100) >= 10
    per_uploader = collections.Counter(v.uploader.id for v in videos)
    top10 = sum(n for _, n in per_uploader.most_common(10))
    assert top10 / len(videos) > 0.4
    gappy = sum(v.missing is not None for v in videos) / len(videos)
    removed = sum(v.removed_on is not None for v in full.videos()) / len(full.videos())
    assert 0.02 <= gappy <= 0.04 and 0.015 <= removed <= 0.025


# -- pages, sitemaps and figures ------------------------------------------------------------------


def test_listing_pages_are_newest_first_and_complete(small: DemoPlatform) -> None:
    pages = small.page_count("videos")
    seen: list[int] = []
    for n in range(1, pages + 1):
        page = small.video_page(n)
        assert page is not None and 0 < len(page) <= PAGE_SIZES["videos"]
        seen += [v.id for v in page]
    assert small.video_page(pages + 1) is None and small.video_page(0) is None
    assert seen == sorted((v.id for v in small.visible_videos()), reverse=True)
    photos = small.photo_page(1)
    assert photos is not None and len(photos) == PAGE_SIZES["photos"]


def test_sitemaps_split_at_the_limit(full: DemoPlatform) -> None:
    n = len(full.visible_videos())
    assert full.sitemap_count("videos") == math.ceil(n / SITEMAP_LIMIT)
    first, last = full.video_sitemap(1), full.video_sitemap(full.sitemap_count("videos"))
    assert first is not None and len(first) == SITEMAP_LIMIT and first[0].id == full.visible_videos()[0].id
    assert last is not None and last[-1].id == full.visible_videos()[-1].id
    assert full.video_sitemap(full.sitemap_count("videos") + 1) is None


def test_minimum_requests_arithmetic(small: DemoPlatform) -> None:
    counts = {
        "videos": len(small.visible_videos()),
        "photos": len(small.visible_photos()),
        "albums": len(small.visible_albums()),
    }
    sitemaps = sum(math.ceil(counts[k] / SITEMAP_LIMIT) for k in KINDS)
    listings = sum(max(1, math.ceil(counts[k] / PAGE_SIZES[k])) for k in KINDS)
    gappy = sum(
        item.missing is not None
        for view in (small.visible_videos(), small.visible_photos(), small.visible_albums())
        for item in view
    )
    assert gappy > 0
    assert small.minimum_requests() == 1 + 1 + sitemaps + listings + gappy
    assert small.minimum_requests("schema") == 1 + 1 + sitemaps + sum(counts.values())


def test_expected_figures_match_the_records(small: DemoPlatform) -> None:
    videos, photos = list(small.visible_videos()), list(small.visible_photos())
    items: list[Item] = [*videos, *photos]
    figures = small.expected_figures()
    assert figures["videos"] == len(videos) and figures["photos"] == len(photos)
    assert figures["galleries"] == len(small.visible_albums())
    assert figures["hours"] == pytest.approx(sum(v.duration for v in videos) / 3600)
    assert figures["views"] == sum(v.views for v in videos)
    assert figures["uploaders"] == len({i.uploader.id for i in items})
    assert figures["targets"] == len({p.id for i in items for p in i.persons})
    assert figures["first_upload"] == videos[0].upload_date.isoformat()
    assert figures["last_upload"] == videos[-1].upload_date.isoformat()


def test_lookups(small: DemoPlatform) -> None:
    v = small.visible_videos()[10]
    assert small.video(v.id) is v and small.video(999_999_999) is None
    person = v.persons[0]
    assert small.person(person.slug) is person
    assert any(x.id == v.id for x in small.videos_of_person(person))
    assert all(person in x.persons for x in small.videos_of_person(person))
    assert small.uploader(v.uploader.slug) is v.uploader
    assert small.uploader_counts(v.uploader)["videos"] >= 1
    assert all(v.tags[0] in x.tags for x in small.videos_with_tag(v.tags[0]))
    assert all(x.category == v.category for x in small.videos_in_category(v.category))


# -- names ----------------------------------------------------------------------------------------


def test_person_names_are_invented(full: DemoPlatform) -> None:
    persons = full.persons()
    assert len({p.slug for p in persons}) == len(persons)
    for p in persons:
        first, _last = p.name.split(" ")
        assert first.lower() not in REAL_FIRST_NAMES
        assert names.is_invented_name(p.name), p.name
        assert p.slug == names.slugify(p.name)
    assert not names.is_invented_name("Anna Smith")
    assert not names.is_invented_name("Maria Vorwick")


def test_generator_only_uses_its_syllables() -> None:
    rng = random.Random(1)
    for _ in range(2_000):
        first, last = names.person_name(rng).lower().split(" ")
        assert first.startswith(names.FIRST_ONSETS) and first.endswith(names.FIRST_CODAS)
        assert last.startswith(names.LAST_ONSETS) and last.endswith(names.LAST_CODAS)
        assert first not in REAL_FIRST_NAMES


def test_titles_tags_and_handles_are_neutral(small: DemoPlatform) -> None:
    vocabulary = set(names.ADJECTIVES) | {w for n in names.NOUNS for w in n.split()}
    vocabulary |= {"at", "the", "part", "vol", "diary", "notes", "clip", "moments", "highlights"}
    items: list[Item] = [*small.visible_videos(), *small.visible_albums(), *small.visible_photos()[:300]]
    for item in items:
        words = re.findall(r"[a-z]+", item.title.lower())
        assert set(words) <= vocabulary, item.title
    for u in small.uploaders():
        assert re.fullmatch(r"[a-z0-9_]+", u.slug) and u.slug == u.name


def test_slugify() -> None:
    assert names.slugify("Late night, part 2") == "late-night-part-2"
    assert names.slugify("  Road trip (vol. 3)!") == "road-trip-vol-3"
