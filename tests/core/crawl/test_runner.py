"""The crawl engine's session pieces (core/crawl/runner.py): one crawl per case, start URL, options."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from unmask.core.case import Case
from unmask.core.crawl.runner import CrawlOptions, base_of, crawl_lock, fetch_for
from unmask.core.errors import CaseError, UnmaskError


def test_one_crawl_per_case_and_a_killed_ones_lock_is_taken_over(sqlite_case: Case) -> None:
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True
    )
    (sqlite_case.root / ".crawl.lock").write_text(dead.stdout.strip())
    with crawl_lock(sqlite_case):
        assert (sqlite_case.root / ".crawl.lock").read_text() == str(os.getpid())
        with crawl_lock(sqlite_case, "forum crawl"):  # another kind of crawl has its own lock
            pass
        alive = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
        try:
            (sqlite_case.root / ".forum-crawl.lock").write_text(str(alive.pid))
            with (
                pytest.raises(CaseError, match="another forum crawl"),
                crawl_lock(sqlite_case, "forum crawl"),
            ):
                pass
        finally:
            alive.kill()
            alive.wait()
    assert not (sqlite_case.root / ".crawl.lock").exists()


@pytest.mark.parametrize(
    "url", ["ftp://site.example/", "site.example", "http:///path", "javascript:alert(1)"]
)
def test_a_start_url_that_is_not_http_is_a_usage_error(url: str) -> None:
    with pytest.raises(UnmaskError, match="not an http"):
        base_of(url)


def test_the_commands_delay_and_concurrency_override_the_case_and_are_checked(sqlite_case: Case) -> None:
    fetch = fetch_for(
        sqlite_case, CrawlOptions("http://127.0.0.1:1/", delay=0, concurrency=7, obey_robots=False)
    )
    assert (fetch.delay, fetch.concurrency, fetch.obey_robots) == (0, 7, False)
    assert fetch_for(sqlite_case, CrawlOptions("http://127.0.0.1:1/")).delay == sqlite_case.config.fetch.delay
    for bad in (CrawlOptions("http://x/", delay=-1), CrawlOptions("http://x/", concurrency=0)):
        with pytest.raises(UnmaskError, match="--delay must be"):
            fetch_for(sqlite_case, bad)
