"""Exports of the case's entity graph: FtM JSON lines (Aleph), GEXF 1.3 (Gephi), Cypher (Neo4j), CSV.

What is exported: every current entity (merged entities folded into their canonical entity, records
closed or replaced left out) and every edge that was not replaced, ended ones included with their
dates, each with its provenance (import file and line or evidence capture, source record ID).
Entities and edges are streamed from the store and written as they are read.

Entity keys: an entity's ``id`` in the export is its source ID (FtM id, LEI, BODS recordId, domain…),
or ``SOURCEID-<internal key>`` when several entities of the case share that source ID.

Privacy (the case's policy, ``unmask.core.privacy``, role ``OWNER``): persons who appear in registers
and imports as owners, officers or company contacts are named, as in the report and ``owners
ultimate``, unless the same person is also a depicted person of the case who is not on the
investigator's public-figure list. Such a person is exported as the pseudonym every other output
shows (name ``Person-xxxxxxxx``), keyed by an HMAC of the source ID, with no other property, no
identifier, and without the source record IDs of its links (file and line stay). Companies and other
organisations are never pseudonymised.

FtM ids: an entity's key is its FtM id when FollowTheMoney accepts it as one (letters, digits, ``.``
and ``-``); any other key (a URL, a registry number with ``/``) becomes a readable slug with a hash of
the key (:func:`ftm_id`), the same in nodes and in the links that point at them. CSV goes through the
product's one writer (``unmask.core.output.CsvWriter``).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from sqlalchemy import Connection

from unmask.core.case import Case
from unmask.core.errors import UnmaskError
from unmask.core.output import CsvWriter, atomic_write, export_formats, in_case, output_target
from unmask.core.privacy import PrivacyPolicy, Role, pseudonym
from unmask.core.text import iso_day
from unmask.owners import query

FORMATS = tuple(export_formats("graph"))

FTM_NODE_SCHEMA: dict[str, str] = {
    "Platform": "Organization",
    "Hoster": "Company",
    "ASN": "Organization",
    "Domain": "Asset",
    "IPAddress": "Asset",
    "App": "Asset",
    "Account": "UserAccount",
    "Certificate": "Asset",
}
"""Platform-side node types → the closest FtM schema (the type is kept in ``keywords``)."""
FTM_EDGE: dict[str, tuple[str, str, str]] = {
    "ownership": ("Ownership", "owner", "asset"),
    "unknown_interest": ("Ownership", "owner", "asset"),
    "control": ("Control", "controller", "controlled"),
    "directorship": ("Directorship", "director", "organization"),
    "nominee": ("Representation", "agent", "client"),
    "representation": ("Representation", "agent", "client"),
    "family": ("Family", "person", "relative"),
}
"""Edge kinds → FtM interval schema and its two ends; anything else is an ``UnknownLink``."""
CYPHER_BATCH = 500
FTM_ID = re.compile(r"^[0-9a-zA-Z]([0-9a-zA-Z.-]*[0-9a-zA-Z])?$")
"""What FollowTheMoney accepts as an entity id (followthemoney.types.EntityType.REGEX)."""
FTM_ID_MAX = 128


@dataclass(frozen=True)
class ExportResult:
    format: str
    path: Path
    nodes: int
    edges: int
    pseudonymized: int
    extra_files: tuple[Path, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        return {
            "format": self.format,
            "path": str(self.path),
            "nodes": self.nodes,
            "edges": self.edges,
            "pseudonymized": self.pseudonymized,
            "files": [str(self.path), *map(str, self.extra_files)],
        }


@dataclass(frozen=True)
class Node:
    internal_id: int
    key: str
    source_id: str
    schema: str
    name: str
    topmark: str | None
    properties: dict[str, list[Any]]
    pseudonymized: bool
    file: str | None
    line: int | None
    capture_id: int | None


@dataclass(frozen=True)
class Edge:
    id: int
    kind: str
    role: str | None
    src: str
    dst: str
    src_schema: str
    dst_schema: str
    share_min: float | None
    share_max: float | None
    voting_min: float | None
    voting_max: float | None
    direct: bool | None
    component: bool
    start_date: str | None
    end_date: str | None
    record_id: str | None
    file: str | None
    line: int | None
    capture_id: int | None

    def attributes(self) -> dict[str, Any]:
        """What GEXF and Cypher carry on a link: its role, share bounds, dates and source."""
        return {
            "role": self.role,
            "share_min": self.share_min,
            "share_max": self.share_max,
            "start_date": self.start_date,
            "end_date": self.end_date,
            "record_id": self.record_id,
            "file": self.file,
            "line": self.line,
        }


def ftm_id(key: str) -> str:
    """The key as a valid FtM entity id: itself when valid, else a slug of it and 12 hex digits of its
    hash."""
    if len(key) <= FTM_ID_MAX and FTM_ID.match(key):
        return key
    slug = re.sub(r"[^0-9a-zA-Z]+", "-", key).strip("-")[:80].strip("-")
    digest = hashlib.sha256(key.encode("utf-8")).hexdigest()[:12]
    return f"{slug}-{digest}" if slug else f"unmask-{digest}"


class GraphReader:
    """Streams the exportable graph of a case, applying keys and the pseudonym rule."""

    def __init__(self, conn: Connection, *, policy: PrivacyPolicy) -> None:
        self.conn = conn
        self.policy = policy
        self.secret = policy.secret
        self.duplicates = query.duplicate_source_ids(conn)
        self.hidden_persons: set[int] = set()
        if policy.hidden:
            self.hidden_persons = {
                i for i, name in query.person_names(conn) if policy.is_hidden(name, Role.OWNER)
            }
        self.files = query.all_import_paths(conn)
        # merges (few): every merged entity → its canonical entity (chains followed) and that one's ids
        merges = query.Merges(conn)
        self.canonical: dict[int, int] = dict(merges.items())
        self.canon_info: dict[int, tuple[str, str]] = {
            i: (row.source_id, row.schema)
            for i, row in query.entities(conn, set(self.canonical.values())).items()
        }

    def end(self, internal_id: int, source_id: str, schema: str) -> tuple[int, str, str]:
        """An edge end as its canonical entity: (internal id, source id, schema)."""
        c = self.canonical.get(internal_id)
        if c is None or c not in self.canon_info:
            return internal_id, source_id, schema
        return c, *self.canon_info[c]

    def hidden(self, internal_id: int, schema: str) -> bool:
        return schema == "Person" and internal_id in self.hidden_persons

    def key(self, internal_id: int, source_id: str, schema: str) -> str:
        if self.hidden(internal_id, schema):
            return pseudonym(f"id:{source_id}", self.secret)
        if source_id in self.duplicates:
            return f"{source_id}-{internal_id}"
        return source_id

    def nodes(self) -> Iterator[Node]:
        for r in query.stream_entities(self.conn):
            iid, source_id, schema = r.id, r.source_id, r.schema
            hidden = self.hidden(iid, schema)
            name = r.name or source_id
            yield Node(
                internal_id=iid,
                key=self.key(iid, source_id, schema),
                source_id=self.key(iid, source_id, schema) if hidden else source_id,
                schema=schema,
                name=pseudonym(name, self.secret) if hidden else name,
                topmark=r.topmark,
                properties={} if hidden else r.properties,
                pseudonymized=hidden,
                file=self.files.get(r.import_id) if r.import_id is not None else None,
                line=r.line,
                capture_id=r.capture_id,
            )

    def edges(self) -> Iterator[Edge]:
        for x in query.stream_edges(self.conn):
            r = x.row
            ai, asid, aschema = self.end(r.src, x.src_source_id, x.src_schema)
            bi, bsid, bschema = self.end(r.dst, x.dst_source_id, x.dst_schema)
            private = self.hidden(ai, aschema) or self.hidden(bi, bschema)
            yield Edge(
                id=r.id,
                kind=r.kind,
                role=r.role,
                src=self.key(ai, asid, aschema),
                dst=self.key(bi, bsid, bschema),
                src_schema=aschema,
                dst_schema=bschema,
                share_min=r.share_min,
                share_max=r.share_max,
                voting_min=r.voting_min,
                voting_max=r.voting_max,
                direct=r.direct,
                component=r.component,
                start_date=iso_day(r.start_date),
                end_date=iso_day(r.end_date),
                record_id=None if private else r.source_id,  # a record ID may spell the person's name
                file=self.files.get(r.import_id) if r.import_id is not None else None,
                line=r.line,
                capture_id=r.capture_id,
            )


# -- FtM -------------------------------------------------------------------------------------------


def _percentage(lo: float | None, hi: float | None) -> str | None:
    if lo is None and hi is None:
        return None
    if lo is not None and hi is not None and lo == hi:
        return f"{lo:g}"
    return f"{'' if lo is None else f'{lo:g}'}-{'' if hi is None else f'{hi:g}'}"


def ftm_node(node: Node) -> dict[str, Any]:
    from followthemoney import model

    schema_name = FTM_NODE_SCHEMA.get(node.schema, node.schema)
    schema = model.get(schema_name)
    if schema is None or schema.abstract:
        schema = model.get("LegalEntity")
    assert schema is not None
    proxy = model.make_entity(schema)
    proxy.id = ftm_id(node.key)
    proxy.add("name", node.name, quiet=True)
    if not node.pseudonymized:
        for prop, values in node.properties.items():
            p = schema.get(prop)
            if p is None or p.stub or p.type.name == "entity":
                continue
            proxy.add(prop, [str(v) for v in values if v is not None], quiet=True, cleaned=False)
        if node.schema != schema.name:
            proxy.add("keywords", node.schema, quiet=True)
        if node.topmark:
            proxy.add("keywords", f"top:{node.topmark}", quiet=True)
        if node.schema == "Domain" and "website" not in node.properties:
            proxy.add("notes", f"domain {node.source_id}", quiet=True)
    return proxy.to_dict()


def ftm_edge(edge: Edge) -> dict[str, Any]:
    from followthemoney import model

    schema_name, a, b = FTM_EDGE.get(edge.kind, ("UnknownLink", "subject", "object"))
    if schema_name == "Family" and not (edge.src_schema == edge.dst_schema == "Person"):
        schema_name, a, b = "UnknownLink", "subject", "object"
    proxy = model.make_entity(schema_name)
    proxy.id = f"unmask-edge-{edge.id}"
    proxy.add(a, ftm_id(edge.src))
    proxy.add(b, ftm_id(edge.dst))
    role = edge.role or (edge.kind if schema_name == "UnknownLink" else None)
    proxy.add("role", role, quiet=True)
    if schema_name == "Ownership":
        proxy.add("percentage", _percentage(edge.share_min, edge.share_max), quiet=True)
    proxy.add("startDate", edge.start_date, quiet=True)
    proxy.add("endDate", edge.end_date, quiet=True)
    proxy.add("recordId", edge.record_id, quiet=True)
    where = edge.file or (f"capture {edge.capture_id}" if edge.capture_id is not None else None)
    if where:
        proxy.add(
            "summary", f"source: {where}" + (f":{edge.line}" if edge.line is not None else ""), quiet=True
        )
    return proxy.to_dict()


def write_ftm(reader: GraphReader, fh: IO[str]) -> tuple[int, int, int]:
    nodes = edges = hidden = 0
    for node in reader.nodes():
        fh.write(json.dumps(ftm_node(node), ensure_ascii=False, sort_keys=True) + "\n")
        nodes += 1
        hidden += node.pseudonymized
    for edge in reader.edges():
        fh.write(json.dumps(ftm_edge(edge), ensure_ascii=False, sort_keys=True) + "\n")
        edges += 1
    return nodes, edges, hidden


# -- GEXF ------------------------------------------------------------------------------------------

GEXF_NS = "http://gexf.net/1.3"
NODE_ATTRS = (
    ("schema", "string"),
    ("source_id", "string"),
    ("topmark", "string"),
    ("jurisdiction", "string"),
)
EDGE_ATTRS = (
    ("kind", "string"),
    ("role", "string"),
    ("share_min", "double"),
    ("share_max", "double"),
    ("start_date", "string"),
    ("end_date", "string"),
    ("record_id", "string"),
    ("file", "string"),
    ("line", "integer"),
)


def _attvalues(values: dict[str, Any]) -> Any:
    from lxml import etree

    el = etree.Element("attvalues")
    for key, value in values.items():
        if value is None:
            continue
        etree.SubElement(el, "attvalue", {"for": key, "value": str(value)})
    return el


def write_gexf(reader: GraphReader, path: Path) -> tuple[int, int, int]:
    from lxml import etree

    nodes = edges = hidden = 0
    with etree.xmlfile(str(path), encoding="utf-8") as xf:
        xf.write_declaration()
        with xf.element("gexf", {"xmlns": GEXF_NS, "version": "1.3"}):
            meta = etree.Element("meta", {"lastmodifieddate": dt.date.today().isoformat()})
            etree.SubElement(meta, "creator").text = "unmask"
            etree.SubElement(meta, "description").text = "entity graph of an unmask case"
            xf.write(meta)
            with xf.element("graph", {"defaultedgetype": "directed", "mode": "static"}):
                for cls, attrs in (("node", NODE_ATTRS), ("edge", EDGE_ATTRS)):
                    block = etree.Element("attributes", {"class": cls})
                    for name, kind in attrs:
                        etree.SubElement(block, "attribute", {"id": name, "title": name, "type": kind})
                    xf.write(block)
                with xf.element("nodes"):
                    for node in reader.nodes():
                        el = etree.Element("node", {"id": node.key, "label": node.name})
                        juris = (
                            node.properties.get("jurisdiction") or node.properties.get("country") or [None]
                        )[0]
                        el.append(
                            _attvalues(
                                {
                                    "schema": node.schema,
                                    "source_id": node.source_id,
                                    "topmark": node.topmark,
                                    "jurisdiction": juris,
                                }
                            )
                        )
                        xf.write(el)
                        nodes += 1
                        hidden += node.pseudonymized
                with xf.element("edges"):
                    for edge in reader.edges():
                        el = etree.Element(
                            "edge",
                            {"id": f"e{edge.id}", "source": edge.src, "target": edge.dst, "label": edge.kind},
                        )
                        el.append(_attvalues({"kind": edge.kind, **edge.attributes()}))
                        xf.write(el)
                        edges += 1
    return nodes, edges, hidden


# -- Cypher ----------------------------------------------------------------------------------------


def cypher_literal(value: Any) -> str:
    """A Cypher literal for a value: strings quoted and escaped, never pasted raw."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return "null" if not math.isfinite(value) else repr(value)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(cypher_literal(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{cypher_name(str(k))}: {cypher_literal(v)}" for k, v in value.items()) + "}"
    out = []
    for ch in str(value):
        if ch == "\\":
            out.append("\\\\")
        elif ch == "'":
            out.append("\\'")
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\r":
            out.append("\\r")
        elif ch == "\t":
            out.append("\\t")
        elif ord(ch) < 0x20 or ch in "\u2028\u2029":
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(ch)
    return "'" + "".join(out) + "'"


def cypher_name(name: str) -> str:
    """A label, relationship type or key in backticks (backticks inside doubled)."""
    return "`" + name.replace("`", "``") + "`"


class _CypherBatches:
    """Rows grouped by a label, written as one ``UNWIND`` statement per :data:`CYPHER_BATCH` rows of a
    label; ``statement`` gives what follows ``UNWIND … AS row`` for a label."""

    def __init__(self, fh: IO[str], statement: Callable[[str], str]) -> None:
        self.fh = fh
        self.statement = statement
        self.rows: dict[str, list[dict[str, Any]]] = {}

    def add(self, label: str, row: dict[str, Any]) -> None:
        batch = self.rows.setdefault(label, [])
        batch.append(row)
        if len(batch) >= CYPHER_BATCH:
            self.flush(label)

    def flush(self, label: str) -> None:
        rows = self.rows.pop(label, [])
        if rows:
            self.fh.write(f"UNWIND {cypher_literal(rows)} AS row\n" + self.statement(label))

    def close(self) -> None:
        for label in list(self.rows):
            self.flush(label)


def write_cypher(reader: GraphReader, fh: IO[str]) -> tuple[int, int, int]:
    fh.write("// unmask entity graph: run with cypher-shell -f FILE\n")
    fh.write("CREATE CONSTRAINT unmask_entity_key IF NOT EXISTS FOR (n:Entity) REQUIRE n.key IS UNIQUE;\n")
    nodes = edges = hidden = 0
    node_batches = _CypherBatches(
        fh, lambda schema: f"MERGE (n:Entity {{key: row.key}}) SET n:{cypher_name(schema)}, n += row;\n"
    )
    for node in reader.nodes():
        row: dict[str, Any] = {
            "key": node.key,
            "name": node.name,
            "schema": node.schema,
            "source_id": node.source_id,
        }
        if node.topmark:
            row["topmark"] = node.topmark
        node_batches.add(node.schema, row)
        nodes += 1
        hidden += node.pseudonymized
    node_batches.close()
    edge_batches = _CypherBatches(
        fh,
        lambda kind: (
            "MATCH (a:Entity {key: row.src}), (b:Entity {key: row.dst})\n"
            f"MERGE (a)-[r:{cypher_name(kind.upper())} {{edge_id: row.edge_id}}]->(b)"
            " SET r += row.props;\n"
        ),
    )
    for edge in reader.edges():
        props = edge.attributes()
        edge_batches.add(
            edge.kind,
            {
                "edge_id": edge.id,
                "src": edge.src,
                "dst": edge.dst,
                "props": {k: v for k, v in props.items() if v is not None},
            },
        )
        edges += 1
    edge_batches.close()
    return nodes, edges, hidden


# -- CSV -------------------------------------------------------------------------------------------

NODE_COLUMNS = (
    "key",
    "internal_id",
    "source_id",
    "schema",
    "name",
    "topmark",
    "jurisdiction",
    "pseudonymized",
)
EDGE_COLUMNS = (
    "edge_id",
    "kind",
    "role",
    "source",
    "target",
    "share_min",
    "share_max",
    "voting_min",
    "voting_max",
    "direct",
    "component",
    "start_date",
    "end_date",
    "record_id",
    "file",
    "line",
    "capture_id",
)


def nodes_path_for(path: Path) -> Path:
    return path.with_name(f"{path.stem}.nodes{path.suffix or '.csv'}")


def write_csv(reader: GraphReader, path: Path, npath: Path) -> tuple[int, int, int]:
    """The edge list to ``path`` and the node list to ``npath`` (the product's one CSV writer)."""
    nodes = edges = hidden = 0
    with npath.open("w", newline="", encoding="utf-8") as fh:
        w = CsvWriter(fh)
        w.header(NODE_COLUMNS)
        for node in reader.nodes():
            juris = (node.properties.get("jurisdiction") or node.properties.get("country") or [None])[0]
            nrow: tuple[Any, ...] = (
                node.key,
                node.internal_id,
                node.source_id,
                node.schema,
                node.name,
                node.topmark,
                juris,
                node.pseudonymized,
            )
            w.row(nrow)
            nodes += 1
            hidden += node.pseudonymized
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = CsvWriter(fh)
        w.header(EDGE_COLUMNS)
        for e in reader.edges():
            row = (
                e.id,
                e.kind,
                e.role,
                e.src,
                e.dst,
                e.share_min,
                e.share_max,
                e.voting_min,
                e.voting_max,
                e.direct,
                e.component,
                e.start_date,
                e.end_date,
                e.record_id,
                e.file,
                e.line,
                e.capture_id,
            )
            w.row(row)
            edges += 1
    return nodes, edges, hidden


# -- entry point -----------------------------------------------------------------------------------


def export_graph(
    case: Case, fmt: str, path: Path, *, real_names: bool = False, policy: PrivacyPolicy | None = None
) -> ExportResult:
    """Write the case's entity graph in ``fmt`` to ``path``: checked (never over the case's own files),
    written to a temporary file and moved into place, nothing left behind on failure."""
    if fmt not in FORMATS:
        raise UnmaskError(f"unknown format {fmt!r} (known: {', '.join(FORMATS)})", where="--format")
    path = output_target(path, case)
    final_nodes = output_target(nodes_path_for(path), case) if fmt == "csv" else None
    policy = policy or PrivacyPolicy.for_case(case, real_names=real_names)
    private = in_case(path, case)
    extra: tuple[Path, ...] = ()
    with case.store.engine.connect() as conn, atomic_write(path, private=private) as tmp:
        reader = GraphReader(conn, policy=policy)
        if fmt == "gexf":
            nodes, edges, hidden = write_gexf(reader, tmp)
        elif final_nodes is not None:
            with atomic_write(final_nodes, private=private) as ntmp:
                nodes, edges, hidden = write_csv(reader, tmp, ntmp)
            extra = (final_nodes,)
        else:
            with tmp.open("w", encoding="utf-8") as fh:
                writer = write_ftm if fmt == "ftm" else write_cypher
                nodes, edges, hidden = writer(reader, fh)
    return ExportResult(fmt, path, nodes, edges, hidden, extra)
