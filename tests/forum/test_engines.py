"""Engines: detection from markup, pages of the engines the zoo does not serve (vBulletin, NodeBB), and
adapter files checked when loaded."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from tests.forum.zoo import ZOO
from unmask.core.errors import UnmaskError
from unmask.demo.forum import ForumWorld
from unmask.forum.adapter import detect, engine, load_adapter, read_date
from unmask.forum.model import PageKind

NOW = dt.datetime(2026, 3, 10, 15, 0)


@pytest.mark.parametrize("name", sorted(ZOO))
def test_each_zoo_engine_is_recognised_from_its_start_page(name: str) -> None:
    site = ZOO[name](ForumWorld(seed=1, threads=10))
    body = site.route(site.root + "/" if site.root else "/", {}).body
    found = detect(body)
    assert found is not None and found.name == site.adapter


VBULLETIN_THREAD = b"""<html><head><meta name="generator" content="vBulletin 4.2.5" /></head><body>
<div id="breadcrumb"><ul><li class="navbit"><a href="forum.php">Forum</a></li>
<li class="navbit"><a href="forumdisplay.php?f=7">Paid Requests</a></li></ul></div>
<div id="pagetitle"><h1><span class="threadtitle">
<a href="showthread.php?t=991">Zelvix Ozzani clip</a></span></h1></div>
<ol id="posts"><li class="postcontainer"><span class="date">03-08-2026</span>
<a class="username" href="member.php?u=3"><strong>lensnight42</strong></a>
<div class="postcontent">Paying $120 for 10 min. <img src="attachment.php?attachmentid=5"></div></li>
<li class="postcontainer"><div class="postcontent">reply $5</div></li></ol></body></html>"""

NODEBB_THREAD = b"""<html><head><script src="/assets/nodebb.min.js"></script></head><body>
<ol class="breadcrumb"><li itemprop="itemListElement">
<a href="/category/4/marketplace">Marketplace</a></li></ol>
<h1 component="post/header"><span component="topic/title">Commissions open</span></h1>
<ul component="topic"><li component="post" data-index="0" data-username="orbitvel7">
<meta itemprop="datePublished" content="2026-03-09T10:00:00.000Z">
<div component="post/content" itemprop="text"><p>Taking commissions: 0.004 BTC each.</p></div></li></ul>
</body></html>"""


def test_a_vbulletin_thread_page_gives_its_first_post_only() -> None:
    adapter = engine("vbulletin")
    assert detect(VBULLETIN_THREAD) is adapter
    result = adapter.extract(
        PageKind.THREAD, "http://f.example/showthread.php?t=991", VBULLETIN_THREAD, fetched_at=NOW
    )
    (t,) = result.threads
    assert (t.platform_id, t.title, t.section_key, t.starter) == (
        "991",
        "Zelvix Ozzani clip",
        "7",
        "lensnight42",
    )
    assert t.first_post == "Paying $120 for 10 min." and t.started == dt.date(2026, 3, 8)


def test_a_nodebb_thread_page_is_read_from_its_microdata() -> None:
    adapter = engine("nodebb")
    assert detect(NODEBB_THREAD) is adapter
    result = adapter.extract(
        PageKind.THREAD, "http://f.example/topic/55/commissions-open", NODEBB_THREAD, fetched_at=NOW
    )
    (t,) = result.threads
    assert (t.platform_id, t.title, t.section_key, t.starter) == ("55", "Commissions open", "4", "orbitvel7")
    assert t.first_post == "Taking commissions: 0.004 BTC each." and t.started == dt.date(2026, 3, 9)


@pytest.mark.parametrize(
    "text,day",
    [
        ("Yesterday, 03:12 PM", dt.date(2026, 3, 9)),
        ("Today at 9:05 AM", dt.date(2026, 3, 10)),
        ("5 hours ago", dt.date(2026, 3, 10)),
        ("03-05-2026, 10:12 PM", dt.date(2026, 3, 5)),
        ("2026-02-01T10:00:00+0000", dt.date(2026, 2, 1)),
    ],
)
def test_relative_dates_are_read_against_the_pages_own_time(text: str, day: dt.date) -> None:
    assert read_date(text, NOW, dayfirst=False) == day


def test_mybb_reads_its_own_current_time_for_relative_dates() -> None:
    adapter = engine("mybb")
    page = (
        b'<div class="navigation"><a href="forum-2.html">Requests</a></div>'
        b'<span class="thread_title">x</span><div class="post"><span class="post_date">Yesterday, 11:00 PM'
        b'</span><div class="post_body">hi</div></div>'
        b'<span id="current_time"><strong>Current time:</strong> 03-10-2026, 12:30 AM</span>'
    )
    fetched = dt.datetime(2026, 3, 11, 6, 0)  # the server's clock is already on the next day
    (t,) = adapter.extract(
        PageKind.THREAD, "http://f.example/thread-9.html", page, fetched_at=fetched
    ).threads
    assert t.started == dt.date(2026, 3, 9)


@pytest.mark.parametrize(
    "text,message",
    [
        ("name: x\nsections: '^/f/(\\d+)'\nthreads: '^/t/(?P<id>\\d+)'\n", "needs a named group (?P<id>"),
        (
            "name: x\nsections: '^/f/(?P<id>\\d+)'\nthreads: '^/t/(?P<id>\\d+)'\nbogus: 1\n",
            "unknown key 'bogus'",
        ),
        (
            "name: x\nsections: '^/f/(?P<id>\\d+)'\nthreads: '^/t/(?P<id>\\d+)'\n"
            "section: {cards: li, card: {url: 'a[href'}}\n",
            "bad CSS selector",
        ),
        ("name: [x\n", "YAML syntax error"),
    ],
)
def test_a_bad_adapter_file_is_one_line_naming_the_file_and_key(
    tmp_path: Path, text: str, message: str
) -> None:
    path = tmp_path / "forum.yaml"
    path.write_text(text)
    with pytest.raises(UnmaskError) as caught:
        load_adapter(str(path))
    said = str(caught.value)
    assert message in said and str(path) in said and "\n" not in said
