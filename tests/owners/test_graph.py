"""Modules emit entities: the case's platform and infra findings in the graph, idempotently."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.owners import edges, entity, resolved
from unmask.core.case import Case
from unmask.core.store.models import Capture, Platform
from unmask.owners.emit import emit, emit_case
from unmask.owners.query import AmbiguousId, UnknownId
from unmask.owners.show import show
from unmask.owners.specs import EdgeSpec, NodeSpec, Ref
from unmask.owners.writer import GraphWriter


def _seed(case: Case) -> int:
    from unmask.infra.tables import InfraObservation

    seen = dt.datetime(2026, 11, 1, 12, 0)
    with case.store.session() as session:
        session.add(Platform(base_url="https://tube.invented.example/", name="Invented Tube"))
        capture = Capture(url="https://tube.invented.example/", purpose="infra", status=200)
        session.add(capture)
        session.flush()
        for subject, kind, value in [
            ("tube.invented.example", "dns.a", "104.16.132.229"),
            ("tube.invented.example", "dns.a", "185.178.208.10"),
            ("cdn.tube.invented.example", "dns.a", "185.178.208.10"),
            ("104.16.132.229", "net.asn_name", "CLOUDFLARENET"),
            ("185.178.208.10", "net.asn_name", "Ddos-guard Ltd"),
            ("185.178.208.10", "net.asn", "AS57724"),
            ("tube.invented.example", "masking", "cloudflare"),
            ("tube.invented.example", "net.country", "US"),
        ]:
            session.add(
                InfraObservation(
                    domain="tube.invented.example",
                    subject=subject,
                    kind=kind,
                    value=value,
                    value_key=value[:40],
                    source="test",
                    origin="scan",
                    first_seen=seen,
                    last_seen=seen,
                    capture_id=capture.id,
                )
            )
        return int(capture.id)


def test_platform_and_infra_nodes(case: Case) -> None:
    capture_id = _seed(case)
    new_entities, new_edges = emit_case(case.store)
    assert entity(case, "https://tube.invented.example/").schema == "Platform"
    assert entity(case, "tube.invented.example").schema == "Domain"
    assert entity(case, "cdn.tube.invented.example").schema == "Domain"
    ip = entity(case, "185.178.208.10")
    assert ip.schema == "IPAddress" and ip.capture_id == capture_id
    assert entity(case, "Ddos-guard Ltd").schema == "Hoster"
    assert entity(case, "AS57724").schema == "ASN"
    links = {(e["src"], e["dst"], e["role"]) for e in edges(case, kind="platform")}
    assert ("https://tube.invented.example/", "tube.invented.example", "served_from") in links
    assert ("tube.invented.example", "185.178.208.10", "resolves_to") in links
    assert ("tube.invented.example", "cdn.tube.invented.example", "subdomain") in links
    assert ("185.178.208.10", "AS57724", "announced_by") in links
    assert ("104.16.132.229", "CLOUDFLARENET", "hosted_by") in links
    assert ("tube.invented.example", "cloudflare", "masked_by") in links
    resolves = edges(case, role="resolves_to")
    assert all(e["capture_id"] == capture_id for e in resolves)
    # idempotent: a second emission adds nothing
    assert (new_entities, new_edges) != (0, 0)
    assert emit_case(case.store) == (0, 0)
    # show: neighbours by kind with their sources
    info = show(case, "tube.invented.example")
    assert info["id"] == "tube.invented.example" and info["key"].startswith("#")
    roles = {n["role"] for n in info["neighbours"]["platform"]}
    assert {"served_from", "resolves_to", "masked_by"} <= roles


def test_emit_specs_and_resolve_ids(case: Case) -> None:
    emit(
        case.store,
        [
            NodeSpec("App", "com.invented.viewer", "Invented Viewer", {}, [("app", "com.invented.viewer")]),
            NodeSpec("Account", "dev-4242", "Invented Dev Studio"),
            EdgeSpec("platform", Ref("dev-4242"), Ref("com.invented.viewer"), role="developer_of"),
        ],
    )
    app = resolved(case, "com.invented.viewer")
    assert resolved(case, f"#{app.id}").id == app.id
    assert resolved(case, "app:com.invented.viewer").id == app.id
    with pytest.raises(UnknownId):
        resolved(case, "nothing-here")
    # the same source ID in two imports (no merge yet): ambiguous, candidates listed
    with case.store.engine.begin() as conn:
        writer = GraphWriter(conn)
        writer.entity("Company", "dev-4242", "Another Invented Dev")
        writer.finish()
    with pytest.raises(AmbiguousId, match="#"):
        resolved(case, "dev-4242")


def test_writer_upserts_within_an_import(case: Case) -> None:
    with case.store.engine.begin() as conn:
        writer = GraphWriter(conn, batch=2)
        writer.edge("ownership", Ref("p1"), Ref("c1"), 40, 40, source_id="r1", supersedes=True, line=3)
        first = writer.entity(
            "Company", "c1", "Invented One Ltd", {"jurisdiction": ["gb"]}, [("lei", "X" * 20)]
        )
        again = writer.node(
            NodeSpec("Company", "c1-other-id", None, {"country": ["gb"]}, [("lei", "X" * 20)])
        )
        assert again == first  # the same LEI within the import: the same entity, described further
        writer.entity("Person", "p1", "Ina Invented")
        writer.edge("ownership", Ref("p1"), Ref("c1"), 45, 45, source_id="r1", supersedes=True, line=9)
        writer.edge("control", Ref("Y" * 20, "lei", stub="LegalEntity"), Ref("c1-other-id"), line=12)
        assert writer.finish() == []
    rows = {(e["share_min"], e["replaced"]) for e in edges(case, kind="ownership")}
    assert rows == {(40, True), (45, False)}  # the newer statement of record r1 replaced the older
    company = entity(case, "c1")
    assert company.properties is not None and "country" in company.properties
    stub = entity(case, "Y" * 20)
    assert stub.line == 12 and "stub" in (stub.properties or "")
