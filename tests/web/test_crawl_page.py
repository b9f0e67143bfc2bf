"""The Crawl page shows each platform's latest census run as `stats` does (status, phase, pages done and
waiting, workers at work, verdict), escapes what the store holds, and reloads itself only while a run is
at work."""

from __future__ import annotations

from sqlalchemy import update

from tests.census.test_status import add_site
from tests.web.conftest import ClientFactory
from unmask.census.status import drop_live, write_live
from unmask.core.case import Case
from unmask.core.outcome import Reason, dump_reasons
from unmask.core.store.models import CrawlRun

HOSTILE = '<script>alert("x")</script>'


def test_the_crawl_page_shows_each_site_its_pages_workers_and_verdict_escaped(
    case: Case, client_for: ClientFactory
) -> None:
    running = add_site(case, "https://a.example", {"done": 12, "pending": 4}, "running", "fill")
    done = add_site(case, "https://b.example", {"done": 3}, "incomplete", "done")
    with case.store.session() as s:
        reasons = dump_reasons([Reason("failed:listing", 1, f"a page said {HOSTILE}")])
        s.execute(update(CrawlRun).where(CrawlRun.id == done).values(reasons=reasons))
    write_live(case.root, running, {"site": "a.example", "phase": "fill", "pending": 4, "workers": 3})
    client = client_for(case.root)
    page = client.get("/c/case/crawl").text
    assert 'href="/c/case/crawl"' in client.get("/c/case/").text  # in the navigation
    row = page.split('<th scope="row" class="url">a.example</th>', 1)[1].split("</tr>", 1)[0]
    assert "<td>running</td><td>fill</td>" in row
    assert '<td class="num">12</td><td class="num">4</td><td class="num">3</td>' in row
    assert HOSTILE not in page and "&lt;script&gt;" in page
    assert 'http-equiv="refresh"' in page  # a run at work: the page follows it

    drop_live(case.root, running)  # the coordinator is gone: the run is shown as interrupted, no refresh
    page = client.get("/c/case/crawl").text
    row = page.split('<th scope="row" class="url">a.example</th>', 1)[1].split("</tr>", 1)[0]
    assert "<td>interrupted</td>" in row
    assert '<td class="num">12</td><td class="num">4</td><td class="num">0</td>' in row
    assert 'http-equiv="refresh"' not in page


def test_the_crawl_page_of_a_case_without_a_census_says_so(case: Case, client_for: ClientFactory) -> None:
    page = client_for(case.root).get("/c/case/crawl").text
    assert "No census has been run in this case yet." in page
