"""Certificate transparency in crt.sh's JSON shape, against a real loopback server."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator

import pytest

from tests.helpers.json_server import JsonServer, Reply
from tests.infra.source_context import SourceContext
from unmask.core.case import Case
from unmask.core.domains import normalize_host
from unmask.core.fetch.client import Fetcher
from unmask.core.fetch.scope import Scope
from unmask.infra.base import Failure, Observation
from unmask.infra.ct import (
    CertificateTransparency,
    CtError,
    CtOptions,
    hostnames,
    parse_crtsh,
    search_url,
)

ENTRIES = [
    {
        "issuer_ca_id": 183267,
        "issuer_name": "C=US, O=Let's Encrypt, CN=R3",
        "common_name": "invented-tube.test",
        "name_value": "invented-tube.test\n*.invented-tube.test\nWWW.Invented-Tube.test",
        "id": 9000000001,
        "entry_timestamp": "2024-01-02T03:04:05.678",
        "not_before": "2024-01-02T02:00:00",
        "not_after": "2024-04-01T02:00:00",
        "serial_number": "03a1b2c3d4e5f6",
    },
    {
        "issuer_ca_id": 183267,
        "issuer_name": "C=US, O=Let's Encrypt, CN=R3",
        "common_name": "cdn.invented-tube.test",
        "name_value": "cdn.invented-tube.test\nmirror.invented-tube.test\nsister-site.test\n"
        "bücher.invented-tube.test",
        "id": 9000000002,
        "not_before": "2024-03-01T00:00:00",
        "not_after": "2024-05-30T00:00:00",
        "serial_number": "04ffee",
    },
    {
        "issuer_name": "C=GB, O=Sectigo Limited, CN=Sectigo RSA Domain Validation Secure Server CA",
        "common_name": "www.invented-tube.test",
        "name_value": "www.invented-tube.test\nnot a host name!\n",
        "id": 9000000003,
        "not_before": "2023-06-01T00:00:00",
        "not_after": "2024-06-01T00:00:00",
    },
]


def test_normalise_hostname() -> None:
    assert normalize_host("*.Invented-Tube.TEST.", wildcard=True) == "invented-tube.test"
    assert normalize_host("bücher.invented.test") == "xn--bcher-kva.invented.test"
    assert normalize_host("not a host") is None
    assert normalize_host("") is None


def test_parse_and_group() -> None:
    entries = parse_crtsh(json.dumps(ENTRIES).encode())
    hosts = {h.hostname: h for h in hostnames(entries)}
    assert list(hosts) == [
        "invented-tube.test",
        "www.invented-tube.test",
        "cdn.invented-tube.test",
        "mirror.invented-tube.test",
        "sister-site.test",
        "xn--bcher-kva.invented-tube.test",
    ]
    www = hosts["www.invented-tube.test"]
    assert www.certificates == 2 and www.crt_ids == [9000000001, 9000000003]
    assert www.first_not_before == "2023-06-01T00:00:00" and www.last_not_after == "2024-06-01T00:00:00"
    assert len(www.issuers) == 2
    assert len(hostnames(entries, limit=2)) == 2


@pytest.mark.parametrize(
    ("body", "error"),
    [
        (b"<html>502 Bad Gateway</html>", "malformed JSON"),
        (b'{"a": 1}', "expected a JSON list"),
        (b"[1]", "objects"),
    ],
)
def test_parse_rejects(body: bytes, error: str) -> None:
    with pytest.raises(CtError, match=error):
        parse_crtsh(body)


def test_search_url() -> None:
    assert search_url("https://crt.sh/", "x.test") == "https://crt.sh/?q=%25.x.test&output=json"
    assert (
        search_url("http://127.0.0.1:1/ct?key=1", "x.test")
        == "http://127.0.0.1:1/ct?key=1&q=%25.x.test&output=json"
    )


@pytest.fixture
def server() -> Iterator[JsonServer]:
    routes = {
        "/?q=%25.invented-tube.test&output=json": Reply(200, ENTRIES),
        "/?q=%25.empty.test&output=json": Reply(200, []),
        "/?q=%25.broken.test&output=json": Reply(200, "[{", content_type="application/json"),
        "/?q=%25.huge.test&output=json": Reply(
            200, [{"name_value": f"h{i}.huge.test", "id": i} for i in range(20000)]
        ),
        "/?q=%25.down.test&output=json": Reply(503, "busy"),
    }
    with JsonServer(routes) as srv:
        yield srv


def _run(case: Case, server: JsonServer, domain: str) -> list[Observation | Failure]:
    case.config.fetch.delay = 0.0
    case.config.fetch.retries = 0
    case.config.fetch.max_response_bytes = 200_000

    async def go() -> list[Observation | Failure]:
        async with Fetcher.for_case(case, purpose="ct", scope=Scope.for_sources([server.base])) as fetcher:
            source = CertificateTransparency(CtOptions(url=server.url("/")))
            ctx = SourceContext(domain, data_fetcher=fetcher)
            return [item async for item in source.run(ctx)]

    return asyncio.run(go())


def test_source_yields_hostnames_with_evidence(case: Case, server: JsonServer) -> None:
    items = _run(case, server, "invented-tube.test")
    names = [i.value for i in items if isinstance(i, Observation) and i.kind == "ct.hostname"]
    assert "mirror.invented-tube.test" in names and "sister-site.test" in names
    issuers = [i.value for i in items if isinstance(i, Observation) and i.kind == "ct.issuer"]
    assert issuers[0] == "C=US, O=Let's Encrypt, CN=R3" and len(issuers) == 2
    assert all(isinstance(i, Observation) and i.capture_id is not None for i in items)
    assert all(
        i.subject == "invented-tube.test" and i.source == "ct" for i in items if isinstance(i, Observation)
    )


@pytest.mark.parametrize(
    ("domain", "error"),
    [("broken.test", "ct: malformed JSON"), ("huge.test", "ct: answer too large"), ("down.test", "http 503")],
)
def test_source_failures(case: Case, server: JsonServer, domain: str, error: str) -> None:
    assert _run(case, server, domain) == [Failure("ct", domain, error)]


def test_empty_answer(case: Case, server: JsonServer) -> None:
    assert _run(case, server, "empty.test") == []


def test_special_use_names_never_go_to_the_public_log_search() -> None:
    async def go() -> list[Observation | Failure]:
        source = CertificateTransparency()  # default url (crt.sh), no fetcher at all
        return [item async for item in source.run(SourceContext("invented-tube.test"))]

    assert asyncio.run(go()) == []
