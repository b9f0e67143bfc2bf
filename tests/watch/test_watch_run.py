"""`unmask watch run`: the case's jobs (a census re-crawl, a protect scan) on a loopback site, alerts through
apprise to a loopback webhook: one message per change set, a failed run alerted as a failure, nothing
about protected persons in any alert."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.helpers.cli import unmask, unmask_json
from tests.helpers.json_server import JsonServer, Reply
from tests.protect.site import ITEMS, LIST_FILE, item_path, protect_site, protected_names_in


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _configure(case: Path, watch: dict[str, Any]) -> None:
    path = case / "case.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["watch"] = watch
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")


@pytest.fixture
def hook() -> Iterator[JsonServer]:
    with JsonServer({"/hook": Reply(200, {"ok": True})}) as server:
        yield server


def _messages(hook: JsonServer) -> list[dict[str, Any]]:
    return [r.json() for r in hook.requests if r.method == "POST"]


@pytest.mark.slow
def test_watch_run_alerts_changes_and_failures_without_names(
    new_case: Path, tmp_path: Path, hook: JsonServer
) -> None:
    persons = tmp_path / "persons.txt"
    persons.write_text(LIST_FILE, encoding="utf-8")
    unmask("protect", "add", "--list", str(persons), "--case", str(new_case))
    with protect_site() as site:
        census = {"kind": "census", "url": site.url("/"), "cron": "0 3 * * *", "options": {"delay": 0}}
        _configure(
            new_case,
            {
                "notify": [f"json://127.0.0.1:{hook.port}/hook"],
                "jobs": [census, {"kind": "protect", "cron": "*/30 * * * *"}],
            },
        )
        first = unmask_json("watch", "run", "--case", str(new_case))["runs"]
        assert [(r["kind"], r["ok"]) for r in first] == [("census", True), ("protect", True)]
        assert first[0]["changes"][0]["count"] == len(ITEMS)
        assert first[1]["changes"][0]["count"] == 11
        messages = _messages(hook)
        assert len(messages) == 2  # one message per change set
        assert "new items" in messages[0]["message"] and "11 new matches" in messages[1]["message"]
        for message in messages:
            assert protected_names_in(message["title"] + " " + message["message"]) == set()
            assert "/video/" not in message["message"]  # nor where

        again = unmask_json("watch", "run", "--case", str(new_case))["runs"]
        assert again == []  # nothing due: both ran within their cron period

        gone = next(i for i in ITEMS if i.id == 201)
        site.routes[item_path(gone)] = Reply(404, "gone")
        third = unmask_json("watch", "run", "--all", "--case", str(new_case))["runs"]
        kinds = {c["kind"]: c for c in third[0]["changes"]}
        assert kinds.get("removed_items", {}).get("count") == 1, third[0]
        assert third[1]["changes"] == []  # no new match: no protect alert
        assert len(_messages(hook)) == 3

    dead = {"kind": "census", "url": f"http://127.0.0.1:{_free_port()}/", "options": {"delay": 0}}
    _configure(new_case, {"notify": [f"json://127.0.0.1:{hook.port}/hook"], "jobs": [dead]})
    failed = unmask_json("watch", "run", "--case", str(new_case))["runs"]
    assert failed[0]["ok"] is False and failed[0]["error"]
    last = _messages(hook)[-1]
    assert "FAILED" in last["title"] and last["type"] == "failure"
    log = (new_case / "evidence" / "custody.jsonl").read_text(encoding="utf-8")
    assert any(json.loads(line)["action"] == "watch run" for line in log.splitlines())


@pytest.mark.slow
def test_a_bad_schedule_is_one_line(new_case: Path) -> None:
    _configure(new_case, {"jobs": [{"kind": "protect", "cron": "every day"}]})
    proc = unmask("watch", "run", "--case", str(new_case), check=False)
    assert (
        proc.returncode == 2 and "watch.jobs[0]" in proc.stderr and len(proc.stderr.strip().splitlines()) == 1
    )
    _configure(new_case, {"jobs": [{"kind": "telepathy"}]})
    proc = unmask("watch", "run", "--case", str(new_case), check=False)
    assert proc.returncode == 2 and "telepathy" in proc.stderr
    _configure(new_case, {"jobs": []})
    proc = unmask("watch", "run", "--case", str(new_case), check=False)
    assert proc.returncode == 2 and "nothing to watch" in proc.stderr
