"""`unmask history` end to end through the real CLI: years, adapter pages, case.yaml archive settings, 5xx."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from tests.helpers.cli import unmask
from tests.helpers.hostile import HostileServer, respond
from tests.helpers.pywb_server import Archived, PywbServer
from unmask.core.case import Case
from unmask.core.store.models import ArchiveCapture

HOME = "http://deepfake-platform.test/"
VIDEOS = "http://deepfake-platform.test/videos"


def _page(body: str) -> str:
    return f"<!doctype html><html><head><title>x</title></head><body>{body}</body></html>"


def _listing(last: int, items: int) -> str:
    cards = "".join(f'<a href="/video/{i}-clip">clip</a>' for i in range(items))
    pager = "".join(f'<a href="/videos?page={n}">{n}</a>' for n in (1, 2, last))
    return _page(cards + pager)


RECORDS = [
    Archived(HOME, "20180301000000", _page("<p>1,000 videos</p>")),
    Archived(HOME, "20190301000000", _page("<p>9,000 videos</p>")),
    Archived(VIDEOS, "20190615000000", _listing(300, 30)),
    Archived(HOME, "20200301000000", _page("<p>30,000 videos</p>")),
    Archived(VIDEOS, "20200615000000", _listing(1200, 30)),
    Archived(HOME, "20210301000000", _page("<p>50,000 videos</p>")),
]


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PywbServer]:
    with PywbServer(tmp_path_factory.mktemp("pywb-cli"), RECORDS) as server:
        yield server


def _history(case_dir: Path, *args: str) -> dict[str, object]:
    out = unmask("history", HOME, "--case", str(case_dir), "--delay", "0", "--json", *args)
    assert out.returncode == 0, out.stderr
    result: dict[str, object] = json.loads(out.stdout)
    return result


@pytest.mark.slow
def test_years_and_adapter_pages(new_case: Path, archive: PywbServer) -> None:
    result = _history(
        new_case,
        "--cdx-url",
        archive.cdx_url,
        "--replay-url",
        archive.replay_url,
        "--from",
        "2019",
        "--to",
        "2020",
        "--adapter",
        "demo",
    )
    points = result["points"]
    assert isinstance(points, list)
    assert [p["date"] for p in points] == ["2019-03-01", "2019-06-15", "2020-03-01", "2020-06-15"]
    assert [p["videos"] for p in points] == [9000, None, 30000, None]
    assert [p["total"] for p in points] == [None, 300 * 30, None, 1200 * 30]

    # without the adapter only the home page is followed; without years, all of them
    home_only = _history(new_case, "--cdx-url", archive.cdx_url, "--replay-url", archive.replay_url)
    assert [p["date"] for p in home_only["points"]] == [  # type: ignore[union-attr]
        "2018-03-01",
        "2019-03-01",
        "2020-03-01",
        "2021-03-01",
    ]


@pytest.mark.slow
def test_archive_settings_from_case_yaml(new_case: Path, archive: PywbServer) -> None:
    case = Case.open(new_case)
    case.config.history.cdx_url = archive.cdx_url
    case.config.history.replay_url = archive.replay_url
    case.save()
    case.close()
    result = _history(new_case, "--to", "2018")
    assert [p["date"] for p in result["points"]] == ["2018-03-01"]  # type: ignore[union-attr]

    # a bad URL in the case file is a one-line error naming the setting
    case = Case.open(new_case)
    case.config.history.replay_url = "http://x/{original}"
    case.save()
    case.close()
    out = unmask("history", HOME, "--case", str(new_case), "--json", check=False)
    assert out.returncode != 0 and out.stdout == ""
    assert "history.replay_url" in out.stderr and len(out.stderr.strip().splitlines()) == 1


@pytest.mark.slow
def test_cdx_server_errors_are_results(new_case: Path) -> None:
    case = Case.open(new_case)
    case.config.fetch.retries = 1
    case.config.fetch.backoff_base = 0.01
    case.save()
    case.close()
    with HostileServer() as server:
        server.route("/cdx", respond(503, b"<html>upstream down</html>", "text/html"))
        out = unmask(
            "history",
            HOME,
            "--case",
            str(new_case),
            "--delay",
            "0",
            "--json",
            "--cdx-url",
            server.url("/cdx"),
            "--replay-url",
            server.url("/web/{timestamp}id_/{original}"),
            check=False,
        )
        hits = server.hits["/cdx"]
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout)
    assert result["points"] == [] and result["captures"] == 0
    assert result["errors"] == [{"url": HOME, "timestamp": None, "message": "CDX server answered HTTP 503"}]
    assert hits == 2  # the first try and one retry, as configured
    case = Case.open(new_case)
    with case.store.session() as s:
        (row,) = s.scalars(select(ArchiveCapture)).all()
    case.close()
    assert row.error == "CDX server answered HTTP 503" and row.capture_id is not None
