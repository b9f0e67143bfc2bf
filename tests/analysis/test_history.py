"""`unmask history` against a real pywb archive on loopback, over WARC files written here."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import typer
from sqlalchemy import select
from typer.testing import CliRunner

from tests.helpers.pywb_server import Archived, PywbServer
from unmask.analysis.history import (
    HistoryOptions,
    extract_counts,
    extract_ids,
    extract_page,
    monthly,
    page_text,
    pagination_estimate,
    parse_cdx,
    run_history,
    spread,
)
from unmask.cli.history import history
from unmask.core.case import Case
from unmask.core.errors import UnmaskError
from unmask.core.store.models import ArchiveCapture, ArchiveObservation, Capture

HOME = "http://platform.test/"


def _page(body: str, head: str = "") -> str:
    return f"<!doctype html><html><head>{head}</head><body>{body}</body></html>"


def _listing(last: int, items: int) -> str:
    cards = "".join(f'<a href="/video/{i}-clip"><img src="/t/{i}.jpg"></a>' for i in range(items))
    pager = "".join(f'<a href="/?page={n}">{n}</a>' for n in (1, 2, 3, last))
    return _page(cards + pager)


GA = "<script>ga('create', 'UA-1111-1', 'auto');</script>"
GTM = "<script>(function(w,d){})(window,document,'script','dataLayer','GTM-ABCD12');</script>"
ADS = '<script data-ad-client="ca-pub-1234567890123456"></script><script>ym(87654321, "init")</script>'

RECORDS = [
    Archived(HOME, "20180512090000", _page("<h1>1,200 videos</h1> <p>300 photos</p>", GA)),
    Archived(HOME, "20190703120000", _page("<div>12,345 videos · 96.000 Fotos</div>", GA + GTM)),
    Archived(HOME, "20190720120000", _page("<div>13,000 videos</div>", GA + GTM)),  # same month: skipped
    Archived(HOME, "20200915000000", _page("<span>58,123 videos</span> <span>1.2M photos</span>", GTM + ADS)),
    Archived(HOME, "20210210000000", b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 3000, "image/jpeg"),
    Archived(HOME, "20220101000000", _listing(1450, 40)),
]

EXPECTED = [
    {"date": "2018-05-12", "videos": 1200, "photos": 300, "total": None, "ids": ["UA-1111-1"]},
    {
        "date": "2019-07-03",
        "videos": 12345,
        "photos": 96000,
        "total": None,
        "ids": ["UA-1111-1", "GTM-ABCD12"],
    },
    {
        "date": "2020-09-15",
        "videos": 58123,
        "photos": 1200000,
        "total": None,
        "ids": ["GTM-ABCD12", "ca-pub-1234567890123456", "ym-87654321"],
    },
    {"date": "2022-01-01", "videos": None, "photos": None, "total": 1450 * 40, "ids": []},
]


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PywbServer]:
    with PywbServer(tmp_path_factory.mktemp("pywb"), RECORDS) as server:
        yield server


def _run(case: Case, url: str, **options: Any) -> dict[str, Any]:
    case.config.fetch.delay = 0.0
    result: dict[str, Any] = asyncio.run(run_history(case, url, HistoryOptions(**options)))
    return result


@pytest.mark.slow
def test_growth_curve_from_pywb(case: Case, archive: PywbServer) -> None:
    result = _run(case, HOME, cdx_url=archive.cdx_url, replay_url=archive.replay_url)
    assert result["url"] == HOME
    assert result["captures"] == 4  # six records, two in July 2019 (one a month), one an image
    assert result["points"] == EXPECTED
    assert result["errors"] == []  # the image is no capture of the page: the index says so, it is not fetched

    with case.store.session() as s:
        rows = s.scalars(select(ArchiveCapture).order_by(ArchiveCapture.timestamp)).all()
        assert [r.timestamp for r in rows] == [
            "20180512090000",
            "20190703120000",
            "20200915000000",
            "20220101000000",
        ]
        assert all(r.capture_id is not None for r in rows)
        purposes = set(s.scalars(select(Capture.purpose)).all())
        assert purposes == {"history"}
        observed = {
            (o.date.isoformat(), o.kind, o.value, o.value_text, o.source)
            for o in s.scalars(select(ArchiveObservation))
        }
    assert ("2022-01-01", "last_page", 1450, None, "pagination") in observed
    assert ("2022-01-01", "page_size", 40, None, "pagination") in observed
    assert ("2019-07-03", "linking_id", None, "GTM-ABCD12", "regex") in observed
    assert ("2018-05-12", "videos", 1200, None, "text") in observed

    # a second run reads the stored captures instead of fetching them again
    with case.store.session() as s:
        before = len(s.scalars(select(Capture).where(~Capture.url.endswith("/robots.txt"))).all())
    again = _run(case, HOME, cdx_url=archive.cdx_url, replay_url=archive.replay_url)
    assert again["points"] == EXPECTED
    with case.store.session() as s:
        after = len(s.scalars(select(Capture).where(~Capture.url.endswith("/robots.txt"))).all())
    assert after - before == 1  # the CDX query, nothing else


def test_limit_and_years(sqlite_case: Case, archive: PywbServer) -> None:
    limited = _run(sqlite_case, HOME, cdx_url=archive.cdx_url, replay_url=archive.replay_url, limit=2)
    assert [p["date"] for p in limited["points"]] == ["2018-05-12", "2022-01-01"]


def test_cdx_and_replay_failures_are_recorded_results(sqlite_case: Case, archive: PywbServer) -> None:
    bad_query = archive.cdx_url + "?matchType=bogus"  # pywb answers 400
    missing = _run(sqlite_case, HOME, cdx_url=bad_query, replay_url=archive.replay_url)
    assert missing["points"] == [] and missing["captures"] == 0
    assert missing["errors"][0]["message"] == "CDX server answered HTTP 400"

    not_json = _run(
        sqlite_case,
        HOME,
        cdx_url=archive.base + "/",  # pywb's HTML home page
        replay_url=archive.replay_url,
    )
    assert "not a capture index" in not_json["errors"][0]["message"]

    empty = _run(
        sqlite_case, "http://elsewhere.test/", cdx_url=archive.cdx_url, replay_url=archive.replay_url
    )
    assert empty["errors"] == [
        {"url": "http://elsewhere.test/", "timestamp": None, "message": "no captures in the archive"}
    ]

    gone = _run(
        sqlite_case,
        HOME,
        cdx_url=archive.cdx_url,
        replay_url=archive.base + "/nocoll/{timestamp}id_/{original}",
    )
    assert gone["points"] == []
    assert {e["message"] for e in gone["errors"]} == {"replay answered HTTP 404"}
    assert len(gone["errors"]) == 4

    with sqlite_case.store.session() as s:
        failed = s.scalars(select(ArchiveCapture).where(ArchiveCapture.error.is_not(None))).all()
    assert len(failed) == 3 + 4


def _cli() -> typer.Typer:
    app = typer.Typer()
    app.command()(history)
    app.command("noop")(lambda: None)
    return app


@pytest.mark.slow
def test_cli_json_and_table(new_case: Path, archive: PywbServer) -> None:
    args = [
        "history",
        HOME,
        "--case",
        str(new_case),
        "--cdx-url",
        archive.cdx_url,
        "--replay-url",
        archive.replay_url,
    ]
    runner = CliRunner()
    out = runner.invoke(_cli(), [*args, "--delay", "0", "--json"])
    assert out.exit_code == 0, out.output
    assert json.loads(out.stdout)["points"] == EXPECTED
    table = runner.invoke(_cli(), [*args, "--delay", "0"])
    assert table.exit_code == 0, table.output
    assert "58,123" in table.stdout and "UA-1111-1" in table.stdout


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--from", "2020", "--to", "2019"], "--from"),
        (["--limit", "0"], "--limit"),
        (["--cdx-url", "ftp://x"], "--cdx-url"),
        (["--replay-url", "http://x/{original}"], "--replay-url"),
    ],
)
@pytest.mark.slow
def test_bad_arguments(new_case: Path, extra: list[str], message: str) -> None:
    out = CliRunner().invoke(_cli(), ["history", HOME, "--case", str(new_case), *extra])
    assert isinstance(out.exception, UnmaskError) and message in str(out.exception)


def test_no_case(tmp_path: Path) -> None:
    out = CliRunner().invoke(_cli(), ["history", HOME, "--case", str(tmp_path / "none")])
    assert isinstance(out.exception, UnmaskError)


# ---------------------------------------------------------------------------------- pure parts


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("58,123 videos", {"videos": 58123}),
        ("96.000 Fotos", {"photos": 96000}),
        ("1.2M photos", {"photos": 1200000}),
        ("Showing 1-40 of 12,345", {"total": 12345}),
        ("Zeige 1–40 von 12.345", {"total": 12345}),
        ("12 videos here, 4,500 videos in total", {"videos": 4500}),
        ("no numbers at all", {}),
    ],
)
def test_counts(text: str, expected: dict[str, int]) -> None:
    assert extract_counts(page_text(_page(text)), None) == expected


def test_counts_follow_the_page_language() -> None:
    html = '<html lang="de"><body>1,2 Mio. Videos</body></html>'
    assert extract_counts(page_text(html), "de") == {"videos": 1200000}


def test_tracker_ids() -> None:
    html = (
        "<script>gtag('config', 'G-AB12CD34EF'); fbq('init', '123456789012345');"
        "new Ya.Metrika({id:1}); mc.yandex.ru/watch/55555555</script> UA-1-1 G-STRINGS"
    )
    assert extract_ids(html) == ["G-AB12CD34EF", "ym-55555555", "fbpx-123456789012345"]


def test_pagination_needs_a_last_page_and_items() -> None:
    assert pagination_estimate(_listing(1450, 40), "http://platform.test/") == (1450, 40)
    assert pagination_estimate(_page('<a href="?page=9">9</a>'), "http://platform.test/") is None
    path_pager = _page("".join(f'<a href="/v/{i}">x</a>' for i in range(5)) + '<a href="/page/77/">»</a>')
    assert pagination_estimate(path_pager, "http://platform.test/") == (77, 5)


def test_extract_page_hook_for_adapter_rules() -> None:
    import re

    from unmask.analysis.history import CountRule

    rule = CountRule("videos", "en", re.compile(r"Clips:\s*(\d[\d,]*)()"), source="adapter")
    (obs,) = extract_page(_page("Clips: 7,777"), HOME, (rule,))
    assert (obs.kind, obs.value, obs.source) == ("videos", 7777, "adapter")


@pytest.mark.parametrize(
    ("body", "rows", "malformed", "error"),
    [
        (
            '[["timestamp","original","statuscode","mimetype","digest"],["20190101000000","http://a/","200","text/html","D"]]',
            1,
            0,
            None,
        ),
        (
            '{"timestamp": "20190101000000", "url": "http://a/", "status": "200", "mime": "text/html"}\n',
            1,
            0,
            None,
        ),
        ("a,)/ 20190101000000 http://a/ text/html 200 D 100\n", 1, 0, None),
        (
            '[["timestamp","original"],["2019xx","http://a/"],["20190101000000","http://a/"],["only one"]]',
            1,
            2,
            None,
        ),
        ("<html>oops</html>", 0, 1, "not a capture index"),
        ("", 0, 0, None),
        ('{"timestamp": "20191341000000"}', 0, 1, "not a capture index"),
    ],
)
def test_parse_cdx(body: str, rows: int, malformed: int, error: str | None) -> None:
    answer = parse_cdx(body, "http://a/")
    assert (len(answer.rows), answer.malformed) == (rows, malformed)
    assert (answer.error is None) if error is None else (error in (answer.error or ""))


def test_monthly_and_spread() -> None:
    answer = parse_cdx(
        "\n".join(
            json.dumps({"timestamp": ts, "url": "http://a/"})
            for ts in [
                "20190105000000",
                "20190120000000",
                "20190201000000",
                "20190301000000",
                "20190401000000",
            ]
        ),
        "http://a/",
    )
    months = monthly(answer.rows)
    assert [r.timestamp[:8] for r in months] == ["20190105", "20190201", "20190301", "20190401"]
    assert [r.timestamp[:6] for r in spread(months, 3)] == ["201901", "201903", "201904"]
    assert spread(months, 1) == [months[-1]] and spread(months, None) == months


# --------------------------------------------------------------- a CDX answer with other captures

LAYOUTS = [
    Archived(
        HOME, "20170305000000", _page("<div><span>Videos: 13160</span> · <span>Photos: 6566</span></div>")
    ),
    Archived(
        HOME + "robots.txt", "20170410000000", "User-agent: *\nSitemap: /s.xml\n13160 videos\n", "text/plain"
    ),
    Archived(HOME + "videos", "20170512000000", _page("<h1>99,999 videos</h1>")),
    Archived(
        HOME,
        "20180601000000",
        _page(
            '<nav><a href="/videos">Videos <span>21,400</span></a>'
            '<a href="/photos">Photos <span>7,010</span></a></nav>'
        ),
    ),
    Archived(HOME, "20190101000000", _page("<p>Moved</p>"), status="301 Moved Permanently"),
    Archived(HOME, "20190215000000", _page("<p>13.1K videos · 8,2K photos</p>")),
]


@pytest.fixture(scope="module")
def layouts(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PywbServer]:
    with PywbServer(tmp_path_factory.mktemp("pywb-layouts"), LAYOUTS) as server:
        yield server


@pytest.mark.slow
def test_only_html_200_captures_of_the_page_are_months_and_each_layout_is_read(
    sqlite_case: Case, layouts: PywbServer
) -> None:
    """The CDX server answers for the whole host (robots.txt, a listing, a redirect): only the home page's
    HTML 200 captures are its months, and the older "Videos: 13160 · Photos: 6566" layout gives both."""
    result = _run(
        sqlite_case, HOME, cdx_url=layouts.cdx_url + "?matchType=host", replay_url=layouts.replay_url
    )
    assert [(p["date"], p["videos"], p["photos"]) for p in result["points"]] == [
        ("2017-03-05", 13160, 6566),
        ("2018-06-01", 21400, 7010),
        ("2019-02-15", 13100, 8200),
    ]
    assert result["captures"] == 3 and result["errors"] == []
    with sqlite_case.store.session() as s:
        originals = set(s.scalars(select(ArchiveCapture.original)).all())
    assert originals == {HOME}
