"""Each site's census now (census.status, what `stats` and the web UI's Crawl page show): the latest run of
every platform with its pages answered and waiting, and the workers a live coordinator counts; a
coordinator that stopped renewing its live file counts none."""

from __future__ import annotations

import json
import os
import time

from sqlalchemy import select

from unmask.census.status import FRESH_SECONDS, drop_live, live_path, site_status, write_live
from unmask.core.case import Case
from unmask.core.outcome import Reason, dump_reasons
from unmask.core.store.models import CrawlRun, Frontier, Platform


def add_site(case: Case, base: str, statuses: dict[str, int], run_status: str, phase: str) -> int:
    """A platform with an older complete run and a latest run whose frontier has ``statuses`` rows."""
    with case.store.session() as s:
        platform = Platform(base_url=base, name=base.split("//")[1], adapter="demo")
        s.add(platform)
        s.flush()
        s.add(CrawlRun(platform_id=platform.id, start_url=base + "/", status="complete", phase="done"))
        reasons = dump_reasons([Reason("failed:listing", 1, "1 listing page failed")])
        run = CrawlRun(
            platform_id=platform.id,
            start_url=base + "/",
            status=run_status,
            phase=phase,
            reasons=reasons if run_status == "incomplete" else None,
        )
        s.add(run)
        s.flush()
        n = 0
        for status, count in statuses.items():
            for _ in range(count):
                n += 1
                s.add(
                    Frontier(
                        run_id=run.id,
                        url=f"{base}/p{n}",
                        url_key=f"{run.id}-{n}",
                        kind="listing",
                        status=status,
                    )
                )
        return int(run.id)


def test_each_platform_shows_its_latest_run_its_pages_and_the_workers_a_live_coordinator_counts(
    case: Case,
) -> None:
    running = add_site(
        case, "https://a.example", {"done": 5, "pending": 3, "deferred": 2, "failed": 1}, "running", "fill"
    )
    finished = add_site(case, "https://b.example:8443", {"done": 4, "failed": 1}, "incomplete", "done")
    write_live(case.root, running, {"site": "a.example", "phase": "fill", "pending": 3, "workers": 3})
    a, b = site_status(case)
    assert (a["site"], a["run"], a["status"], a["phase"]) == ("a.example", running, "running", "fill")
    assert (a["pages_done"], a["pages_pending"], a["workers_active"], a["at_work"]) == (6, 5, 3, True)
    assert a["complete"] is False and "interrupted (or is still running)" in a["verdict"]
    assert (b["site"], b["run"], b["status"], b["pages_done"], b["pages_pending"]) == (
        "b.example:8443", finished, "incomplete", 5, 0,
    )  # fmt: skip
    assert b["workers_active"] == 0 and not b["at_work"]
    assert b["incomplete_reasons"] == ["1 listing page failed"]
    only_b = site_status(case, [b_platform(case)])
    assert [s["site"] for s in only_b] == ["b.example:8443"]

    # the coordinator stopped renewing its file (killed): no worker is counted, the run is not at work
    path = live_path(case.root, running)
    stale = json.loads(path.read_text())
    stale["updated"] = time.time() - FRESH_SECONDS - 1
    path.write_text(json.dumps(stale))
    a = site_status(case)[0]
    assert a["workers_active"] == 0 and not a["at_work"]
    drop_live(case.root, running)
    assert not path.exists()

    # a single-process crawl holding the case's crawl lock is one worker at work
    (case.root / ".crawl.lock").write_text(str(os.getpid()))
    try:
        a = site_status(case)[0]
        assert a["workers_active"] == 1 and a["at_work"]
    finally:
        (case.root / ".crawl.lock").unlink()


def b_platform(case: Case) -> int:
    with case.store.session() as s:
        return int(s.scalar(select(Platform.id).where(Platform.base_url == "https://b.example:8443")) or 0)


def test_a_case_without_a_census_has_no_site(case: Case) -> None:
    assert site_status(case) == []
