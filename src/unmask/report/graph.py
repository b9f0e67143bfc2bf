"""The report's interactive graph view: who is behind the platform, as inline SVG that works offline.

:func:`graph_section` picks the entities closest to the platform-side nodes (platform, domains, IP
addresses, apps, accounts; or, without any, the most linked entities), breadth first over every kind
of link, at most ``owners.graph_view_nodes`` of them. The layout is computed here and deterministic:
one row per link distance from the platform, each row ordered by the mean position of the entities
it hangs from. The fragment is plain SVG with ``<title>`` tooltips and CSS hover, so it reads
without scripts; a small inline script (:data:`GRAPH_SCRIPT`) adds pan (drag), zoom (wheel) and
click-to-highlight of an entity's neighbours. Every label is cleaned of invisible characters and
escaped; persons are shown by the case's privacy policy (role OWNER: named, as in `owners export` and
`owners ultimate`, unless the same person is a hidden depicted person of the case).

The report's Content-Security-Policy must allow that one script: add :func:`script_csp_source`
(``'sha256-…'``) to ``script-src``.
"""

from __future__ import annotations

import base64
import hashlib
import html
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from unmask.core.case import Case
from unmask.core.output import display_text
from unmask.core.privacy import PrivacyPolicy, Role, pseudonym
from unmask.report.i18n import Lang, language

PLATFORM_SCHEMAS = ("Platform", "Domain", "IPAddress", "App", "Account", "Hoster", "ASN")
SCHEMA_CLASS = {
    "Platform": "gv-platform",
    "Domain": "gv-platform",
    "IPAddress": "gv-platform",
    "App": "gv-platform",
    "Account": "gv-platform",
    "Hoster": "gv-infra",
    "ASN": "gv-infra",
    "Person": "gv-person",
    "Address": "gv-other",
}
KIND_CLASS = {
    "ownership": "gv-own",
    "unknown_interest": "gv-own",
    "control": "gv-ctl",
    "directorship": "gv-ctl",
    "nominee": "gv-ctl",
    "representation": "gv-ctl",
}
FILL = {"gv-platform": "#d0582f", "gv-infra": "#d09a2f", "gv-person": "#3f9b5a", "gv-other": "#999999"}
"""Node colours also as presentation attributes, for renderers without the page's CSS (PDF)."""
STROKE = {"gv-own": ("#2f6fb0", "1.8", ""), "gv-ctl": ("#b0602f", "1.2", "5 3")}
ROW_GAP = 120
COL_GAP = 170
MARGIN = 80

GRAPH_STYLE = """
.gv-wrap{border:1px solid #ccc;border-radius:4px;overflow:hidden;background:#fcfcfc}
.gv-wrap svg{width:100%;height:34rem;display:block;cursor:grab;user-select:none}
.gv-edge{stroke:#9aa;stroke-width:1.2;fill:none}
.gv-edge.gv-own{stroke:#2f6fb0;stroke-width:1.8}
.gv-edge.gv-ctl{stroke:#b0602f;stroke-dasharray:5 3}
.gv-elabel{font:10px system-ui,sans-serif;fill:#2f6fb0}
.gv-node circle{fill:#5b8fd0;stroke:#fff;stroke-width:2}
.gv-node.gv-platform circle{fill:#d0582f}
.gv-node.gv-infra circle{fill:#d09a2f}
.gv-node.gv-person circle{fill:#3f9b5a}
.gv-node.gv-other circle{fill:#999}
.gv-node.gv-top circle{stroke:#111;stroke-width:3}
.gv-node text{font:11px system-ui,sans-serif;fill:#222;text-anchor:middle}
.gv-node:hover circle{stroke:#111}
.gv-dim{opacity:.15}
.gv-legend span{display:inline-block;margin-right:1rem;font-size:.85rem}
.gv-legend i{display:inline-block;width:.8rem;height:.8rem;border-radius:50%;margin-right:.3rem;
vertical-align:middle}
"""

GRAPH_SCRIPT = """(function(){
var svg=document.getElementById('gv-svg');if(!svg)return;
var vb=svg.viewBox.baseVal,drag=null;
svg.addEventListener('wheel',function(e){e.preventDefault();var k=e.deltaY>0?1.15:1/1.15;
var r=svg.getBoundingClientRect(),px=vb.x+(e.clientX-r.left)/r.width*vb.width,
py=vb.y+(e.clientY-r.top)/r.height*vb.height;vb.x=px-(px-vb.x)*k;vb.y=py-(py-vb.y)*k;
vb.width*=k;vb.height*=k;},{passive:false});
svg.addEventListener('mousedown',function(e){drag={x:e.clientX,y:e.clientY};svg.style.cursor='grabbing';});
window.addEventListener('mouseup',function(){drag=null;svg.style.cursor='grab';});
window.addEventListener('mousemove',function(e){if(!drag)return;var r=svg.getBoundingClientRect();
vb.x-=(e.clientX-drag.x)/r.width*vb.width;vb.y-=(e.clientY-drag.y)/r.height*vb.height;
drag={x:e.clientX,y:e.clientY};});
var current=null;
function clear(){svg.querySelectorAll('.gv-dim').forEach(function(el){el.classList.remove('gv-dim');});}
svg.querySelectorAll('.gv-node').forEach(function(n){n.addEventListener('click',function(e){
e.stopPropagation();clear();if(current===n.id){current=null;return;}current=n.id;
var keep={};keep[n.id]=1;(n.getAttribute('data-nbrs')||'').split(' ').forEach(function(x){if(x)keep[x]=1;});
svg.querySelectorAll('.gv-node').forEach(function(m){if(!keep[m.id])m.classList.add('gv-dim');});
svg.querySelectorAll('.gv-edge,.gv-elabel').forEach(function(l){
if(!(l.getAttribute('data-a')===n.id||l.getAttribute('data-b')===n.id))l.classList.add('gv-dim');});});});
svg.addEventListener('click',function(){current=null;clear();});
})();"""


def script_csp_source() -> str:
    """The CSP source that allows :data:`GRAPH_SCRIPT` inline (for ``script-src``)."""
    digest = hashlib.sha256(GRAPH_SCRIPT.encode("utf-8")).digest()
    return "'sha256-" + base64.b64encode(digest).decode("ascii") + "'"


def _e(value: Any) -> str:
    return html.escape(display_text(value, lines=True), quote=True)


@dataclass(frozen=True)
class ViewNode:
    index: int
    internal_id: int
    label: str
    title: str
    schema: str
    top: bool
    row: int


@dataclass(frozen=True)
class ViewEdge:
    a: int
    b: int
    kind: str
    label: str


@dataclass
class View:
    nodes: list[ViewNode]
    edges: list[ViewEdge]
    positions: dict[int, tuple[float, float]]
    truncated: bool


def share_label(lo: float | None, hi: float | None) -> str:
    """An ownership share or range as shown ("25 %", "25–50 %", "?–50 %"); empty when unknown."""
    if lo is None and hi is None:
        return ""
    if lo == hi:
        return f"{lo:g} %"
    return f"{'?' if lo is None else f'{lo:g}'}–{'?' if hi is None else f'{hi:g}'} %"


def collect(
    case: Case, *, limit: int, real_names: bool = False, policy: PrivacyPolicy | None = None
) -> View | None:
    """The entities and links to draw (the ``limit`` closest to the platform), laid out."""
    from unmask.owners.index import ensure
    from unmask.owners.neighbourhood import around
    from unmask.owners.query import has_entities
    from unmask.owners.specs import OWNERSHIP_KINDS

    policy = policy or PrivacyPolicy.for_case(case, real_names=real_names)
    with case.store.engine.connect() as conn:
        if not has_entities(conn):  # no graph: no index to build, no view
            return None
    graph_index = ensure(case.store, case.root)
    with case.store.engine.connect() as conn:
        hood = around(conn, graph_index, PLATFORM_SCHEMAS, limit=limit)
    if hood is None:
        return None
    order, row_of, ents, truncated = hood.order, hood.row_of, hood.entities, hood.truncated

    index = {iid: k for k, iid in enumerate(order)}
    nodes = []
    for iid in order:
        ent = ents[iid]
        name = ent.name or ent.source_id
        hidden = ent.schema == "Person" and policy.is_hidden(name, Role.OWNER)
        shown = display_text(pseudonym(name, policy.secret) if hidden else name)
        key = pseudonym(f"id:{ent.source_id}", policy.secret) if hidden else ent.source_id
        top = bool(ent.topmark) or (
            iid not in hood.has_owner and ent.schema not in PLATFORM_SCHEMAS and iid in hood.owns
        )
        label = shown if len(shown) <= 28 else shown[:27] + "…"
        title = f"{shown}\n{ent.schema} · {key}" + (f"\nchain top: {ent.topmark}" if ent.topmark else "")
        nodes.append(ViewNode(index[iid], iid, label, title, ent.schema, top, row_of[iid]))
    edges: list[ViewEdge] = []
    seen: set[tuple[int, int, str]] = set()
    for e in hood.edges:
        k = (index[e.src], index[e.dst], e.kind)
        if k in seen:
            continue
        seen.add(k)
        label = share_label(e.share_min, e.share_max) if e.kind in OWNERSHIP_KINDS else (e.role or e.kind)
        edges.append(ViewEdge(k[0], k[1], e.kind, label))
    return View(nodes, edges, layout(nodes, edges), truncated)


def layout(nodes: list[ViewNode], edges: list[ViewEdge]) -> dict[int, tuple[float, float]]:
    """Rows by link distance; within a row, ordered by the mean x of linked entities in the rows above."""
    rows: dict[int, list[ViewNode]] = defaultdict(list)
    for n in nodes:
        rows[n.row].append(n)
    links: dict[int, list[int]] = defaultdict(list)
    for e in edges:
        links[e.a].append(e.b)
        links[e.b].append(e.a)
    row_of = {n.index: n.row for n in nodes}
    x_of: dict[int, float] = {}
    width = max((len(r) for r in rows.values()), default=1)
    pos: dict[int, tuple[float, float]] = {}
    for r in sorted(rows):
        members = rows[r]

        def anchor(n: ViewNode, row: int = r) -> tuple[float, int]:
            above = [x_of[m] for m in links[n.index] if row_of.get(m, row) < row and m in x_of]
            return (sum(above) / len(above) if above else float(n.index), n.index)

        members.sort(key=anchor)
        offset = (width - len(members)) / 2
        for k, n in enumerate(members):
            x = MARGIN + (offset + k) * COL_GAP
            x_of[n.index] = x
            pos[n.index] = (x, MARGIN + r * ROW_GAP)
    return pos


def render(view: View) -> str:
    xs = [p[0] for p in view.positions.values()] or [0.0]
    ys = [p[1] for p in view.positions.values()] or [0.0]
    w, h = max(xs) + MARGIN, max(ys) + MARGIN
    nbrs: dict[int, set[int]] = defaultdict(set)
    for e in view.edges:
        nbrs[e.a].add(e.b)
        nbrs[e.b].add(e.a)
    parts = [
        f'<svg id="gv-svg" viewBox="0 0 {w:.0f} {h:.0f}" role="img"'
        ' aria-label="Entity graph around the platform">',
        '<defs><marker id="gv-arrow" viewBox="0 0 10 10" refX="18" refY="5" markerWidth="7" markerHeight="7"'
        ' orient="auto-start-reverse"><path d="M0,0L10,5L0,10z" fill="#789"/></marker></defs>',
    ]
    for e in view.edges:
        (x1, y1), (x2, y2) = view.positions[e.a], view.positions[e.b]
        cls = KIND_CLASS.get(e.kind, "gv-link")
        colour, width, dash = STROKE.get(cls, ("#99aaaa", "1.2", ""))
        dashes = f' stroke-dasharray="{dash}"' if dash else ""
        parts.append(
            f'<line class="gv-edge {cls}" data-a="gvn{e.a}" data-b="gvn{e.b}" x1="{x1:.1f}" y1="{y1:.1f}"'
            f' x2="{x2:.1f}" y2="{y2:.1f}" stroke="{colour}" stroke-width="{width}"{dashes}'
            ' marker-end="url(#gv-arrow)">'
            f"<title>{_e(e.kind)}: {_e(e.label)}</title></line>"
        )
        if e.label and e.kind in ("ownership", "unknown_interest"):
            parts.append(
                f'<text class="gv-elabel" data-a="gvn{e.a}" data-b="gvn{e.b}" x="{(x1 + x2) / 2:.1f}"'
                f' y="{(y1 + y2) / 2 - 4:.1f}" font-size="10" fill="#2f6fb0">{_e(e.label)}</text>'
            )
    for n in view.nodes:
        x, y = view.positions[n.index]
        kind = SCHEMA_CLASS.get(n.schema, "gv-org")
        cls = kind + (" gv-top" if n.top else "")
        ring = ' stroke="#111111" stroke-width="3"' if n.top else ' stroke="#ffffff" stroke-width="2"'
        data = " ".join(f"gvn{m}" for m in sorted(nbrs[n.index]))
        parts.append(
            f'<g class="gv-node {cls}" id="gvn{n.index}" data-nbrs="{data}" tabindex="0">'
            f"<title>{_e(n.title)}</title>"
            f'<circle cx="{x:.1f}" cy="{y:.1f}" r="11" fill="{FILL.get(kind, "#5b8fd0")}"{ring}/>'
            f'<text x="{x:.1f}" y="{y + 26:.1f}" font-size="11" text-anchor="middle">{_e(n.label)}</text></g>'
        )
    parts.append("</svg>")
    return "".join(parts)


def graph_section(
    case: Case, *, real_names: bool = False, policy: PrivacyPolicy | None = None, lang: Lang | None = None
) -> str | None:
    """The graph view as an HTML fragment (style, SVG, script), or None when the case has no graph.
    Its legend and note are in ``lang`` (English by default)."""
    from sqlalchemy.exc import DBAPIError

    words = lang or language("en")
    try:
        view = collect(case, limit=case.config.owners.graph_view_nodes, real_names=real_names, policy=policy)
    except DBAPIError:  # a store without the owner tables: no graph to show
        return None
    if view is None or not view.nodes:
        return None
    swatches = "".join(
        f'<span><i style="background:{colour}"></i>{_e(words.t(f"graph.{key}"))}</span>'
        for key, colour in (("platform", FILL["gv-platform"]), ("hosting", FILL["gv-infra"]),
                            ("companies", "#5b8fd0"), ("persons", FILL["gv-person"]))
    )  # fmt: skip
    legend = f'<p class="gv-legend">{swatches}<span>{_e(words.t("graph.lines"))}</span></p>'
    more = f" {words.t('graph.more')}" if view.truncated else ""
    note = words.t("graph.note", entities=words.n(len(view.nodes)), links=words.n(len(view.edges)), more=more)
    return (
        f"<style>{GRAPH_STYLE}</style>{legend}<p class=note>{_e(note)}</p>"
        f'<div class="gv-wrap">{render(view)}</div><script>{GRAPH_SCRIPT}</script>'
    )
