"""The watch's forum re-crawls and takedown re-checks (issues 17 and 18): new and removed threads as one
change set, a failed re-crawl alerted as a failure, a takedown URL gone since the last check a change
recorded in the takedown record; alerts through apprise to a loopback webhook, never naming a person or
a URL."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.forum.zoo import ZOO
from tests.helpers.cli import unmask_json
from tests.helpers.json_server import JsonServer, Reply
from tests.watch.test_watch_run import _configure, _free_port, _messages, hook
from unmask.demo.forum import ForumWorld
from unmask.protect.notices import NoticeRecord, load_notices, save_notices

pytestmark = pytest.mark.slow  # end-to-end: crawls, child processes or a browser

__all__ = ["hook"]  # the loopback webhook fixture


def test_a_forum_job_alerts_new_and_removed_threads_and_a_failed_crawl(
    new_case: Path, hook: JsonServer
) -> None:
    world = ForumWorld(seed=41, threads=50)
    site = ZOO["xenforo"](world)
    notify = [f"json://127.0.0.1:{hook.port}/hook"]
    with site.serving():
        job = {"kind": "forum", "url": site.start, "cron": "0 3 * * *", "options": {"delay": 0}}
        _configure(new_case, {"notify": notify, "jobs": [job]})
        first = unmask_json("watch", "run", "--case", str(new_case))["runs"]
        assert [(r["kind"], r["ok"]) for r in first] == [("forum", True)]
        changes = {c["kind"]: c for c in first[0]["changes"]}
        stats = unmask_json("forum", "stats", "--case", str(new_case))
        assert changes["new_threads"]["count"] >= stats["threads"] > 0
        assert changes["new_threads"]["paid_requests"] >= stats["kinds"]["paid_request"]
        messages = _messages(hook)
        assert len(messages) == 1 and "new forum threads" in messages[0]["message"]
        for person in world.persons:  # counts only
            assert person not in messages[0]["message"]

        gone = next(t for t in world.threads if t.counted)
        gone.deleted = True
        again = unmask_json("watch", "run", "--all", "--case", str(new_case))["runs"]
        kinds = {c["kind"]: c for c in again[0]["changes"]}
        assert kinds["removed_threads"]["count"] >= 1, again
        assert "new_threads" not in kinds
        assert len(_messages(hook)) == 2

    dead = {"kind": "forum", "url": f"http://127.0.0.1:{_free_port()}/forum/", "options": {"delay": 0}}
    _configure(new_case, {"notify": notify, "jobs": [dead]})
    failed = unmask_json("watch", "run", "--case", str(new_case))["runs"]
    assert failed[0]["ok"] is False and failed[0]["error"]
    last = _messages(hook)[-1]
    assert "FAILED" in last["title"] and last["type"] == "failure"


def test_a_takedown_job_records_whether_each_url_is_still_online(new_case: Path, hook: JsonServer) -> None:
    with JsonServer({"/v/1": Reply(200, "<p>still here</p>", content_type="text/html")}) as site:
        urls = [site.url("/v/1"), site.url("/v/2")]  # /v/2 answers 404: removed
        past = "2020-01-01T00:00:00Z"
        save_notices(
            new_case,
            [
                NoticeRecord(
                    "20200101-platform-x-1",
                    "platform",
                    "site",
                    "dsa@x.test",
                    urls,
                    ["Mara Quellstein"],
                    past,
                    str(new_case.parent / "n"),
                    past,
                    sent_at=past,
                )
            ],
        )
        _configure(
            new_case,
            {
                "notify": [f"json://127.0.0.1:{hook.port}/hook"],
                "jobs": [{"kind": "takedown", "cron": "0 8 * * *"}],
            },
        )
        first = unmask_json("watch", "run", "--case", str(new_case))["runs"]
        assert first[0]["ok"] is True
        assert [(c["kind"], c["count"]) for c in first[0]["changes"]] == [("takedown_removed", 1)]
        record = load_notices(new_case)[0]
        assert record.status == "1 of 2 removed"
        assert record.checks[urls[1]].gone and not record.checks[urls[0]].gone
        message = _messages(hook)[0]["message"]
        assert "1 of 2 URLs removed" in message
        assert "Mara" not in message and "/v/" not in message

        second = unmask_json("watch", "run", "--all", "--case", str(new_case))["runs"]
        assert second[0]["ok"] is True and second[0]["changes"] == []  # nothing new: no alert
        assert len(_messages(hook)) == 1

    failed = unmask_json("watch", "run", "--all", "--case", str(new_case))["runs"]  # the site is down
    assert failed[0]["ok"] is False and "no URL could be checked" in failed[0]["error"]
    assert _messages(hook)[-1]["type"] == "failure"
