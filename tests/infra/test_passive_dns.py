"""Passive-DNS exports: COF JSON lines, JSON documents (COF list, SecurityTrails-style history), CSV."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from unmask.infra.passive_dns import (
    PassiveDnsError,
    PassiveDnsReader,
    PassiveRecord,
    detect_format,
    read_passive_dns,
)

T1 = 1546300800  # 2019-01-01
T2 = 1588291200  # 2020-05-01


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_cof_json_lines(tmp_path: Path) -> None:
    lines = [
        {"rrname": "Invented-Tube.test.", "rrtype": "A", "rdata": "192.0.2.10", "time_first": T1,
         "time_last": T2, "count": 42},
        {"rrname": "invented-tube.test", "rrtype": "a", "rdata": ["192.0.2.11", "192.0.2.12"],
         "zone_time_first": T1, "zone_time_last": T2},
        {"rrname": "www.invented-tube.test", "rrtype": "CNAME", "rdata": "Invented-Tube.test.",
         "time_first": T1, "time_last": T2},
    ]  # fmt: skip
    path = _write(tmp_path, "circl.jsonl", "\n".join(json.dumps(x) for x in lines) + "\n\n")
    assert detect_format(path) == "cof"
    records = list(read_passive_dns(path))
    assert records[0] == PassiveRecord(
        "invented-tube.test", "A", "192.0.2.10", dt.datetime(2019, 1, 1), dt.datetime(2020, 5, 1), 42, "cof"
    )
    assert [r.rdata for r in records] == ["192.0.2.10", "192.0.2.11", "192.0.2.12", "invented-tube.test"]
    assert records[3].rrtype == "CNAME"


def test_securitytrails_history(tmp_path: Path) -> None:
    doc = {
        "endpoint": "/v1/history/invented-tube.test/dns/a",
        "pages": 1,
        "type": "a/ipv4",
        "records": [
            {"first_seen": "2019-01-01", "last_seen": "2020-05-01", "type": "a",
             "organizations": ["Invented Hosting"], "values": [{"ip": "192.0.2.10", "ip_count": 3}]},
            {"first_seen": "2020-05-02", "last_seen": "2021-01-01", "type": "a",
             "values": [{"ip": "198.51.100.7"}, {"ip": "198.51.100.8"}]},
        ],
    }  # fmt: skip
    path = _write(tmp_path, "st.json", json.dumps(doc, indent=2))
    assert detect_format(path) == "json"
    records = list(read_passive_dns(path, source="securitytrails"))
    assert [(r.rrname, r.rrtype, r.rdata) for r in records] == [
        ("invented-tube.test", "A", "192.0.2.10"),
        ("invented-tube.test", "A", "198.51.100.7"),
        ("invented-tube.test", "A", "198.51.100.8"),
    ]
    assert records[1].first_seen == dt.datetime(2020, 5, 2) and records[1].source == "securitytrails"


def test_json_list_of_cof_and_history_without_domain(tmp_path: Path) -> None:
    path = _write(
        tmp_path, "list.json", json.dumps([{"rrname": "a.test", "rrtype": "NS", "rdata": "NS1.Host.test."}])
    )
    assert [r.rdata for r in read_passive_dns(path)] == ["ns1.host.test"]
    nodomain = _write(
        tmp_path, "nd.json", json.dumps({"records": [{"type": "a", "values": [{"ip": "192.0.2.1"}]}]})
    )
    with pytest.raises(PassiveDnsError, match=r"nd\.json:record 1: no domain"):
        list(read_passive_dns(nodomain))
    assert [r.rrname for r in read_passive_dns(nodomain, domain="given.test")] == ["given.test"]


@pytest.mark.parametrize(
    "header",
    [
        "domain,type,value,first_seen,last_seen,count",
        "rrname,rrtype,rdata,time_first,time_last,count",
        "Hostname,Record Type,IP Address,First Seen,Last Seen,Hits",
    ],
)
def test_csv_header_names(tmp_path: Path, header: str) -> None:
    body = f"{header}\ninvented-tube.test,A,192.0.2.10,2019-01-01,2020-05-01T12:00:00Z,5\n"
    body += f"invented-tube.test,AAAA,2001:db8::1,{T1},{T2},\n"
    path = _write(tmp_path, "pdns.csv", body)
    assert detect_format(path) == "csv"
    records = list(read_passive_dns(path))
    assert [(r.rrtype, r.rdata, r.count) for r in records] == [
        ("A", "192.0.2.10", 5),
        ("AAAA", "2001:db8::1", None),
    ]
    assert records[0].last_seen == dt.datetime(2020, 5, 1, 12, 0)
    assert records[1].first_seen == dt.datetime(2019, 1, 1)


def test_csv_without_type_column_guesses_from_the_address(tmp_path: Path) -> None:
    path = _write(
        tmp_path, "ips.csv", "domain,ip,first_seen,last_seen\nx.test,192.0.2.1,2019-01-01,2019-02-01\n"
    )
    assert [(r.rrtype, r.rdata) for r in read_passive_dns(path)] == [("A", "192.0.2.1")]


@pytest.mark.parametrize(
    ("name", "text", "where", "problem"),
    [
        (
            "bad.jsonl",
            '{"rrname": "a.test", "rrtype": "A", "rdata": "192.0.2.1"}\n{not json\n',
            ":2",
            "not JSON",
        ),
        (
            "ip.jsonl",
            '{"rrname": "a.test", "rrtype": "A", "rdata": "999.1.1.1"}\n',
            ":1",
            "not an IP address",
        ),
        ("time.csv", "domain,type,value,first_seen\na.test,A,192.0.2.1,yesterday\n", ":2", "not a time"),
        ("cols.csv", "domain,type,value\na.test,A\n", ":2", "2 columns"),
        ("nohead.csv", "foo,bar\n1,2\n", ":1", "no rrname column"),
        ("v6.jsonl", '{"rrname": "a.test", "rrtype": "A", "rdata": "2001:db8::1"}\n', ":1", "A record with"),
    ],
)
def test_bad_lines_name_file_and_line(tmp_path: Path, name: str, text: str, where: str, problem: str) -> None:
    path = _write(tmp_path, name, text)
    with pytest.raises(PassiveDnsError) as info:
        list(read_passive_dns(path))
    assert f"{name}{where}" in str(info.value) and problem in str(info.value)


def test_keep_going_collects_skipped(tmp_path: Path) -> None:
    text = (
        '{"rrname": "a.test", "rrtype": "A", "rdata": "192.0.2.1", "time_first": 1, "time_last": 2}\n'
        "garbage\n"
        '{"rrname": "a.test", "rrtype": "A", "rdata": "192.0.2.2"}\n'
    )
    path = _write(tmp_path, "mixed.jsonl", text)
    with pytest.raises(PassiveDnsError, match=r"mixed\.jsonl:2"):
        list(read_passive_dns(path, format="cof"))
    reader = PassiveDnsReader(path, format="cof", keep_going=True)
    assert [r.rdata for r in reader] == ["192.0.2.1", "192.0.2.2"]
    assert [(s.where.rsplit(":", 1)[-1], s.problem.split(" (")[0]) for s in reader.skipped] == [
        ("2", "not JSON")
    ]


@pytest.mark.slow
def test_streams_large_files_lazily(tmp_path: Path) -> None:
    path = tmp_path / "big.jsonl"
    with path.open("w") as handle:
        for i in range(50_000):
            handle.write(
                json.dumps(
                    {"rrname": f"h{i}.test", "rrtype": "A", "rdata": f"10.0.{i // 256 % 256}.{i % 256}"}
                )
            )
            handle.write("\n")
    stream = read_passive_dns(path)
    assert next(stream).rrname == "h0.test"
    assert sum(1 for _ in stream) == 49_999


def test_unreadable_and_unknown_format(tmp_path: Path) -> None:
    with pytest.raises(PassiveDnsError, match="cannot read"):
        detect_format(tmp_path / "missing.csv")
    path = _write(tmp_path, "x.csv", "domain,ip\n")
    with pytest.raises(PassiveDnsError, match="unknown format"):
        list(read_passive_dns(path, format="xml"))
    with pytest.raises(PassiveDnsError, match="empty file"):
        detect_format(_write(tmp_path, "empty.csv", "\n\n"))
