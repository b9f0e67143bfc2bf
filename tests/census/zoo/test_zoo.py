"""A site zoo: platforms laid out the way real platform software lays them out, each with its ground truth.

Every site is crawled generically and with its adapter, from a fresh random seed each time (the seed is
in every assertion message; ZOO_SEED=N replays it). The census must give exactly the site's truth:
items present by kind, video views, items found removed; say it is complete; and never ask for media.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.census.zoo.age_gate import AgeGate
from tests.census.zoo.common import TODAY, ZooSite
from tests.census.zoo.conftest import census, figures, fresh_seed, make_case, media_asked, said
from tests.census.zoo.gallery import GalleryScript
from tests.census.zoo.image_sitemap import ImageSitemap
from tests.census.zoo.kvs import KvsTube
from tests.census.zoo.listing_only import ListingOnly
from tests.census.zoo.spa import SinglePageApp
from tests.census.zoo.wordpress import WordPressTheme
from tests.helpers.cli import unmask

SITES: list[type[ZooSite]] = [
    KvsTube,
    WordPressTheme,
    GalleryScript,
    ListingOnly,
    ImageSitemap,
    SinglePageApp,
    AgeGate,
]
TRUTH_KEYS = ("videos", "photos", "galleries", "views", "removed")
NO_ITEMS = "no item was found on the site (an age gate, a login, or pages the crawler cannot read?)"


@pytest.mark.slow
@pytest.mark.parametrize("mode", ["generic", "adapter"])
@pytest.mark.parametrize("site_class", SITES, ids=lambda c: c.name)
def test_the_census_of_a_zoo_site_is_its_truth(site_class: type[ZooSite], mode: str, tmp_path: Path) -> None:
    site = site_class(fresh_seed())
    adapter = mode == "adapter"
    with site.serving() as server:
        case = make_case(tmp_path, site)
        summary = census(case, site, adapter=adapter)
        hits = dict(server.hits)
    got = figures(case)
    assert {k: got[k] for k in TRUTH_KEYS} == site.truth(adapter), said(site, mode, summary)
    assert summary["complete"] and got["complete"], said(site, mode, summary)
    assert not media_asked(hits), said(site, mode, summary)


@pytest.mark.slow
@pytest.mark.parametrize("mode", ["generic", "adapter"])
def test_an_age_gate_without_its_cookie_is_an_incomplete_census_of_nothing(mode: str, tmp_path: Path) -> None:
    site = AgeGate(fresh_seed())
    with site.serving():
        case = tmp_path / "case"
        unmask("init", str(case))  # no fetch.cookies: every page is the gate
        summary = census(case, site, adapter=mode == "adapter")
    got = figures(case)
    assert got["videos"] == 0 and got["complete"] is False, said(site, mode, summary)
    assert got["incomplete_reasons"] == [NO_ITEMS], said(site, mode, summary)
    assert got["verdict"].startswith("This census is incomplete: no item was found"), got["verdict"]


RECRAWLS = [(KvsTube, "generic"), (ListingOnly, "adapter"), (ImageSitemap, "generic")]


@pytest.mark.slow
@pytest.mark.parametrize(("site_class", "mode"), RECRAWLS, ids=lambda v: getattr(v, "name", v))
def test_a_recrawl_follows_the_site_and_a_dead_site_removes_nothing(
    site_class: type[ZooSite], mode: str, tmp_path: Path
) -> None:
    """Items added and items removed (404) between two crawls; then the site behind a 503 wall, then gone
    entirely: the figures follow the site, and a site that does not answer removes nothing."""
    site = site_class(fresh_seed())
    adapter = mode == "adapter"
    cat = site.cat  # type: ignore[attr-defined]
    with site.serving() as server:
        case = make_case(tmp_path, site)
        first = census(case, site, adapter=adapter)
        assert {k: figures(case)[k] for k in TRUTH_KEYS} == site.truth(adapter), said(site, mode, first)
        seen_removed = site.truth(adapter)["removed"]

        kinds = [k for k in ("video", "photo") if cat.present(k)]
        for kind in kinds:  # removals (some vanish, some stay listed: stale), then new uploads
            gone = cat.remove_some(kind, 0.1, stale=site.rng.random() < 0.5)
            seen_removed += len(gone)
            for _ in range(site.rng.randint(1, 4)):
                cat.add(kind, uploaded=TODAY)
        second = census(case, site, adapter=adapter)
        truth = cat.truth(seen_removed=seen_removed)
        assert {k: figures(case)[k] for k in TRUTH_KEYS} == truth, said(site, mode, second)
        assert second["complete"] and second["run"] == first["run"] + 1, said(site, mode, second)

        site.mode = "wall"  # every page answers 503: the run is incomplete and removes nothing
        third = census(case, site, adapter=adapter)
        got = figures(case)
        assert {k: got[k] for k in TRUTH_KEYS} == truth, said(site, mode, third)
        assert third["status"] == "incomplete" and third["removed"] == 0, said(site, mode, third)
        assert got["complete"] is False and "the figures are lower bounds" in got["verdict"]
        assert any("robots.txt could not be read" in r for r in got["incomplete_reasons"]), got
        base = server.base
    # the server is gone: nothing listens at the address any more
    fourth = census(case, site, adapter=adapter, check=False)
    assert fourth["exit"] == 1 and base in fourth["stderr"], said(site, mode, fourth)
    got = figures(case)
    assert {k: got[k] for k in TRUTH_KEYS} == truth, said(site, mode, fourth)
    assert got["complete"] is False
