"""Linking IDs, data-driven from the table's own examples and negatives; fast path = naive loop."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import pytest
import yaml

from unmask.core.identifiers import (
    MAX_IDS,
    Rule,
    base58check,
    bech32,
    extract_from_txt,
    extract_linking_ids,
    load_rules,
    naive_extract,
)

RULES = load_rules()
POSITIVES = [
    pytest.param(rule, where, example.text, example.value, id=f"{rule.kind}-{rule.index}-{where}-{n}")
    for rule in RULES
    for where in sorted(rule.where)
    for n, example in enumerate(rule.examples)
]
NEGATIVES = [
    pytest.param(rule, where, text, id=f"{rule.kind}-{rule.index}-{where}-neg{n}")
    for rule in RULES
    for where in sorted(rule.where)
    for n, text in enumerate(rule.negatives)
]


def test_every_entry_has_examples_and_negatives() -> None:
    for rule in RULES:
        assert rule.examples, rule.name
        assert rule.negatives, rule.name


@pytest.mark.parametrize(("rule", "where", "text", "value"), POSITIVES)
def test_example_is_found(rule: Rule, where: str, text: str, value: str) -> None:
    found = [(i.kind, i.value) for i in extract_linking_ids(text, where=where)]
    assert (rule.kind, value) in found
    assert found == [(i.kind, i.value) for i in naive_extract(text, where=where)]


@pytest.mark.parametrize(("rule", "where", "text", "value"), POSITIVES)
def test_example_is_found_inside_a_big_page(rule: Rule, where: str, text: str, value: str) -> None:
    filler = "var a=b.c(d);function e(f){return f+1} " * 200
    page = f"<html><body>{filler}\n{text}\n{filler}</body></html>"
    assert (rule.kind, value) in [(i.kind, i.value) for i in extract_linking_ids(page, where=where)]


@pytest.mark.parametrize(("rule", "where", "text"), NEGATIVES)
def test_negative_finds_nothing(rule: Rule, where: str, text: str) -> None:
    assert [i for i in extract_linking_ids(text, where=where) if i.name == rule.name] == []
    assert [i for i in naive_extract(text, where=where) if i.name == rule.name] == []


def test_dedup_first_seen_order_and_context() -> None:
    html = (
        "<p>mail abuse@invented-host.test</p><script>gtag('config','G-AB12CD34EF');"
        "fbq('init', '123456789012345'); gtag('config','G-AB12CD34EF')</script>"
    )
    found = extract_linking_ids(html)
    assert [i.key for i in found] == [
        "email:abuse@invented-host.test",
        "ga4:G-AB12CD34EF",
        "fb_pixel:123456789012345",
    ]
    assert found[1].offset == html.index("G-AB12CD34EF")
    assert "G-AB12CD34EF" in found[1].context and found[1].name.startswith("Google Analytics 4")


def test_where_selects_entries() -> None:
    meta = '<meta name="google-site-verification" content="Xk3bYq1v9TnA0LmZsE7rQpW2cD4fG6hJ8kU5iO0pLzM" />'
    assert [i.kind for i in extract_linking_ids(meta, where="html")] == ["google_site_verification"]
    assert extract_linking_ids(meta, where="script") == []
    gtm = '"vtp_conversionId":"987654321"'
    assert extract_linking_ids(gtm, where="html") == []
    assert [i.key for i in extract_linking_ids(gtm, where="gtm")] == ["aw:AW-987654321"]
    with pytest.raises(ValueError):
        extract_linking_ids("x", where="pdf")


def test_txt_records() -> None:
    records = [
        "v=spf1 include:_spf.invented.test ~all",
        "google-site-verification=Xk3bYq1v9TnA0LmZsE7rQpW2cD4fG6hJ8kU5iO0pLzM",
        "MS=ms12345678",
        "facebook-domain-verification=zyxwvutsrq9876543210ponmlkjihg",
        "google-site-verification=Xk3bYq1v9TnA0LmZsE7rQpW2cD4fG6hJ8kU5iO0pLzM",
        "donate 1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa",
    ]
    assert [i.key for i in extract_from_txt(records)] == [
        "google_site_verification:Xk3bYq1v9TnA0LmZsE7rQpW2cD4fG6hJ8kU5iO0pLzM",
        "bing_verification:MS12345678",
        "facebook_domain_verification:zyxwvutsrq9876543210ponmlkjihg",
        "btc:1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa",
    ]


def test_image_filenames_are_not_emails() -> None:
    html = '<img srcset="/img/logo@2x.png 2x, /img/logo@3x.webp 3x"><a href="mailto:ops@invented.test">'
    assert [i.key for i in extract_linking_ids(html)] == ["email:ops@invented.test"]


def test_checksums() -> None:
    assert base58check("1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa")
    assert not base58check("1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNb")
    assert not base58check("0OIl")
    assert bech32("bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq")
    assert bech32("BC1QAR0SRRR7XFKVY5L643LYDNW9RE59GTZZWF5MDQ")
    assert not bech32("bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdp")
    assert not bech32("nohrp")


def _random_page(rng: random.Random, examples: list[str]) -> str:
    alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.@/:'\"()=,; \n<>"
    parts: list[str] = []
    for _ in range(300):
        roll = rng.random()
        if roll < 0.1:
            parts.append(rng.choice(examples))
        elif roll < 0.2:
            ex = rng.choice(examples)
            cut = rng.randrange(len(ex))
            parts.append(ex[:cut] + rng.choice(alphabet) + ex[cut + 1 :])  # a near miss
        else:
            parts.append("".join(rng.choice(alphabet) for _ in range(rng.randrange(1, 80))))
    return "".join(parts)


@pytest.mark.parametrize("seed", range(12))
def test_fast_path_equals_naive_loop_on_random_pages(seed: int) -> None:
    rng = random.Random(seed)
    examples = [e.text for r in RULES for e in r.examples]
    page = _random_page(rng, examples)
    for where in ("html", "script", "gtm", "txt"):
        fast = {i.key for i in extract_linking_ids(page, where=where)}
        naive = {i.key for i in naive_extract(page, where=where)}
        assert fast == naive, where


@pytest.mark.slow
def test_hostile_input_is_bounded() -> None:
    ats = "@" * 2_000_000
    assert extract_linking_ids(ats) == []
    many = " ".join(f"UA-{1000 + i}-1" for i in range(5000))
    found = extract_linking_ids(many)
    assert len(found) == MAX_IDS
    assert extract_linking_ids(many, limit=3)[-1].value == "UA-1002-1"
    long_line = "x" * 3_000_000 + "G-AB12CD34EF"
    assert [i.value for i in extract_linking_ids(long_line)] == []  # glued to a word: not an ID
    base64_blob = "data:image/png;base64," + "QUJD" * 500_000 + " 1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa"
    assert [i.kind for i in extract_linking_ids(base64_blob)] == ["btc"]
    non_ascii = "Привет 🙂 " * 10000 + "ym(87654321, 'init')"
    assert [i.key for i in extract_linking_ids(non_ascii)] == ["yandex_metrica:87654321"]


# ----------------------------------------------------------------------------- peers' test cases

PEERS = Path(__file__).resolve().parents[1] / "fixtures" / "peers"


def _keys(text: str, where: str = "html") -> set[str]:
    return {i.key for i in extract_linking_ids(text, where=where)}


SPIDERFOOT = yaml.safe_load((PEERS / "spiderfoot" / "cases.yaml").read_text(encoding="utf-8"))
SPIDERFOOT_EXPECTED = {
    # SpiderFoot keeps the page's spelling; unmask writes one spelling (upper case) so that the same
    # property on two sites compares equal
    "<p>example data ua-1111111111-123 example data</p>": {"ua:UA-1111111111-123"},
    "google-site-verification=abcdefghijklmnopqrstuvwxyz1234567890abc_def": {
        "google_site_verification:abcdefghijklmnopqrstuvwxyz1234567890abc_def"
    },
    "example data": set(),
}


@pytest.mark.parametrize("case", SPIDERFOOT, ids=[c["test"][-60:] for c in SPIDERFOOT])
def test_spiderfoot_web_analytics_cases(case: dict[str, str]) -> None:
    where = "txt" if case["event_type"] == "DNS_TEXT" else "html"
    assert _keys(case["data"], where) == SPIDERFOOT_EXPECTED[case["data"]]
    assert bool(SPIDERFOOT_EXPECTED[case["data"]]) is (case["spiderfoot_expected"] is not None)


IOC_FINDER = yaml.safe_load((PEERS / "ioc-finder" / "cases.yaml").read_text(encoding="utf-8"))
IOC_KINDS = {
    # ioc-finder's list -> unmask's kind, and how unmask writes the value
    "google_adsense_publisher_ids": ("adsense", lambda v: "ca-" + v),  # one spelling: AdSense's own "ca-pub-"
    "google_analytics_tracker_ids": ("ua", str.upper),
    "email_addresses": ("email", str),
    "xmpp_addresses": ("email", str),  # an address of that form is read as an e-mail address
    "bitcoin_addresses": ("btc", str),
    "monero_addresses": ("xmr", str),
}
NOT_BITCOIN = "18ddf28a71089acdbab5038f58044c0a"
"""ioc-finder lists this imphash as a Bitcoin address too; unmask checks the Base58Check checksum."""


@pytest.mark.parametrize("case", IOC_FINDER, ids=[f"{c['source']}: {c['text'][:40]}" for c in IOC_FINDER])
def test_ioc_finder_id_cases(case: dict[str, Any]) -> None:
    expected: set[str] = set()
    for field, (kind, spelled) in IOC_KINDS.items():
        expected |= {f"{kind}:{spelled(v)}" for v in case.get(field, []) if v != NOT_BITCOIN}
    found = {key for key in _keys(case["text"]) if key.split(":")[0] in {k for k, _ in IOC_KINDS.values()}}
    assert found == expected
    assert f"btc:{NOT_BITCOIN}" not in found


RECONTRACK = yaml.safe_load((PEERS / "recontrack" / "cases.yaml").read_text(encoding="utf-8"))


def test_recontrack_case() -> None:
    (case,) = RECONTRACK
    assert case["recontrack_codes"] == ["UA-12345678-1", "123456789012345"]
    assert _keys(case["html"]) == {"ua:UA-12345678-1", "fb_pixel:123456789012345"}
