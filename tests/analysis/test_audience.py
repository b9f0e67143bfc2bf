"""`unmask audience`: traffic-estimate exports and rank lists, on SQLite and PostgreSQL."""

from __future__ import annotations

import codecs
import json
from pathlib import Path

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from unmask.analysis.audience import (
    AudienceError,
    ImportOptions,
    audience_summary,
    best_window,
    country_code,
    detect_layout,
    headline,
    import_file,
    parse_month,
    parse_share,
)
from unmask.cli.audience import app
from unmask.core.case import Case
from unmask.core.domains import site_key
from unmask.core.store.models import AudienceCountry, AudienceImport, AudienceVisits, SiteRank

MONTHLY = 'Month,Visits\n2024-08,5.2M\n2024-09,"6,1 Mio."\n2024-10,6 000 000\n2024-11,1.234.567\n'
COUNTRIES = "Country;Share\nUnited States;38,5 %\nJapan;12,1 %\nGermany;8 %\nOthers;41,4 %\n"


def _write(tmp_path: Path, name: str, content: str | bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
    return path


def _counts(case: Case) -> dict[str, int]:
    with case.store.session() as s:
        return {
            t.__tablename__: int(s.scalar(select(func.count()).select_from(t)) or 0)
            for t in (AudienceImport, AudienceVisits, AudienceCountry, SiteRank)
        }


def _only(case: Case, domain: str | None = None) -> dict[str, object]:
    (entry,) = audience_summary(case.store, domain)["domains"]
    return dict(entry)


# ------------------------------------------------------------------------------------- pure parsing


@pytest.mark.parametrize(
    ("text", "month"),
    [
        ("2024-10", "2024-10"),
        ("10/2024", "2024-10"),
        ("Oct 2024", "2024-10"),
        ("October 2024", "2024-10"),
        ("2024-10-01", "2024-10"),
        ("2024-10-01T00:00:00", "2024-10"),
        ("202410", "2024-10"),
        ("Okt. 2024", "2024-10"),
        ("Month", None),
        ("2024-13", None),
        ("visits", None),
    ],
)
def test_parse_month(text: str, month: str | None) -> None:
    assert parse_month(text) == month


@pytest.mark.parametrize(
    ("text", "share"),
    [("38.5%", (38.5, True)), ("0.385", (0.385, False)), ("38,5 %", (38.5, True)), ("abc", None)],
)
def test_parse_share(text: str, share: tuple[float, bool] | None) -> None:
    assert parse_share(text) == share


@pytest.mark.parametrize(
    ("name", "code"),
    [
        ("United States", "US"),
        ("USA", "US"),
        ("us", "US"),
        ("Japan", "JP"),
        ("DEU", "DE"),
        ("Germany", "DE"),
        ("United Kingdom", "GB"),
        ("UK", "GB"),
        ("Korea, Republic of", "KR"),
        ("South Korea", "KR"),
        ("Côte d'Ivoire", "CI"),
        ("Russia", "RU"),
        ("Atlantis", None),
    ],
)
def test_country_code(name: str, code: str | None) -> None:
    assert country_code(name) == code


def test_domains_and_layouts() -> None:
    assert site_key("https://www.Example.COM/path") == "example.com"
    assert site_key("not a domain") is None
    assert detect_layout(["Month", "Visits"]) == "monthly"
    assert detect_layout(["date", "Total Visits"]) == "monthly"
    assert detect_layout(["Country", "Traffic Share", "Visits"]) == "country"
    assert detect_layout(["Domain", "Oct 2024", "Nov 2024"]) == "wide"
    assert detect_layout(["1", "google.com"]) == "rank"
    assert detect_layout(["rank", "domain"]) == "rank"
    assert detect_layout(["foo", "bar"]) is None


def test_best_window_and_headline() -> None:
    series = [("2024-06", 1), ("2024-08", 5_200_000), ("2024-09", 6_100_000), ("2024-10", 6_000_000)]
    assert best_window(series) == {"months": ["2024-08", "2024-09", "2024-10"], "visits": 17_300_000}
    assert best_window([]) is None
    entry = {
        "best_3_months": best_window(series),
        "countries": [{"country": "US", "share": 0.385}, {"country": "JP", "share": 0.1}, {"country": "DE"}],
    }
    assert headline(entry) == (
        "17.3 million visits in 3 months (2024-08 to 2024-10), most from US (38.5%), then JP and DE"
    )


# ------------------------------------------------------------------------------------ the 17 million


def test_seventeen_million_visits_mostly_from_the_usa(case: Case, tmp_path: Path) -> None:
    opts = ImportOptions(domains=("deepfake.example",), period="2024-08..2024-10")
    first = import_file(case.store, _write(tmp_path, "visits.csv", MONTHLY), opts)
    assert (first.layout, first.rows, first.domains) == ("monthly", 4, ["deepfake.example"])
    second = import_file(case.store, _write(tmp_path, "countries.csv", COUNTRIES), opts)
    assert (second.layout, second.rows) == ("country", 3)  # "Others" is not a country
    entry = _only(case)
    assert entry["monthly"] == [
        {"month": "2024-08", "visits": 5_200_000},
        {"month": "2024-09", "visits": 6_100_000},
        {"month": "2024-10", "visits": 6_000_000},
        {"month": "2024-11", "visits": 1_234_567},
    ]
    assert entry["best_3_months"] == {"months": ["2024-08", "2024-09", "2024-10"], "visits": 17_300_000}
    assert [c["country"] for c in entry["countries"]] == ["US", "JP", "DE"]  # type: ignore[attr-defined]
    assert entry["countries"][0]["share"] == pytest.approx(0.385)  # type: ignore[index]
    assert entry["countries_period"] == "2024-08..2024-10"
    assert entry["ranks"] == []


# ------------------------------------------------------------------------------------------ layouts


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(b"Date\tTotal Visits\n10/2024\t17 300 000\n11/2024\t1.234.567\n", id="tab"),
        pytest.param("period;traffic\nOct 2024;17,3M\nNov 2024;1,2 Mio.\n".encode("cp1252"), id="semicolon"),
        pytest.param("month,visits\n2024-10-01,17300000\n".encode("utf-16"), id="utf-16-bom"),
        pytest.param("\ufeffMonth,Visits\n2024-10,17.3M\n".encode(), id="utf-8-bom"),
        pytest.param("Zeitraum;Besuche;Domäne\nOkt. 2024;17,3 Mio.;deepfake.example\n".encode("latin-1"),
                     id="latin-1"),
        pytest.param("Month,Visits\n“Oct 2024”,17.3M\n".encode("cp1252"), id="cp1252"),
    ],
)  # fmt: skip
def test_monthly_layout_variants(case: Case, tmp_path: Path, data: bytes) -> None:
    result = import_file(
        case.store, _write(tmp_path, "v.csv", data), ImportOptions(domains=("deepfake.example",))
    )
    assert result.layout == "monthly"
    entry = _only(case)
    assert entry["monthly"][0] == {"month": "2024-10", "visits": 17_300_000}  # type: ignore[index]


def test_wide_layout(case: Case, tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        "similarweb.csv",
        "Domain,Metric,Aug 2024,Sep 2024,Oct 2024\n"
        "deepfake.example,Total Visits,5.2M,6.1M,6.0M\n"
        "deepfake.example,Bounce Rate,40%,41%,42%\n"
        "www.other.example,Total Visits,1000,-,3000\n",
    )
    result = import_file(case.store, path)
    assert (result.layout, result.rows, result.domains) == ("wide", 5, ["deepfake.example", "other.example"])
    summary = audience_summary(case.store)["domains"]
    assert summary[0]["best_3_months"]["visits"] == 17_300_000
    assert summary[1]["monthly"] == [
        {"month": "2024-08", "visits": 1000},
        {"month": "2024-10", "visits": 3000},
    ]


def test_country_layout_with_fractions_visits_and_months(case: Case, tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        "geo.csv",
        "domain,month,country,share,visits\n"
        "deepfake.example,2024-10,DEU,0.08,480K\n"
        "deepfake.example,2024-10,USA,0.385,2.3M\n"
        "deepfake.example,2024-10,JP,0.121,726K\n"
        "deepfake.example,2024-09,US,0.9,\n",
    )
    assert import_file(case.store, path).rows == 4
    entry = _only(case, "deepfake.example")
    assert entry["countries_period"] == "2024-10"
    assert entry["countries"] == [
        {"country": "US", "share": pytest.approx(0.385)},
        {"country": "JP", "share": pytest.approx(0.121)},
        {"country": "DE", "share": pytest.approx(0.08)},
    ]
    with case.store.session() as s:
        us = select(AudienceCountry.visits).where(
            AudienceCountry.country == "US", AudienceCountry.period == "2024-10"
        )
        assert s.scalar(us) == 2_300_000


def test_rank_list(case: Case, tmp_path: Path) -> None:
    path = _write(tmp_path, "tranco_2024-10-01.csv", "1,google.com\n2,youtube.com\n4711,deepfake.example\n")
    result = import_file(case.store, path)
    assert (result.layout, result.rows) == ("rank", 3)
    other = _write(tmp_path, "top-1m.csv", "rank;domain\n1;google.com\n5000;deepfake.example\n")
    opts = ImportOptions(domains=("deepfake.example",), list_name="umbrella", list_date="2024-11-01")
    assert import_file(case.store, other, opts).rows == 1
    assert _only(case, "deepfake.example")["ranks"] == [
        {"list": "tranco", "date": "2024-10-01", "rank": 4711},
        {"list": "umbrella", "date": "2024-11-01", "rank": 5000},
    ]


def test_forced_format(case: Case, tmp_path: Path) -> None:
    path = _write(tmp_path, "list.csv", "1\tdeepfake.example\n")
    result = import_file(case.store, path, ImportOptions(layout="rank", list_date="2024-10-01"))
    assert result.layout == "rank"
    with pytest.raises(AudienceError, match="no country column for the country layout"):
        import_file(case.store, _write(tmp_path, "m.csv", MONTHLY), ImportOptions(layout="country"))


def test_latest_import_wins_for_a_month(case: Case, tmp_path: Path) -> None:
    opts = ImportOptions(domains=("deepfake.example",))
    import_file(case.store, _write(tmp_path, "a.csv", "month,visits\n2024-10,1M\n2024-11,2M\n"), opts)
    import_file(case.store, _write(tmp_path, "b.csv", "month,visits\n2024-11,3M\n"), opts)
    assert _only(case)["monthly"] == [
        {"month": "2024-10", "visits": 1_000_000},
        {"month": "2024-11", "visits": 3_000_000},
    ]


def test_reimport_is_refused_unless_replace(case: Case, tmp_path: Path) -> None:
    path = _write(tmp_path, "v.csv", MONTHLY)
    opts = ImportOptions(domains=("deepfake.example",))
    first = import_file(case.store, path, opts)
    before = _counts(case)
    with pytest.raises(AudienceError, match=r"already imported \(import \d+.*pass --replace"):
        import_file(case.store, path, opts)
    assert _counts(case) == before
    again = import_file(case.store, path, ImportOptions(domains=("deepfake.example",), replace=True))
    assert again.replaced == first.import_id
    assert _counts(case) == before


# ---------------------------------------------------------------------------------------- bad input

BAD_INPUTS: list[tuple[str, bytes, ImportOptions, str, int | None]] = [
    ("empty", b"", ImportOptions(), "nothing understood in this file (it is empty)", None),
    ("blank", b"\n \n", ImportOptions(), "nothing understood in this file (it is empty)", None),
    ("header only", b"month,visits\n", ImportOptions(domains=("d.example",)), "no data rows", None),
    ("unknown header", b"foo,bar\n1,2\n", ImportOptions(), "cannot tell the layout", 1),
    ("bad number", b"month,visits\n2024-10,1M\n2024-11,lots\n", ImportOptions(domains=("d.example",)),
     "cannot read the visits 'lots'", 3),
    ("bad date", b"month,visits\n2024-10,1M\nsoon,2M\n", ImportOptions(domains=("d.example",)),
     "cannot read the month 'soon'", 3),
    ("no domain", b"month,visits\n2024-10,1M\n", ImportOptions(), "pass --domain", 1),
    ("twice", b"month,visits\n2024-10,1M\n10/2024,2M\n", ImportOptions(domains=("d.example",)),
     "given twice (first at line 2)", 3),
    ("utf-16 without BOM", "month,visits\n2024-10,1M\n".encode("utf-16-le"), ImportOptions(),
     "not a text file", 1),
    ("binary", b"month,visits\n\x01\x02\x03,4\n", ImportOptions(domains=("d.example",)),
     "not a text file", 2),
    ("unknown country", b"country,share\nUS,50%\nAtlantis,10%\n", ImportOptions(domains=("d.example",)),
     "unknown country 'Atlantis'", 3),
    ("bad share", b"country,share\nUS,half\n", ImportOptions(domains=("d.example",)),
     "cannot read the share 'half'", 2),
    ("over 100%", b"country,share\nUS,80%\nJP,30%\n", ImportOptions(domains=("d.example",)),
     "add up to more than 100%", 3),
    ("bad rank", b"rank,domain\n1,a.example\nfirst,b.example\n", ImportOptions(list_date="2024-10-01"),
     "cannot read the rank 'first'", 3),
    ("no list date", b"1,a.example\n", ImportOptions(), "no list date", None),
    ("bad domain", b"domain,month,visits\nd.example,2024-10,1M\nnot a domain,2024-10,1M\n", ImportOptions(),
     "not a domain name", 3),
    ("missing column", b"month,visits\n2024-10,1M\n", ImportOptions(layout="wide", domains=("d.example",)),
     "no month columns", 1),
]  # fmt: skip


@pytest.mark.parametrize(
    ("content", "options", "message", "line"),
    [pytest.param(*case[1:], id=case[0]) for case in BAD_INPUTS],
)
@pytest.mark.slow
def test_bad_input_stores_nothing(
    case: Case, tmp_path: Path, content: bytes, options: ImportOptions, message: str, line: int | None
) -> None:
    # a good row first in the store, so "nothing stored" means nothing of *this* file
    import_file(case.store, _write(tmp_path, "good.csv", MONTHLY), ImportOptions(domains=("good.example",)))
    before = _counts(case)
    path = _write(tmp_path, "bad.csv", content)
    with pytest.raises(AudienceError) as caught:
        import_file(case.store, path, options)
    text = str(caught.value)
    assert message in text
    assert text.startswith(f"{path}:{line}: " if line else f"{path}: ")
    assert "\n" not in text
    assert _counts(case) == before


@pytest.mark.slow
def test_bad_row_after_many_good_ones_stores_nothing(case: Case, tmp_path: Path) -> None:
    rows = "".join(f"{n},site{n}.example\n" for n in range(1, 12_001)) + "x,broken.example\n"
    path = _write(tmp_path, "tranco_2024-10-01.csv", rows)
    with pytest.raises(AudienceError, match=r"tranco_2024-10-01\.csv:12001: cannot read the rank 'x'"):
        import_file(case.store, path)
    assert sum(_counts(case).values()) == 0


# ---------------------------------------------------------------------------------------------- CLI


@pytest.mark.slow
def test_cli_import_and_show(case: Case, tmp_path: Path) -> None:
    runner = CliRunner()
    root = str(case.root)
    visits = _write(tmp_path, "visits.csv", MONTHLY)
    countries = _write(tmp_path, "countries.csv", COUNTRIES)
    ranks = _write(tmp_path, "tranco_2024-10-01.csv", "1,google.com\n4711,deepfake.example\n")
    res = runner.invoke(
        app, ["import", str(visits), "--case", root, "--domain", "deepfake.example", "--json"]
    )
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["layout"] == "monthly"
    res = runner.invoke(
        app, ["import", str(countries), "--case", root, "--domain", "deepfake.example", "--period", "2024-10"]
    )
    assert res.exit_code == 0 and "country layout, 3 rows" in res.stdout
    res = runner.invoke(app, ["import", str(ranks), "--case", root, "--domain", "deepfake.example"])
    assert res.exit_code == 0, res.output

    res = runner.invoke(app, ["show", "--case", root, "--json", "--domain", "deepfake.example"])
    assert res.exit_code == 0, res.output
    (entry,) = json.loads(res.stdout)["domains"]
    assert entry["best_3_months"] == {"months": ["2024-08", "2024-09", "2024-10"], "visits": 17_300_000}
    assert [c["country"] for c in entry["countries"]] == ["US", "JP", "DE"]
    assert entry["ranks"] == [{"list": "tranco", "date": "2024-10-01", "rank": 4711}]
    assert set(entry) >= {"domain", "monthly", "best_3_months", "countries", "ranks"}

    res = runner.invoke(app, ["show", "--case", root])
    assert res.exit_code == 0
    assert (
        "17.3 million visits in 3 months (2024-08 to 2024-10), most from US (38.5%), then JP and DE"
        in res.stdout
    )


def test_cli_errors(case: Case, tmp_path: Path) -> None:
    runner = CliRunner()
    root = str(case.root)
    bad = _write(tmp_path, "bad.csv", "month,visits\n2024-10,many\n")
    res = runner.invoke(app, ["import", str(bad), "--case", root, "--domain", "d.example"])
    assert res.exit_code != 0
    assert isinstance(res.exception, AudienceError)
    assert str(res.exception) == f"{bad}:2: cannot read the visits 'many' as a number"
    res = runner.invoke(app, ["import", str(tmp_path / "missing.csv"), "--case", root])
    assert isinstance(res.exception, AudienceError) and "cannot read the file" in str(res.exception)
    res = runner.invoke(app, ["show", "--case", root, "--domain", "nothing.example"])
    assert isinstance(res.exception, AudienceError) and "no audience data for nothing.example" in str(
        res.exception
    )
    res = runner.invoke(app, ["import", str(bad), "--case", root, "--format", "xml"])
    assert res.exit_code == 2  # usage error
    assert sum(_counts(case).values()) == 0


def test_utf16_bom_is_read(case: Case, tmp_path: Path) -> None:
    data = codecs.BOM_UTF16_BE + "Country\tShare\nJapan\t100%\n".encode("utf-16-be")
    import_file(case.store, _write(tmp_path, "g.csv", data), ImportOptions(domains=("d.example",)))
    assert _only(case)["countries"] == [{"country": "JP", "share": 1.0}]
