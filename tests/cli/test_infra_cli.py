"""`unmask infra …` end to end in a subprocess, against a real Knot DNS on loopback."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.helpers.cli import UNMASK, unmask
from tests.helpers.dns_server import DnsServer
from tests.helpers.nginx_server import NginxServer, VHost


@pytest.fixture
def dns(tmp_path: Path) -> Iterator[DnsServer]:
    with DnsServer(tmp_path) as server:
        server.zone("alpha.test", ["@ A 127.0.0.70", "@ NS ns1.shared-dns.test.", '@ TXT "v=spf1 -all"'])
        server.zone("beta.test", ["@ A 127.0.0.70", "@ NS ns1.shared-dns.test."])
        server.zone("gamma.test", ["@ A 127.0.0.71"])
        server.broken("broken.test")
        server.start()
        yield server


def one_line_error(proc: object) -> str:
    stderr = proc.stderr.strip()  # type: ignore[attr-defined]
    assert proc.returncode != 0, stderr  # type: ignore[attr-defined]
    assert "Traceback" not in stderr
    assert len([line for line in stderr.splitlines() if line.strip()]) <= 3, stderr
    return str(stderr)


@pytest.mark.slow
def test_scan_changes_timeline_related(new_case: Path, dns: DnsServer) -> None:
    base = ["--case", str(new_case), "--resolver", dns.resolver, "--dns-only"]
    proc = unmask("infra", "scan", "alpha.test", "beta.test", "x.broken.test", "gamma.test", *base, "--json")
    result = json.loads(proc.stdout)  # stdout is JSON and nothing else
    assert result["status"] == "complete"
    domains = {d["domain"]: d for d in result["domains"]}
    assert {f["error"] for f in domains["x.broken.test"]["failures"]} == {"SERVFAIL"}
    assert {"kind": "dns.a", "value": "127.0.0.70", "subject": "alpha.test"}.items() <= next(
        o for o in domains["alpha.test"]["observations"] if o["kind"] == "dns.a"
    ).items()

    dns.zone("alpha.test", ["@ A 127.0.0.72", "@ NS ns1.shared-dns.test.", '@ TXT "v=spf1 -all"'])
    dns.reload()
    unmask("infra", "scan", "alpha.test", *base)
    changes = json.loads(unmask("infra", "changes", "alpha.test", "--case", str(new_case), "--json").stdout)
    assert [(c["domain"], c["kind"], c["old"], c["new"]) for c in changes] == [
        ("alpha.test", "ip", ["127.0.0.70"], ["127.0.0.72"])
    ]
    assert changes[0]["time"].endswith("Z")
    text = unmask("infra", "changes", "alpha.test", "--case", str(new_case)).stdout
    assert "127.0.0.70" in text and "127.0.0.72" in text

    timeline = json.loads(unmask("infra", "timeline", "alpha.test", "--case", str(new_case), "--json").stdout)
    values = [(s["kind"], s["value"]) for s in timeline["spans"]]
    assert ("dns.a", "127.0.0.70") in values and ("dns.a", "127.0.0.72") in values
    assert "127.0.0.70" in unmask("infra", "timeline", "alpha.test", "--case", str(new_case)).stdout

    related = json.loads(unmask("infra", "related", "beta.test", "--case", str(new_case), "--json").stdout)
    links = {(link["domain"], link["kind"], link["strength"]) for link in related["links"]}
    assert ("alpha.test", "ip", "medium") in links  # alpha had 127.0.0.70 in its first scan
    assert ("alpha.test", "nameserver_set", "weak") in links
    assert "gamma.test" not in {link["domain"] for link in related["links"]}
    assert "false links" in related["caveat"]


@pytest.mark.slow
def test_resolver_from_case_yaml(new_case: Path, dns: DnsServer) -> None:
    path = new_case / "case.yaml"
    config = yaml.safe_load(path.read_text())
    config["infra"]["resolver"] = dns.resolver
    path.write_text(yaml.safe_dump(config))
    result = json.loads(
        unmask("infra", "scan", "gamma.test", "--case", str(new_case), "--dns-only", "--json").stdout
    )
    assert [o["value"] for o in result["domains"][0]["observations"] if o["kind"] == "dns.a"] == [
        "127.0.0.71"
    ]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["infra", "scan", "alpha.test", "--resolver", "localhost"], "malformed resolver"),
        (["infra", "scan", "alpha.test", "--resolver", "127.0.0.1:99999"], "malformed resolver"),
        (["infra", "scan", ""], "not a domain name"),
        (["infra", "scan", "bad name.test"], "not a domain name"),
        (["infra", "changes", "a..b"], "not a domain name"),
        (["infra", "watch", "alpha.test", "--every", "soon"], "malformed interval"),
        (["infra", "import-pdns", "/nonexistent/pdns.csv"], "/nonexistent/pdns.csv"),
    ],
)
@pytest.mark.slow
def test_bad_input_is_one_line(new_case: Path, args: list[str], message: str) -> None:
    err = one_line_error(unmask(*args, "--case", str(new_case), check=False))
    assert message in err


@pytest.mark.slow
def test_bad_mmdb_setting_is_one_line(new_case: Path, dns: DnsServer) -> None:
    path = new_case / "case.yaml"
    config = yaml.safe_load(path.read_text())
    config["infra"]["sources"] = {"networks": {"mmdb": str(new_case / "missing.mmdb")}}
    path.write_text(yaml.safe_dump(config))
    err = one_line_error(
        unmask(
            "infra", "scan", "gamma.test", "--case", str(new_case), "--resolver", dns.resolver, check=False
        )
    )
    assert "missing.mmdb" in err


def set_config(case: Path, section: str, values: dict[str, Any]) -> None:
    path = case / "case.yaml"
    config = yaml.safe_load(path.read_text())
    config[section].update(values)
    path.write_text(yaml.safe_dump(config))


@pytest.mark.slow
def test_sources_lists_every_source_with_its_options(new_case: Path) -> None:
    set_config(new_case, "infra", {"sources": {"certificate": {"https_port": 8443}}})
    listing = json.loads(unmask("infra", "sources", "--case", str(new_case), "--json").stdout)
    assert listing["case"] == str(new_case.resolve())
    found = {s["name"]: s for s in listing["sources"]}
    assert {"dns", "networks", "web", "certificate", "rdap", "ct", "masking", "origin"} <= set(found)
    certificate = found["certificate"]
    assert (certificate["connects_to_site"], certificate["needs_active"]) == (True, False)
    assert found["origin"]["needs_active"] and not found["dns"]["connects_to_site"]
    port = next(o for o in certificate["options"] if o["name"] == "https_port")
    assert (port["type"], port["default"], port["value"], port["set"]) == ("int", 443, 8443, True)
    assert port["help"]

    text = unmask("infra", "sources", "--case", str(new_case)).stdout
    assert "certificate: connects to the site; skipped with --dns-only" in text
    port = "https_port (whole number) = 8443 (set in case.yaml) (default 443): TCP port of the TLS handshake"
    assert port in text
    assert "origin: only with --active" in text and "rdap: asks RDAP servers" in text


@pytest.mark.slow
def test_sources_without_a_case_lists_the_defaults(tmp_path: Path) -> None:
    proc = subprocess.run(
        [*UNMASK, "infra", "sources", "--json"], cwd=tmp_path, capture_output=True, text=True
    )
    assert proc.returncode == 0, proc.stderr
    listing = json.loads(proc.stdout)
    assert listing["case"] is None
    assert all(o["value"] == o["default"] and not o["set"] for s in listing["sources"] for o in s["options"])


@pytest.mark.parametrize(
    ("sources", "message"),
    [
        ({"certificate": {"https_port": "x"}}, "case.yaml.infra.sources.certificate.https_port: expected"),
        ({"certificat": {}}, "case.yaml.infra.sources: unknown source 'certificat'"),
        ({"web": {"max_scripts": -1}}, "case.yaml.infra.sources.web.max_scripts: must be at least 0"),
    ],
)
@pytest.mark.slow
def test_bad_source_options_are_one_line(new_case: Path, sources: dict[str, Any], message: str) -> None:
    set_config(new_case, "infra", {"sources": sources})
    for command in (["infra", "scan", "gamma.test", "--resolver", "127.0.0.1:9"], ["infra", "sources"]):
        err = one_line_error(unmask(*command, "--case", str(new_case), check=False))
        assert message in err


@pytest.mark.slow
def test_an_option_in_case_yaml_reaches_its_source(new_case: Path, dns: DnsServer, tmp_path: Path) -> None:
    """The site serves TLS on a port of its own: the certificate is read only once case.yaml says where."""
    with NginxServer(tmp_path / "web", standard_ports=False) as web:
        cert = web.add_certificate("site", "site.options.test", ["site.options.test"])
        web.add_vhost(VHost(("site.options.test",), (web.address(7),), cert="site"))
        web.start()
        dns.zone("options.test", [f"site A {web.address(7)}"])
        dns.reload()
        set_config(new_case, "fetch", {"delay": 0.0, "retries": 0})
        args = ["infra", "scan", "site.options.test", "--case", str(new_case), "--resolver", dns.resolver]

        def certificates() -> tuple[list[str], list[str]]:
            (domain,) = json.loads(unmask(*args, "--json").stdout)["domains"]
            seen = [o["value"] for o in domain["observations"] if o["kind"] == "cert.sha256"]
            return seen, [f["error"] for f in domain["failures"] if f["source"] == "certificate"]

        assert certificates() == ([], ["tls: connection refused"])  # port 443: nothing listens
        set_config(new_case, "infra", {"sources": {"certificate": {"https_port": web.https_port}}})
        assert certificates() == ([cert.sha256], [])


@pytest.mark.slow
def test_import_passive_dns_extends_the_history(new_case: Path, dns: DnsServer, tmp_path: Path) -> None:
    pytest.importorskip("unmask.infra.passive_dns")
    unmask("infra", "scan", "gamma.test", "--case", str(new_case), "--resolver", dns.resolver, "--dns-only")
    export = tmp_path / "pdns.jsonl"
    export.write_text(
        json.dumps(
            {
                "rrname": "gamma.test",
                "rrtype": "A",
                "rdata": "127.0.0.69",
                "time_first": 1577836800,
                "time_last": 1640995200,
                "count": 12,
            }
        )
        + "\n"
    )
    result = json.loads(unmask("infra", "import-pdns", str(export), "--case", str(new_case), "--json").stdout)
    assert result["records"] == 1 and result["domains"] == ["gamma.test"]
    timeline = json.loads(unmask("infra", "timeline", "gamma.test", "--case", str(new_case), "--json").stdout)
    passive = [s for s in timeline["spans"] if s["value"] == "127.0.0.69"]
    assert passive and passive[0]["origin"] == "passive_dns" and passive[0]["start"].startswith("2020-01-01")


@pytest.mark.slow
def test_malformed_passive_dns_is_all_or_nothing(new_case: Path, tmp_path: Path) -> None:
    pytest.importorskip("unmask.infra.passive_dns")
    good = {
        "rrname": "delta.test",
        "rrtype": "A",
        "rdata": "127.0.0.68",
        "time_first": 1577836800,
        "time_last": 1577923200,
    }
    export = tmp_path / "pdns.jsonl"
    export.write_text(json.dumps(good) + "\n{not json\n")
    err = one_line_error(unmask("infra", "import-pdns", str(export), "--case", str(new_case), check=False))
    assert f"{export}:2" in err
    timeline = json.loads(unmask("infra", "timeline", "delta.test", "--case", str(new_case), "--json").stdout)
    assert timeline["spans"] == []  # nothing stored
    result = json.loads(
        unmask("infra", "import-pdns", str(export), "--keep-going", "--case", str(new_case), "--json").stdout
    )
    assert result["records"] == 1 and len(result["skipped"]) == 1 and f"{export}:2" in result["skipped"][0]


@pytest.mark.slow
def test_watch_once_prints_the_changes_of_its_round(new_case: Path, dns: DnsServer) -> None:
    pytest.importorskip("unmask.watch.alerts")
    args = [
        "infra",
        "watch",
        "gamma.test",
        "--once",
        "--case",
        str(new_case),
        "--resolver",
        dns.resolver,
        "--dns-only",
    ]
    first = unmask(*args)
    assert first.stdout.strip() == ""  # nothing to compare with yet
    dns.zone("gamma.test", ["@ A 127.0.0.73"])
    dns.reload()
    second = unmask(*args)
    assert "gamma.test" in second.stdout and "127.0.0.71" in second.stdout and "127.0.0.73" in second.stdout
    assert "1 changes" in second.stderr
