"""Table tests for the value parsers: every case must parse (or refuse) and nothing may raise."""

from __future__ import annotations

import datetime as dt

import pytest

from unmask.core.text import (
    EARLIEST_UPLOAD,
    implausible,
    iso_day,
    parse_count,
    parse_date,
    parse_duration,
    parse_int,
    parse_relative_date,
    read_count,
)

COUNTS: list[tuple[object, str | None, int | None]] = [
    ("12.3K views", None, 12_300),
    ("1.2M", None, 1_200_000),
    ("1.2M views", "en", 1_200_000),
    ("1,234,567", None, 1_234_567),
    ("1,234,567", "en", 1_234_567),
    ("1.234.567", "de", 1_234_567),
    ("1.234.567", None, 1_234_567),
    ("1 234 567", "fr", 1_234_567),
    ("1\u202f234\u202f567", "fr", 1_234_567),
    ("1\u00a0234\u00a0567 vues", None, 1_234_567),
    ("1'234'567", None, 1_234_567),
    ("12,3K", "de", 12_300),
    ("12,3K", None, 12_300),
    ("12,3 k", "fr", 12_300),
    ("1,2 Mio.", "de", 1_200_000),
    ("1,2 Mrd.", "de", 1_200_000_000),
    ("2,5 Tsd.", "de", 2_500),
    ("987 views", None, 987),
    ("987", None, 987),
    ("0 views", None, 0),
    ("1,234", None, 1_234),
    ("1.234", None, 1_234),
    ("1.234", "en", 1),
    ("1,5", "de", 2),
    ("1.234,5", None, 1_234),
    ("Views: 4,321", None, 4_321),
    ("12 mil visualizaciones", "es", 12_000),
    ("3,4 millones", "es", 3_400_000),
    ("1.2万回視聴", "ja", 12_000),
    ("3億", None, 300_000_000),
    ("1.5B", None, 1_500_000_000),
    ("5 months", None, 5),
    (1234, None, 1234),
    (12.6, None, 13),
    ("garbage", None, None),
    ("", None, None),
    ("   ", None, None),
    ("K", None, None),
    (None, None, None),
    (True, None, None),
    (-5, None, None),
    ([1, 2], None, None),
    ("9" * 600, None, None),
    ("views " * 100_000 + "12", None, None),
    ("-5", None, None),  # a negative count is refused, not read as 5
    ("Views: -5", None, None),
    ("\u22125 views", None, None),
    ("－12", None, None),
    ("5-10 views", None, 5),  # a range, not a sign
    ("ID-5", None, 5),  # a hyphen inside a word, not a sign
]


@pytest.mark.parametrize(("text", "locale", "expected"), COUNTS)
def test_parse_count(text: object, locale: str | None, expected: int | None) -> None:
    assert parse_count(text, locale) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [("#1,234", 1234), ("12 photos", 12), ("12.3K", 12), ("none", None), (None, None), (7, 7)],
)
def test_parse_int(text: object, expected: int | None) -> None:
    assert parse_int(text) == expected


DURATIONS: list[tuple[object, float | None]] = [
    ("12:34", 754.0),
    ("0:45", 45.0),
    ("1:02:03", 3723.0),
    ("75:10", 4510.0),
    ("Duration: 12:34", 754.0),
    ("12:34.5", 754.5),
    ("PT1H2M3S", 3723.0),
    ("PT12M34S", 754.0),
    ("pt12m34s", 754.0),
    ("PT45S", 45.0),
    ("PT1.5S", 1.5),
    ("P1DT2H", 93_600.0),
    ("PT", None),
    ("P", None),
    ("45s", 45.0),
    ("45 sec", 45.0),
    ("12 min", 720.0),
    ("12 Min.", 720.0),
    ("1h 2m", 3720.0),
    ("1h2m3s", 3723.0),
    ("2 hours 3 minutes", 7380.0),
    ("1 Std. 2 Min.", 3720.0),
    ("1.5 hours", 5400.0),
    ("3分20秒", 200.0),
    ("754", 754.0),
    (754, 754.0),
    (12.5, 12.5),
    ("12:345", None),
    ("99:99", None),
    ("garbage", None),
    ("", None),
    (None, None),
    (True, None),
    (-3, None),
    (float("inf"), None),
    ("9" * 400, None),
    ("x" * 1_000_000, None),
]


@pytest.mark.parametrize(("text", "expected"), DURATIONS)
def test_parse_duration(text: object, expected: float | None) -> None:
    assert parse_duration(text) == expected


D = dt.date
DATES: list[tuple[object, bool | None, D | None]] = [
    ("2021-03-04", None, D(2021, 3, 4)),
    ("2021-3-4", None, D(2021, 3, 4)),
    ("2021-03-04T12:00:00Z", None, D(2021, 3, 4)),
    ("2021-03-04T23:30:00-05:00", None, D(2021, 3, 4)),
    ("2021-03-04 12:00:00", None, D(2021, 3, 4)),
    ("Added 2021-03-04", None, D(2021, 3, 4)),
    ("2021/03/04", None, D(2021, 3, 4)),
    ("2021.03.04", None, D(2021, 3, 4)),
    ("20210304", None, D(2021, 3, 4)),
    ("Mar 4, 2021", None, D(2021, 3, 4)),
    ("March 4 2021", None, D(2021, 3, 4)),
    ("4 March 2021", None, D(2021, 3, 4)),
    ("4th Mar 2021", None, D(2021, 3, 4)),
    ("1st January 2021", None, D(2021, 1, 1)),
    ("4. März 2021", None, D(2021, 3, 4)),
    ("4 mars 2021", None, D(2021, 3, 4)),
    ("4 de marzo de 2021", None, D(2021, 3, 4)),
    ("2021年3月4日", None, D(2021, 3, 4)),
    ("04.03.2021", None, D(2021, 3, 4)),
    ("04.03.2021", True, D(2021, 3, 4)),
    ("04.03.2021", False, D(2021, 4, 3)),
    ("03/04/2021", None, D(2021, 3, 4)),
    ("03/04/2021", True, D(2021, 4, 3)),
    ("13/04/2021", None, D(2021, 4, 13)),
    ("04.03.21", None, D(2021, 3, 4)),
    ("31.02.2021", None, None),
    ("2021-13-01", None, None),
    ("March 2021", None, None),
    ("3 weeks ago", None, None),
    ("0000-00-00", None, None),
    ("garbage", None, None),
    ("", None, None),
    (None, None, None),
    (12345, None, None),
    (dt.datetime(2021, 3, 4, 23, 0), None, D(2021, 3, 4)),
    (D(2021, 3, 4), None, D(2021, 3, 4)),
    ("2021-03-04" + "x" * 1_000_000, None, D(2021, 3, 4)),
]


@pytest.mark.parametrize(("text", "dayfirst", "expected"), DATES)
def test_parse_date(text: object, dayfirst: bool | None, expected: D | None) -> None:
    assert parse_date(text, dayfirst=dayfirst) == expected


REFERENCE = dt.datetime(2024, 3, 31, 12, 0, tzinfo=dt.UTC)
RELATIVE: list[tuple[object, D | None]] = [
    ("3 weeks ago", D(2024, 3, 10)),
    ("a week ago", D(2024, 3, 24)),
    ("last week", D(2024, 3, 24)),
    ("yesterday", D(2024, 3, 30)),
    ("Yesterday", D(2024, 3, 30)),
    ("today", D(2024, 3, 31)),
    ("just now", D(2024, 3, 31)),
    ("2 years ago", D(2022, 3, 31)),
    ("5 hours ago", D(2024, 3, 31)),
    ("13 hours ago", D(2024, 3, 30)),
    ("an hour ago", D(2024, 3, 31)),
    ("30 minutes ago", D(2024, 3, 31)),
    ("1 month ago", D(2024, 2, 29)),
    ("13 months ago", D(2023, 2, 28)),
    ("3 days ago", D(2024, 3, 28)),
    ("3d ago", D(2024, 3, 28)),
    ("2mo ago", D(2024, 1, 31)),
    ("vor 3 Wochen", D(2024, 3, 10)),
    ("vor einer Woche", D(2024, 3, 24)),
    ("vor 2 Jahren", D(2022, 3, 31)),
    ("gestern", D(2024, 3, 30)),
    ("heute", D(2024, 3, 31)),
    ("il y a 3 semaines", D(2024, 3, 10)),
    ("il y a un mois", D(2024, 2, 29)),
    ("il y a 2 ans", D(2022, 3, 31)),
    ("aujourd’hui", D(2024, 3, 31)),
    ("hier", D(2024, 3, 30)),
    ("hace 3 semanas", D(2024, 3, 10)),
    ("hace un mes", D(2024, 2, 29)),
    ("hace 2 años", D(2022, 3, 31)),
    ("ayer", D(2024, 3, 30)),
    ("3週間前", D(2024, 3, 10)),
    ("1か月前", D(2024, 2, 29)),
    ("2年前", D(2022, 3, 31)),
    ("5時間前", D(2024, 3, 31)),
    ("3日前", D(2024, 3, 28)),
    ("昨日", D(2024, 3, 30)),
    ("3 settimane fa", D(2024, 3, 10)),
    ("3 недели назад", D(2024, 3, 10)),
    ("позавчера", D(2024, 3, 29)),
    ("Mar 4, 2021", None),
    ("4 March 2021", None),
    ("999999 weeks ago", None),
    ("999999 years ago", None),
    ("garbage", None),
    ("", None),
    (None, None),
    (3, None),
    ("weeks ago " * 100_000, None),
]


@pytest.mark.parametrize(("text", "expected"), RELATIVE)
def test_parse_relative_date(text: object, expected: D | None) -> None:
    assert parse_relative_date(text, REFERENCE) == expected


def test_relative_date_from_a_date_reference_counts_from_noon() -> None:
    assert parse_relative_date("5 hours ago", D(2024, 3, 31)) == D(2024, 3, 31)
    assert parse_relative_date("13 hours ago", D(2024, 3, 31)) == D(2024, 3, 30)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("-5", -5),
        ("Views: -5", -5),
        ("\u22121.2K", -1200),
        ("5", 5),
        (-7, -7),
        ("x", None),
        ("-" + "9" * 20, None),
    ],
)
def test_read_count_keeps_the_sign_for_extraction_to_refuse(text: object, expected: int | None) -> None:
    assert read_count(text) == expected


TODAY = dt.date(2025, 1, 15)


@pytest.mark.parametrize(
    ("field", "value", "refused"),
    [
        ("upload_date", dt.date(1900, 1, 1), True),
        ("upload_date", dt.date(1970, 1, 1), True),  # the Unix epoch: a placeholder
        ("upload_date", EARLIEST_UPLOAD, False),
        ("upload_date", dt.date(2199, 12, 31), True),
        ("upload_date", TODAY + dt.timedelta(days=1), False),  # the platform's time zone runs ahead
        ("upload_date", TODAY + dt.timedelta(days=2), True),
        ("upload_date", dt.date(2019, 6, 1), False),
        ("views", -5, True),
        ("views", 0, False),
        ("views", 16_000_000_000, False),
        ("views", 10**12, True),
        ("duration", 0.0, True),
        ("duration", 754.0, False),
        ("duration", 72 * 3600.0, False),
        ("duration", 366 * 24 * 3600.0, True),
        ("duration", float("nan"), True),
        ("photo_count", -1, True),
        ("photo_count", 0, False),
        ("photo_count", 250_000, True),
        ("title", "anything", False),
    ],
)
def test_implausible_values(field: str, value: object, refused: bool) -> None:
    reason = implausible(field, value, TODAY)
    assert (reason is not None) is refused, reason


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, None),
        (dt.date(2024, 3, 9), "2024-03-09"),
        ("2024-03-09 00:00:00.000000", "2024-03-09"),  # a day SQLite gives back as text
        ("2024-03-09", "2024-03-09"),
    ],
)
def test_iso_day_writes_a_stored_day_as_outputs_show_it(value: object, expected: str | None) -> None:
    assert iso_day(value) == expected
