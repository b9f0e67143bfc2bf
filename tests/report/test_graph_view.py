"""The report's graph view: escaped names, offline (no remote URLs), pseudonyms, cap and determinism."""

from __future__ import annotations

import base64
import hashlib
import re

from lxml import etree

from tests.owners.build import Builder
from unmask.core.case import Case
from unmask.report.graph import GRAPH_SCRIPT, graph_section, script_csp_source

HOSTILE = '<script>alert("x")</script> & Co "Ltd"'


def _graph(case: Case) -> None:
    b = Builder(case)
    b.entity("plat", "The Platform", "Platform")
    b.entity("site.example", "site.example", "Domain")
    b.entity("OP", "Operator Ltd")
    b.entity("EVIL", HOSTILE)
    b.entity("P1", "Jane Invented", "Person")
    b.entity("L", "Listed Invented Tech", topmark="listed")
    b.edge("plat", "site.example", kind="platform", role="domain")
    b.edge("OP", "plat", kind="platform", role="operator")
    b.edge("EVIL", "OP", 60)
    b.edge("L", "EVIL", 100)
    b.edge("P1", "OP", kind="directorship", role="director")


def _svg(fragment: str) -> etree._Element:
    svg = re.search(r"<svg.*</svg>", fragment, re.S)
    assert svg is not None
    return etree.fromstring(svg.group(0).encode("utf-8"))


def test_names_are_escaped_and_the_view_is_offline(case: Case) -> None:
    _graph(case)
    html = graph_section(case)
    assert html is not None
    assert html.count("<script>") == 1 and GRAPH_SCRIPT in html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; Co &quot;Ltd&quot;" in html
    assert "http://" not in html and "https://" not in html
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", html)
    svg = _svg(html)  # well-formed: every name escaped
    labels = {t.text for t in svg.iter("text")}
    assert HOSTILE[:27] + "…" in labels or HOSTILE in labels
    nodes = [g for g in svg.iter("g") if "gv-node" in (g.get("class") or "")]
    assert len(nodes) == 6
    listed = next(g for g in nodes if "Listed" in (g.findtext("title") or ""))
    assert "gv-top" in listed.get("class")
    op = next(g for g in nodes if (g.findtext("title") or "").startswith("Operator Ltd"))
    assert len(op.get("data-nbrs").split()) == 3


def test_owners_are_named_unless_also_depicted(case: Case) -> None:
    from tests.helpers.cases import load_census, record
    from unmask.census.model import ItemKind, PersonRef
    from unmask.core.privacy import pseudonym

    _graph(case)
    named = graph_section(case)
    assert named is not None and "Jane Invented" in named  # a director from a register: named
    load_census(case, [record(ItemKind.VIDEO, 1, persons=[PersonRef("Jane Invented")])])  # ... and depicted
    hidden = graph_section(case)
    assert hidden is not None and "Jane Invented" not in hidden
    assert pseudonym("Jane Invented", case.config.secret) in hidden  # the pseudonym every output shows
    shown = graph_section(case, real_names=True)
    assert shown is not None and "Jane Invented" in shown


def test_layout_is_deterministic_and_capped(sqlite_case: Case) -> None:
    _graph(sqlite_case)
    assert graph_section(sqlite_case) == graph_section(sqlite_case)
    sqlite_case.config.owners.graph_view_nodes = 3
    small = graph_section(sqlite_case)
    assert small is not None
    nodes = [g for g in _svg(small).iter("g") if "gv-node" in (g.get("class") or "")]
    assert len(nodes) == 3
    assert "unmask owners export" in small


def test_no_graph_no_section(sqlite_case: Case) -> None:
    assert graph_section(sqlite_case) is None


def test_csp_hash_matches_the_script() -> None:
    digest = base64.b64encode(hashlib.sha256(GRAPH_SCRIPT.encode()).digest()).decode()
    assert script_csp_source() == f"'sha256-{digest}'"
