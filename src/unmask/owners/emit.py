"""Case findings into the graph: the platform, its domains, addresses, networks and hosters.

:func:`emit` is the idempotent writer of case findings: an entity is found again by (schema, source
ID), an edge by (kind, ends, role), and seen again only its ``last_seen`` moves.
:func:`emit_case` turns the case's ``platform`` rows and the infra stage's ``infra_observation`` rows
into Platform → Domain → IPAddress → ASN/Hoster records.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from typing import Any

from sqlalchemy import Connection, delete, insert, inspect, select, text, update

from unmask.core.store.db import Store
from unmask.core.store.models import Platform, utcnow
from unmask.owners.query import ADDRESS, EDGE, ENTITY, IDENT, IMPORT, bump_graph_version
from unmask.owners.specs import EdgeSpec, NodeSpec, Ref, address_key, dumps, loads, merge_properties
from unmask.owners.tables import OwnerEdge, OwnerEntity


def emit(store: Store, records: Iterable[NodeSpec | EdgeSpec], *, label: str = "case") -> tuple[int, int]:
    """Write case findings idempotently: an entity is found again by (schema, source ID), an edge by
    (kind, ends, role); seen again, only ``last_seen`` (and a missing capture) is updated.

    Edge ends are :class:`Ref` to source IDs of entities emitted before them (or internal keys).
    Returns (new entities, new edges). Records land in one ``owner_import`` row of format ``case``.
    """
    new_entities = new_edges = 0
    changed = False
    with store.engine.begin() as conn:
        now = utcnow()
        imp = conn.execute(
            insert(IMPORT).values(path=label, format="case", started_at=now, status="ok")
        ).inserted_primary_key
        import_id = int(imp[0]) if imp else None
        ids: dict[tuple[str, str], int] = {}
        by_source: dict[str, int] = {}
        for rec in records:
            if isinstance(rec, NodeSpec):
                eid, created, described = _emit_node(conn, rec, import_id, now)
                ids[(rec.schema, rec.source_id)] = eid
                by_source[rec.source_id] = eid
                new_entities += created
                changed = changed or described
            else:
                src = rec.src if isinstance(rec.src, int) else by_source.get(rec.src.value)
                dst = rec.dst if isinstance(rec.dst, int) else by_source.get(rec.dst.value)
                if src is None or dst is None:
                    raise ValueError(f"emitted edge {rec.kind} names an entity not emitted before it")
                new_edges += _emit_edge(conn, rec, src, dst, import_id, now)
        if new_entities or new_edges:
            conn.execute(
                update(IMPORT)
                .where(IMPORT.c.id == import_id)
                .values(finished_at=utcnow(), entities=new_entities, edges=new_edges)
            )
        else:  # nothing new: no import row to show for it
            conn.execute(delete(IMPORT).where(IMPORT.c.id == import_id))
        if new_entities or new_edges or changed:
            bump_graph_version(conn)
    return new_entities, new_edges


def _emit_node(
    conn: Connection, spec: NodeSpec, import_id: int | None, now: dt.datetime
) -> tuple[int, int, bool]:
    """(internal id, 1 if new else 0, whether an entity seen before got new properties)."""
    row = conn.execute(
        select(OwnerEntity.id, OwnerEntity.capture_id, OwnerEntity.properties)
        .where(OwnerEntity.schema == spec.schema, OwnerEntity.source_id == spec.source_id)
        .order_by(OwnerEntity.id)
        .limit(1)
    ).first()
    seen = spec.last_seen or now
    if row is not None:
        old = loads(row.properties)
        props = merge_properties(old, spec.properties)
        _index_addresses(conn, int(row.id), props, old)
        conn.execute(
            update(ENTITY)
            .where(ENTITY.c.id == row.id)
            .values(
                last_seen=seen,
                name=spec.name,
                properties=dumps(props),
                capture_id=row.capture_id or spec.capture_id,
            )
        )
        return int(row.id), 0, props != old
    result = conn.execute(
        insert(ENTITY).values(
            source_id=spec.source_id,
            schema=spec.schema,
            name=spec.name,
            properties=dumps(spec.properties),
            topmark=spec.topmark,
            first_seen=spec.first_seen or seen,
            last_seen=seen,
            import_id=import_id,
            capture_id=spec.capture_id,
            line=spec.line,
            replaced=spec.replaced,
        )
    )
    eid = int(result.inserted_primary_key[0])  # type: ignore[index]
    for scheme, value in spec.identifiers:
        conn.execute(insert(IDENT).values(entity_id=eid, scheme=scheme, value=value))
    _index_addresses(conn, eid, spec.properties, {})
    return eid, 1, False


def _index_addresses(conn: Connection, eid: int, props: dict[str, Any], old: dict[str, Any]) -> None:
    """``owner_address`` rows for the addresses an entity gives and did not give before."""
    before = {address_key(str(v)) for v in old.get("address", []) if str(v).strip()}
    for key in {address_key(str(v)) for v in props.get("address", []) if str(v).strip()} - before:
        conn.execute(insert(ADDRESS).values(entity_id=eid, key=key))


def _emit_edge(
    conn: Connection, spec: EdgeSpec, src: int, dst: int, import_id: int | None, now: dt.datetime
) -> int:
    role_match = OwnerEdge.role.is_(None) if spec.role is None else OwnerEdge.role == spec.role
    row = conn.execute(
        select(OwnerEdge.id, OwnerEdge.capture_id)
        .where(OwnerEdge.kind == spec.kind, OwnerEdge.src_id == src, OwnerEdge.dst_id == dst, role_match)
        .limit(1)
    ).first()
    seen = spec.last_seen or now
    if row is not None:
        conn.execute(
            update(EDGE)
            .where(EDGE.c.id == row.id)
            .values(last_seen=seen, capture_id=row.capture_id or spec.capture_id)
        )
        return 0
    conn.execute(insert(EDGE).values(**spec.row(src, dst, import_id, seen)))
    return 1


INFRA_NODES: dict[str, tuple[str, str]] = {
    # observation kind → (node schema of the value, role of the edge subject → value)
    "dns.a": ("IPAddress", "resolves_to"),
    "dns.aaaa": ("IPAddress", "resolves_to"),
    "net.asn": ("ASN", "announced_by"),
    "net.asn_name": ("Hoster", "hosted_by"),
    "masking": ("Hoster", "masked_by"),
}


def platform_nodes(store: Store) -> Iterator[NodeSpec | EdgeSpec]:
    """The case's platforms and, when the infra stage has observed them, their domains, addresses,
    networks and hosters, as graph records (Platform → Domain → IPAddress → ASN/Hoster)."""
    from urllib.parse import urlsplit

    with store.engine.connect() as conn:
        platforms = conn.execute(
            select(Platform.id, Platform.base_url, Platform.name, Platform.created_at)
        ).all()
        observations: list[Any] = []
        if inspect(conn).has_table("infra_observation"):
            observations = list(
                conn.execute(
                    text(
                        "SELECT domain, subject, kind, value, first_seen, last_seen, capture_id "
                        "FROM infra_observation ORDER BY id"
                    )
                )
            )
    domains: set[str] = set()
    for platform in platforms:
        host = (urlsplit(platform.base_url).hostname or platform.base_url).lower()
        yield NodeSpec(
            "Platform",
            platform.base_url,
            platform.name,
            {"website": [platform.base_url]},
            [("url", platform.base_url)],
            first_seen=platform.created_at,
        )
        if host not in domains:
            domains.add(host)
            yield NodeSpec("Domain", host, host, {}, [("domain", host)], first_seen=platform.created_at)
        yield EdgeSpec("platform", Ref(platform.base_url), Ref(host), role="served_from")
    emitted: set[tuple[str, str]] = set()
    for obs in observations:
        mapping = INFRA_NODES.get(obs.kind)
        if mapping is None or not obs.value:
            continue
        schema, role = mapping
        subject = str(obs.subject or obs.domain).lower()
        for name in {str(obs.domain).lower(), subject}:
            if name and name not in domains and not _looks_like_ip(name):
                domains.add(name)
                yield NodeSpec("Domain", name, name, {}, [("domain", name)], capture_id=obs.capture_id)
        if str(obs.domain).lower() != subject and not _looks_like_ip(subject):
            yield EdgeSpec("platform", Ref(str(obs.domain).lower()), Ref(subject), role="subdomain")
        value = str(obs.value)
        if (schema, value) not in emitted:
            emitted.add((schema, value))
            scheme = {"IPAddress": "ip", "ASN": "asn"}.get(schema)
            yield NodeSpec(
                schema,
                value,
                value,
                {},
                [(scheme, value)] if scheme else [],
                capture_id=obs.capture_id,
                first_seen=_as_datetime(obs.first_seen),
                last_seen=_as_datetime(obs.last_seen),
            )
        if subject not in domains and _looks_like_ip(subject) and ("IPAddress", subject) not in emitted:
            emitted.add(("IPAddress", subject))
            yield NodeSpec("IPAddress", subject, subject, {}, [("ip", subject)], capture_id=obs.capture_id)
        yield EdgeSpec(
            "platform",
            Ref(subject),
            Ref(value),
            role=role,
            capture_id=obs.capture_id,
            first_seen=_as_datetime(obs.first_seen),
            last_seen=_as_datetime(obs.last_seen),
        )


def _as_datetime(value: Any) -> dt.datetime | None:
    """A timestamp read with plain SQL (a string on SQLite)."""
    if value is None or isinstance(value, dt.datetime):
        return value
    return dt.datetime.fromisoformat(str(value))


def _looks_like_ip(value: str) -> bool:
    import ipaddress

    try:
        ipaddress.ip_address(value)
    except ValueError:
        return False
    return True


def emit_case(store: Store) -> tuple[int, int]:
    """Bring the case's platform and infrastructure findings into the graph (idempotent)."""
    return emit(store, platform_nodes(store), label="case:platform")
