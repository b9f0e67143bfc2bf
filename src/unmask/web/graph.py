"""The entity graph explorer: search, expand neighbours, the selected entity's effective ownership, paths
between two entities, each edge's source; drawn by static/graph.js (SVG, text only).

Every answer comes from the owners stage's public queries, as `unmask owners show`, `owners ultimate` and
`owners path` give them (``owners.show.show``, ``owners.ultimate.ultimate``, ``owners.paths.path_query``),
with persons shown as every CLI output shows them (``shown``). Nodes are keyed by the store's internal id
(``#N``), so no name travels in an address.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from unmask.core.errors import UnmaskError
from unmask.report.graph import share_label
from unmask.web.cases import OpenCase

if TYPE_CHECKING:
    from unmask.web.views import Pages

MAX_REF = 300
"""Longest ID, identifier or name taken from an address."""


def edge_source(src: dict[str, Any]) -> str:
    """Where an edge comes from, as one line: the import file and line, the capture, or the case."""
    if src.get("file"):
        where = f"{src['file']}:{src['line']}" if src.get("line") is not None else str(src["file"])
    elif src.get("url"):
        where = str(src["url"])
    elif src.get("capture_id") is not None:
        where = f"capture {src['capture_id']}"
    else:
        where = "case"
    record = src.get("source_id") or src.get("record_id")
    return f"{where} · {record}" if record else where


def _node(key: str, source_id: Any, name: Any, schema: Any) -> dict[str, Any]:
    return {"key": key, "id": source_id, "name": name or source_id, "schema": schema}


def neighbourhood(opened: OpenCase, ref: str) -> dict[str, Any]:
    """The entity ``ref`` names, its neighbours (nodes) and the links to them (edges), each edge with its
    kind, role, share, dates and source."""
    from unmask.owners.privacy import shown
    from unmask.owners.show import show

    info = shown(show(opened.case, ref, note=None), opened.policy())
    me = info["key"]
    nodes = [_node(me, info["id"], info["name"], info["schema"])]
    edges = []
    for kind, links in info["neighbours"].items():
        for e in links:
            nodes.append(_node(e["key"], e["id"], e["name"], e["schema"]))
            src, dst = (me, e["key"]) if e["direction"] == "out" else (e["key"], me)
            edges.append(
                {
                    "key": f"e{e['source']['edge_key']}",
                    "from": src,
                    "to": dst,
                    "kind": kind,
                    "role": e["role"] or "",
                    "share": share_label(e["share_min"], e["share_max"]),
                    "dates": " – ".join(str(d) for d in (e["start_date"], e["end_date"]) if d),
                    "history": bool(e["replaced"]),
                    "source": edge_source(e["source"]),
                }
            )
    return {"key": me, "nodes": nodes, "edges": edges}


def ownership(opened: OpenCase, ref: str) -> dict[str, Any]:
    """The effective ownership today of the entity ``ref`` names (`owners ultimate`)."""
    from unmask.owners.privacy import shown
    from unmask.owners.ultimate import ultimate

    found = shown(ultimate(opened.case, ref, note=None), opened.policy())
    return {
        "key": f"#{found['internal_id']}",
        "name": found["name"],
        "is_top": found["is_top"],
        "top_reason": found["top_reason"],
        "owners": [
            {
                "key": f"#{o['internal_id']}",
                "name": o["name"] or o["id"],
                "share": f"{o['percent']:.2f} %"
                if o["exact"]
                else f"{o['percent_low']:.2f}–{o['percent_high']:.2f} %",
                "top": o["top"],
                "flags": ", ".join(str(f) for f in o["flags"]),
            }
            for o in found["owners"][:200]
        ],
        "more": max(0, len(found["owners"]) - 200),
    }


def paths(opened: OpenCase, ref_a: str, ref_b: str) -> dict[str, Any]:
    """The shortest chains of links between two entities (`owners path`), nodes and edges keyed as in
    :func:`neighbourhood` so the drawing can add and mark them."""
    from unmask.owners.paths import path_query
    from unmask.owners.privacy import shown

    found = shown(path_query(opened.case, ref_a, ref_b, k=5, max_hops=8, note=None), opened.policy())
    out = []
    for p in found["paths"]:
        nodes = [_node(f"#{n['internal_id']}", n["id"], n["name"], n["schema"]) for n in p["nodes"]]
        edges = []
        for k, hop in enumerate(p["hops"]):
            a, b = nodes[k]["key"], nodes[k + 1]["key"]
            for e in hop["edges"]:
                src, dst = (a, b) if e["direction"] == "forward" else (b, a)
                edges.append(
                    {
                        "key": f"e{e['edge_id']}",
                        "from": src,
                        "to": dst,
                        "kind": e["kind"],
                        "role": e["role"] or "",
                        "share": share_label(e["share_min"], e["share_max"]),
                        "dates": " – ".join(str(d) for d in (e["start_date"], e["end_date"]) if d),
                        "history": False,
                        "source": edge_source(e["source"]),
                    }
                )
        out.append({"length": p["length"], "nodes": nodes, "edges": edges})
    return {"paths": out}


class GraphPages:
    def __init__(self, pages: Pages) -> None:
        self.pages = pages

    def page(self, request: Request) -> Response:
        """The explorer; ``?q=`` starts it from the entity the query names."""
        from unmask.owners import query
        from unmask.owners.index import reading
        from unmask.owners.privacy import shown

        pages = self.pages
        opened = pages.open(request)
        text = request.query_params.get("q", "").strip()[:MAX_REF]
        start = message = None
        if text:
            try:
                with reading(opened.case.store, opened.case.root, None) as (conn, index):
                    found = shown([query.resolve(conn, text, index).brief()], opened.policy())[0]
                start = f"#{found['internal_id']}"
            except UnmaskError as exc:
                message = opened.policy().redact(str(exc))
        return pages.render(request, "graph.html", case=opened, q=text, start=start, message=message)

    def _answer(self, request: Request, compute: Any) -> Response:
        opened = self.pages.open(request)
        try:
            return JSONResponse(compute(opened))
        except UnmaskError as exc:
            return JSONResponse({"error": opened.policy().redact(str(exc))}, status_code=404)

    def node(self, request: Request) -> Response:
        ref = request.query_params.get("id", "").strip()[:MAX_REF]
        return self._answer(request, lambda opened: neighbourhood(opened, ref))

    def owners(self, request: Request) -> Response:
        ref = request.query_params.get("id", "").strip()[:MAX_REF]
        return self._answer(request, lambda opened: ownership(opened, ref))

    def path(self, request: Request) -> Response:
        a = request.query_params.get("a", "").strip()[:MAX_REF]
        b = request.query_params.get("b", "").strip()[:MAX_REF]
        return self._answer(request, lambda opened: paths(opened, a, b))
