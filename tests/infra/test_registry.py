"""Sources and their options: declared once on each class, set in case.yaml, checked like every setting."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest
import yaml

from unmask.core.config import InfraSettings, load_config
from unmask.core.errors import ConfigError
from unmask.infra.base import ScanOptions
from unmask.infra.certs import CertificateOptions, LiveCertificate
from unmask.infra.registry import SOURCES, describe, load_class, sources


def by_name(chain: list[Any]) -> dict[str, Any]:
    return {source.name: source for source in chain}


def test_every_option_is_typed_with_a_default_and_help() -> None:
    for path in SOURCES:
        cls = load_class(path)
        assert cls is not None, path
        assert dataclasses.is_dataclass(cls.Options), path
        defaults = cls.Options()  # every option has a default
        for spec in dataclasses.fields(defaults):
            assert spec.metadata.get("help"), f"{cls.name}.{spec.name} has no help"
        with pytest.raises(dataclasses.FrozenInstanceError):
            setattr(defaults, "x", 1)  # noqa: B010 - options are read, never changed by a source


def test_options_set_in_settings_reach_each_source() -> None:
    settings = InfraSettings(
        sources={
            "certificate": {"https_port": 8443, "max_addresses": 2},
            "origin": {"hostname_prefixes": ["mail"], "likely": 0.5},
            "ct": {"url": "http://127.0.0.1:9/"},
        },
        source_timeout=7.0,
        give_up_after=2,
    )
    chain, _ = sources(ScanOptions(active=True), settings)
    found = by_name(chain)
    assert found["certificate"].options == CertificateOptions(https_port=8443, max_addresses=2)
    assert found["origin"].options.hostname_prefixes == ["mail"] and found["origin"].options.likely == 0.5
    assert found["origin"].options.https_port == 443  # not set: the default
    assert found["ct"].options.url == "http://127.0.0.1:9/"
    assert {(s.timeout, s.give_up_after) for s in chain} == {(7.0, 2)}
    assert isinstance(found["certificate"], LiveCertificate)


@pytest.mark.parametrize(
    ("configured", "message"),
    [
        ({"certs": {}}, "case.yaml.infra.sources: unknown source 'certs' (known: certificate, ct, dns"),
        (
            {"certificate": {"port": 1}},
            "case.yaml.infra.sources.certificate: unknown setting 'port' (known: https_port, max_addresses)",
        ),
        (
            {"certificate": {"https_port": "443"}},
            "case.yaml.infra.sources.certificate.https_port: expected a",
        ),
        ({"certificate": {"https_port": 70000}}, "https_port: must be between 1 and 65535, got 70000"),
        ({"origin": {"concurrency": 0}}, "case.yaml.infra.sources.origin.concurrency: must be at least 1"),
        ({"origin": {"hostname_prefixes": "mail"}}, "origin.hostname_prefixes: expected a list"),
        ({"ct": {"max_bytes": True}}, "ct.max_bytes: expected a whole number, got True"),
        ({"ct": {"url": None}}, "case.yaml.infra.sources.ct.url: expected text, got None"),
    ],
)
def test_bad_options_are_one_error_naming_the_key(configured: dict[str, Any], message: str) -> None:
    settings = InfraSettings(sources=configured)
    with pytest.raises(ConfigError) as caught:
        sources(ScanOptions(), settings)
    assert message in str(caught.value)
    assert "\n" not in str(caught.value)
    with pytest.raises(ConfigError):
        describe(settings)  # the listing checks them the same way


def test_options_of_skipped_sources_are_checked_too() -> None:
    with pytest.raises(ConfigError, match=r"origin\.http_port"):
        sources(ScanOptions(dns_only=True), InfraSettings(sources={"origin": {"http_port": -1}}))


def test_dns_only_runs_no_source_that_connects_or_asks_a_service() -> None:
    chain, skipped = sources(ScanOptions(dns_only=True))
    assert [s.name for s in chain] == ["dns", "txt_ids", "networks", "masking"]
    reasons = {s.path.rsplit(":", 1)[-1]: s.reason for s in skipped}
    assert reasons == {
        "WebFingerprint": "--dns-only",
        "LiveCertificate": "--dns-only",
        "RdapLookup": "--dns-only",
        "CertificateTransparency": "--dns-only",
        "OriginDiscovery": "--dns-only",
    }
    chain, skipped = sources(ScanOptions())
    assert "origin" not in by_name(chain) and [s.reason for s in skipped] == ["needs --active"]


def test_settings_of_earlier_case_files_are_read_at_their_new_place(tmp_path: Path) -> None:
    path = tmp_path / "case.yaml"
    old = {"ct_url": "https://ct.example.invalid/", "mmdb": None, "rdap_base_url": "http://127.0.0.1:9/"}
    path.write_text(yaml.safe_dump({"unmask_case": 1, "infra": {"resolver": None, **old}}))
    config = load_config(path)
    assert config.infra.sources == {
        "ct": {"url": "https://ct.example.invalid/"},
        "rdap": {"base_url": old["rdap_base_url"]},
    }
    both = {"ct_url": "https://old.invalid/", "sources": {"ct": {"url": "https://new.invalid/"}}}
    path.write_text(yaml.safe_dump({"infra": both}))
    assert load_config(path).infra.sources == {"ct": {"url": "https://new.invalid/"}}  # the new place wins


def test_the_description_lists_defaults_and_current_values() -> None:
    settings = InfraSettings(sources={"certificate": {"https_port": 8443}})
    found = {s["name"]: s for s in describe(settings)}
    assert list(found) == [
        "dns",
        "txt_ids",
        "networks",
        "web",
        "certificate",
        "rdap",
        "ct",
        "masking",
        "origin",
    ]
    port = next(o for o in found["certificate"]["options"] if o["name"] == "https_port")
    assert port == {
        "name": "https_port",
        "type": "int",
        "default": 443,
        "value": 8443,
        "set": True,
        "help": "TCP port of the TLS handshake",
    }
    assert found["certificate"]["connects_to_site"] and not found["certificate"]["needs_active"]
    assert found["origin"]["needs_active"] and found["rdap"]["asks_service"] == "RDAP servers"
    assert found["dns"]["runs_with_dns_only"] and not found["ct"]["runs_with_dns_only"]
    mmdb = next(o for o in found["networks"]["options"] if o["name"] == "mmdb")
    assert (mmdb["type"], mmdb["default"], mmdb["set"]) == ("str | None", None, False)
