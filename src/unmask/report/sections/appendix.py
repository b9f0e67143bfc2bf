"""The evidence appendix: per source kind how many captures and when, the case's seal, and every source
a figure of this report cites as a stable reference (capture id, URL, time, SHA-256, WARC record). The
full list of captures goes to a separate file (unmask.report.evidence.write_full_list)."""

from __future__ import annotations

from unmask.report.evidence import EvidenceIndex
from unmask.report.page import Html, Page, esc
from unmask.report.sections.base import Context


def gather(ctx: Context) -> EvidenceIndex:
    return ctx.evidence


def _seal(index: EvidenceIndex, page: Page) -> str:
    seal = index.seal
    if seal is None:
        return f"<p>{page.t('evidence.not_sealed')}</p>"
    stamps = [t for t in seal.timestamps if t.get("ok")]
    when = ", ".join(f"{t.get('tsa')} ({t.get('time')})" for t in stamps) or page.lang.t(
        "evidence.no_timestamp"
    )
    return f"<p>{page.t('evidence.sealed', manifest=seal.manifest, sha256=seal.sha256, when=when)}</p>"


def render(index: EvidenceIndex, page: Page) -> str:
    lang = page.lang
    kinds = page.table(
        [lang.t(f"evidence.{k}") for k in ("kind", "captures", "archived", "items", "first", "last")],
        [(k.kind, k.captures, k.archived, k.items, lang.time(k.first[:-1]) if k.first else "–",
          lang.time(k.last[:-1]) if k.last else "–") for k in index.kinds],
        cls="compact",
    )  # fmt: skip
    full = (
        page.t("evidence.full_list", file=page.link(page.full_list, page.full_list))
        if page.full_list
        else page.t("evidence.no_full_list")
    )
    refs = []
    for ref in page.cited.values():
        parts = [f"<strong>{page.t(f'evidence.ref.{ref.kind}', id=ref.id)}</strong>"]
        if ref.what:
            parts.append(f"<span class=url>{esc(ref.what)}</span>")
        parts.append(esc(lang.time(ref.time[:-1]) if ref.time.endswith("Z") else ref.time))
        if ref.kind != "scan":  # a capture's payload or an imported file has a digest; a scan is many
            digest = page.t("evidence.no_digest")
            if ref.sha256:
                digest = Html(f"<code class=hash>{esc(ref.sha256)}</code>")
            parts.append(f"SHA-256 {digest}")
        if ref.warc_file:
            parts.append(page.archive_link(ref))
        refs.append(f'<li id="{ref.anchor}">{" · ".join(parts)}</li>')
    cited = f"<ol class=refs>{''.join(refs)}</ol>" if refs else f"<p>{page.t('evidence.none_cited')}</p>"
    return (
        f"<p>{page.t('evidence.intro', n=page.num(index.total, 'evidence_captures'))} {full}</p>"
        f"{kinds}{_seal(index, page)}"
        f"<h3>{page.t('evidence.cited')}</h3><p class=note>{page.t('evidence.how')}</p>{cited}"
    )
