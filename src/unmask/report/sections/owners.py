"""Who is behind it: the platform's operator, its ultimate owners with their effective shares (every
path, cycles solved: unmask.owners.effective), control without shares, and the entity graph around the
platform (unmask.report.graph). Persons are shown as every output shows owners (role OWNER: named unless
the same person is a hidden depicted person of the case)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import aliased

from unmask.core.case import Case
from unmask.core.errors import UnmaskError
from unmask.owners.privacy import shown
from unmask.report.evidence import Reference, import_reference
from unmask.report.graph import graph_section
from unmask.report.page import Html, Page, join
from unmask.report.sections.base import Context, Finding

OPERATOR_ROLES = ("operator",)
"""A link into the platform with one of these roles makes its source an operator of the platform."""
OPERATOR_KINDS = ("control", "ownership")
"""So does a link of these kinds (whatever its role)."""
OPERATORS_SHOWN = 3


@dataclass
class Operator:
    name: str
    ref: str
    """The ID `owners ultimate` takes (``#internal id``)."""
    ultimate: dict[str, Any]
    source: Reference | None


@dataclass
class OwnersData:
    operators: list[Operator] = field(default_factory=list)
    graph: str | None = None


def ultimate_owners(case: Case, ref: str) -> dict[str, Any]:
    """`owners ultimate` for one entity, today, through the owners stage's query layer (its graph index
    is built first when missing or stale; the section is shown only when the case has an entity graph)."""
    from unmask.owners.ultimate import ultimate

    return ultimate(case, ref, note=None)


def operators(case: Case) -> tuple[list[tuple[int, str, int | None]], dict[int, Reference]]:
    """(internal id, name, import id) of each entity linked to a platform as its operator, and a
    reference to each import that gave such a link."""
    from unmask.owners.tables import OwnerEdge, OwnerEntity, OwnerImport

    platform = aliased(OwnerEntity)
    q = (
        select(OwnerEntity.id, OwnerEntity.name, OwnerEdge.import_id)
        .join(OwnerEdge, OwnerEdge.src_id == OwnerEntity.id)
        .join(platform, platform.id == OwnerEdge.dst_id)
        .where(
            or_(OwnerEdge.role.in_(OPERATOR_ROLES), OwnerEdge.kind.in_(OPERATOR_KINDS)),
            platform.schema == "Platform",
            OwnerEdge.replaced.is_(False),
            OwnerEntity.replaced.is_(False),
        )
        .distinct()
        .order_by(OwnerEntity.id)
        .limit(OPERATORS_SHOWN)
    )
    with case.store.session() as s:
        rows = [(int(i), str(n or ""), imp) for i, n, imp in s.execute(q)]
        imports = {
            r.id: r
            for r in s.scalars(select(OwnerImport).where(OwnerImport.id.in_({r[2] for r in rows if r[2]})))
        }
        refs = {i: import_reference(r.id, r.path, r.started_at, r.sha256) for i, r in imports.items()}
    return rows, refs


def gather(ctx: Context) -> OwnersData:
    found, refs = operators(ctx.case)
    out = OwnersData(graph=graph_section(ctx.case, policy=ctx.policy, lang=ctx.lang))
    for internal, name, import_id in found:
        try:
            answer = shown(ultimate_owners(ctx.case, f"#{internal}"), ctx.policy)
        except UnmaskError:  # the entity is history by now (merged, replaced): no answer for today
            continue
        out.operators.append(
            Operator(
                answer.get("name") or name, f"#{internal}", answer, refs.get(import_id) if import_id else None
            )
        )
    return out


def _owner_rows(op: Operator, page: Page) -> list[tuple[Any, ...]]:
    lang = page.lang
    return [
        (
            o["name"] or o["id"],
            lang.share_range(o["percent_low"], o["percent_high"]),
            lang.t(f"owners.top.{o['top']}") if f"owners.top.{o['top']}" in lang.texts else o["top"],
            ", ".join(o["flags"]) or "–",
        )
        for o in op.ultimate["owners"]
    ]


def render(data: OwnersData, page: Page) -> str:
    lang = page.lang
    parts = []
    if not data.operators:
        parts.append(f"<p>{page.t('owners.no_operator')}</p>")
    for op in data.operators:
        parts.append(f"<h3>{page.t('owners.operator', name=op.name)}</h3>")
        rows = _owner_rows(op, page)
        if rows:
            header = [lang.t(f"owners.{k}") for k in ("owner", "share", "top_col", "flags")]
            parts.append(page.table(header, rows, cls="compact"))
        else:
            parts.append(f"<p>{page.t('owners.no_owners')}</p>")
        control = op.ultimate.get("control") or []
        if control:
            lines = []
            for c in control:
                kind = c["kind"] + (f" ({c['role']})" if c.get("role") else "")
                line = page.t(
                    "owners.control_line",
                    who=c["name"] or c["id"],
                    kind=kind,
                    of=c["of"]["name"] or c["of"]["id"],
                )
                lines.append(f"<li>{line}</li>")
            items = "".join(lines)
            parts.append(f"<p>{page.t('owners.control')}</p><ul>{items}</ul>")
        if op.source is not None:
            parts.append(f"<p class=note>{page.t('owners.from_import')} {page.cite(op.source)}</p>")
    parts.append(f"<p class=note>{page.t('owners.method')}</p>")
    if data.graph:
        parts.append(f"<h3>{page.t('owners.graph')}</h3>{data.graph}")
    return "".join(parts)


def findings(data: OwnersData, page: Page) -> list[Finding]:
    out = []
    for op in data.operators:
        owners = [
            page.t("owners.owner_share", name=o["name"] or o["id"], share=Html(
                f'<data value="{o["percent_low"]}-{o["percent_high"]}" data-key="owner_share">'
                f"{page.lang.share_range(o['percent_low'], o['percent_high'])}</data>"))
            for o in op.ultimate["owners"]
        ]  # fmt: skip
        if owners:
            sentence = page.t(
                "finding.owners", operator=op.name, owners=join(owners, page.lang.t("semicolon"))
            )
        else:
            sentence = page.t("finding.owners_unknown", operator=op.name)
        out.append(Finding("owners", sentence, page.cite(op.source)))
    return out
