"""Forum censuses of the zoo (XenForo 2, MyBB 1.8, phpBB 3, Discourse) against each forum's ground truth."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.forum.zoo import MEDIA_PREFIXES, ZOO, ZooForum
from tests.helpers.cli import UNMASK, unmask, unmask_json
from unmask.core.case import Case
from unmask.core.store.models import Person, Platform
from unmask.demo.forum import ForumWorld

pytestmark = pytest.mark.slow  # every test crawls the forum zoo or runs `unmask` end to end


def forum_crawl(case: Path, url: str, *extra: str) -> dict[str, Any]:
    result: dict[str, Any] = unmask_json(
        "forum", "crawl", url, "--case", str(case), "--delay", "0", "--concurrency", "4", *extra
    )
    return result


@pytest.fixture(scope="module", params=sorted(ZOO))
def crawled(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    world = ForumWorld(seed=11, threads=90)
    site: ZooForum = ZOO[request.param](world)
    case = tmp_path_factory.mktemp(site.name) / "case"
    unmask("init", str(case))
    with site.serving() as server:
        summary = forum_crawl(case, site.start)
        yield site, world, case, summary, server


def test_the_engine_is_recognised_from_the_start_page(crawled: Any) -> None:
    site, _world, _case, summary, _server = crawled
    assert summary["engine"] == site.adapter


def test_a_complete_census_counts_exactly_the_threads_present(crawled: Any) -> None:
    _site, world, case, summary, _server = crawled
    truth = world.truth()
    assert summary["complete"], summary["incomplete_reasons"]
    figures = unmask_json("forum", "stats", "--case", str(case))
    assert figures["threads"] == truth["threads"]
    assert figures["kinds"] == truth["kinds"]
    assert figures["sections"] == truth["sections"]
    assert figures["monthly"] == truth["monthly"]
    assert figures["complete"] is True


def test_prices_per_currency_are_those_of_the_first_posts(crawled: Any) -> None:
    _site, world, case, _summary, _server = crawled
    figures = unmask_json("forum", "stats", "--case", str(case))
    got = {cur: {k: p[k] for k in ("count", "min", "median", "max")} for cur, p in figures["prices"].items()}
    assert got == world.truth()["prices"]


def test_each_thread_has_its_own_prices_kind_and_date(crawled: Any) -> None:
    _site, world, case, _summary, _server = crawled
    listed = {t["id"]: t for t in unmask_json("forum", "threads", "--case", str(case))}
    assert set(listed) == {str(t.id) for t in world.counted()}
    for t in world.counted():
        row = listed[str(t.id)]
        assert row["kind"] == t.kind and row["kind_rule"] if t.kind != "other" else row["kind"] == "other"
        assert row["started"] == t.started.date().isoformat(), (t.id, row["started"], t.started)
        assert [(p["min"], p["max"], p["currency"]) for p in row["prices"]] == [
            (float(lo), float(hi), cur) for lo, hi, cur in t.prices
        ]


def test_deleted_threads_in_feeds_are_not_counted(crawled: Any) -> None:
    site, world, case, summary, _server = crawled
    deleted = {str(t.id) for t in world.threads if t.deleted}
    assert deleted
    listed = {t["id"] for t in unmask_json("forum", "threads", "--case", str(case))}
    assert not deleted & listed
    if site.name != "mybb":  # the others still list deleted threads in a feed (or a cached listing)
        assert summary["gone"] >= 1 and summary["removed"] >= 1


def test_the_login_only_section_is_recorded_closed_not_counted(crawled: Any) -> None:
    _site, _world, case, summary, _server = crawled
    figures = unmask_json("forum", "stats", "--case", str(case))
    assert figures["closed_sections"] == ["Verified Creators Lounge"]
    assert "Verified Creators Lounge" not in {s["name"] for s in figures["sections"]}
    assert summary["closed_sections"] == 1


def test_attachments_and_embedded_media_are_never_fetched(crawled: Any) -> None:
    site, _world, _case, _summary, server = crawled
    asked = [
        p for p in server.hits if any(p.startswith(site.root + m) or p.startswith(m) for m in MEDIA_PREFIXES)
    ]
    assert asked == []


def test_an_endless_pagination_is_read_to_its_end_not_cut(crawled: Any) -> None:
    _site, _world, _case, summary, _server = crawled
    assert summary["complete"] and not any("limit" in r for r in summary["incomplete_reasons"])


def test_thread_starters_never_appear_in_any_output(crawled: Any) -> None:
    _site, world, case, _summary, _server = crawled
    out = unmask("forum", "threads", "--case", str(case), "--json").stdout
    out += unmask("forum", "stats", "--case", str(case), "--json").stdout
    for t in world.threads:
        assert t.starter not in out
    assert "Member-" in out


def test_the_non_public_share_needs_a_public_figure_list(crawled: Any, tmp_path: Path) -> None:
    _site, world, case, _summary, _server = crawled
    figures = unmask_json("forum", "stats", "--case", str(case))
    assert figures["non_public_share"] is None
    the_case = Case.open(case)
    try:
        with the_case.store.session() as s:
            if not s.query(Person).count():
                platform = Platform(base_url="http://census.invalid", name="census")
                s.add(platform)
                s.flush()
                s.add_all(Person(platform_id=platform.id, name=n, name_key=n.lower()) for n in world.persons)
    finally:
        the_case.close()
    listed = tmp_path / "public.csv"
    listed.write_text("name\n" + "\n".join(world.public) + "\n")
    figures = unmask_json("forum", "stats", "--case", str(case), "--public-figures", str(listed))
    assert figures["non_public_share"]["share"] == pytest.approx(world.non_public_share(), abs=1e-4)


def test_every_capture_of_a_forum_crawl_names_its_forum_run(crawled: Any) -> None:
    _site, _world, case, summary, _server = crawled
    with sqlite3.connect(case / "unmask.db") as db:
        runs = db.execute("select forum_run_id, run_id, count(*) from capture group by 1, 2").fetchall()
    assert [(forum_run, census_run) for forum_run, census_run, _n in runs] == [(summary["run"], None)]
    assert runs[0][2] >= summary["requests"] > 0


def test_a_second_run_after_a_complete_one_starts_a_new_run(crawled: Any) -> None:
    site, world, case, _summary, _server = crawled
    again = forum_crawl(case, site.start)
    assert again["run"] == 2 and not again["resumed"] and again["complete"]
    assert again["threads"] == len(world.counted())


def test_a_forum_crawl_resumes_after_ctrl_c_without_fetching_stored_pages(tmp_path: Path) -> None:
    world = ForumWorld(seed=5, threads=600)
    site = ZOO["xenforo"](world)
    case = tmp_path / "case"
    unmask("init", str(case))
    with site.serving() as server:
        inner = site.handle

        def slow(h: Any) -> None:
            time.sleep(0.2)
            inner(h)

        server.prefix("/", slow)
        args = [*UNMASK, "forum", "crawl", site.start, "--case", str(case), "--delay", "0"]
        args += ["--concurrency", "4", "--json"]
        proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env={**os.environ})
        time.sleep(4)  # some 80 of its 640 pages: the rest cannot be read in time
        proc.send_signal(signal.SIGINT)
        out, _err = proc.communicate(timeout=60)
        server.prefix("/", inner)  # the second session at full speed
        assert proc.returncode == 130  # interrupted, as the census: its summary is printed first
        first = json.loads(out)
        assert first["status"] == "interrupted" and not first["complete"]
        with sqlite3.connect(case / "unmask.db") as db:
            stored = [
                urlsplit(u).path
                for (u,) in db.execute("select url from forum_frontier where status = 'done'")
            ]
        before = dict(server.hits)
        second = forum_crawl(case, site.start)
    assert stored and second["resumed"] and second["complete"]
    assert second["threads"] == len(world.counted())
    fetched_again = [p for p in stored if server.hits[p] > before[p]]
    assert fetched_again == []


def test_an_unreachable_start_url_fails_in_one_line(tmp_path: Path) -> None:
    case = tmp_path / "case"
    unmask("init", str(case))
    proc = unmask(
        "forum", "crawl", "http://127.0.0.1:9/", "--case", str(case), "--delay", "0", "-q", check=False
    )
    assert proc.returncode == 1
    assert proc.stderr.strip().count("\n") == 0 and "127.0.0.1:9" in proc.stderr


def test_a_site_that_is_no_known_forum_fails_in_one_line(tmp_path: Path) -> None:
    from tests.helpers.hostile import HostileServer

    case = tmp_path / "case"
    unmask("init", str(case))
    with HostileServer() as server:
        server.route("/", lambda h: h.send_body(200, b"<html><body>just a page</body></html>"))
        proc = unmask(
            "forum", "crawl", server.url("/"), "--case", str(case), "--delay", "0", "-q", check=False
        )
    assert proc.returncode != 0
    assert "no forum engine recognised" in proc.stderr and proc.stderr.strip().count("\n") == 0
