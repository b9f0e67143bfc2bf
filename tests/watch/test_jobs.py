"""A watch job from case.yaml: refused in one line when it cannot run, and recorded under a stable key."""

from __future__ import annotations

from typing import Any

import pytest

from unmask.core.config import WatchJob
from unmask.core.errors import UnmaskError
from unmask.watch.jobs import make_job


@pytest.mark.parametrize(
    ("kind", "message"),
    [
        ("census", "a census job needs `url`"),
        ("forum", "a forum job needs `url`"),
        ("infra", "an infra job needs `domains`"),
        ("apps", "an apps job needs `packages`"),
    ],
)
def test_a_job_without_what_it_watches_is_refused_naming_the_setting(kind: str, message: str) -> None:
    with pytest.raises(UnmaskError) as refused:
        make_job(WatchJob(kind=kind))
    assert str(refused.value) == f"case.yaml watch.jobs: {message}"


@pytest.mark.parametrize(
    "spec",
    [
        WatchJob(kind="census", url="http://127.0.0.1:9/", options={"resolver": "127.0.0.1:53"}),
        WatchJob(kind="infra", domains=["site.test"], options={"delay": 1}),
        WatchJob(kind="apps", packages=["com.example.app"], options={"all": True}),
        WatchJob(kind="takedown", options={"country": "de"}),
    ],
    ids=lambda spec: spec.kind,
)
def test_an_option_the_job_does_not_take_is_refused_naming_the_ones_it_does(spec: WatchJob) -> None:
    with pytest.raises(UnmaskError, match=rf"case\.yaml watch\.jobs {spec.kind} options: unknown option"):
        make_job(spec)


@pytest.mark.parametrize(
    ("spec", "key"),
    [
        (WatchJob(kind="census", url="http://127.0.0.1:9/"), "census http://127.0.0.1:9/"),
        (WatchJob(kind="forum", url="http://127.0.0.1:9/forum/"), "forum http://127.0.0.1:9/forum/"),
        (WatchJob(kind="infra", domains=["a.test", "b.test"]), "infra a.test b.test"),
        (
            WatchJob(kind="apps", packages=["com.example.one", "com.example.two"]),
            "apps com.example.one com.example.two",
        ),
        (WatchJob(kind="protect"), "protect"),
        (WatchJob(kind="takedown"), "takedown"),
    ],
    ids=lambda value: value.kind if isinstance(value, WatchJob) else "",
)
def test_a_job_is_recorded_under_its_kind_and_target(spec: WatchJob, key: str) -> None:
    """The key its runs are stored under in watch_run: a changed key would make a job look never run."""
    assert make_job(spec).key == key


@pytest.mark.parametrize(
    ("options", "flags"),
    [
        ({"delay": 0, "ignore_robots": True, "adapter": None}, ["--delay", "0", "--ignore-robots"]),
        ({"concurrency": 2, "ignore_robots": False}, ["--concurrency", "2"]),
    ],
)
def test_a_crawl_jobs_options_become_its_commands_flags(options: dict[str, Any], flags: list[str]) -> None:
    job = make_job(WatchJob(kind="census", url="http://127.0.0.1:9/", options=options))
    assert job.args == flags
