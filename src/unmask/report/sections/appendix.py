"""The evidence appendix: per source kind how many captures and when, the case's seal, and every source
a figure of this report cites as a stable reference (capture id, URL, time, SHA-256, WARC record). The
full list of captures goes to a separate file (unmask.report.evidence.write_full_list)."""

from __future__ import annotations

from unmask.report.evidence import EvidenceIndex
from unmask.report.page import Html, Page, esc, join
from unmask.report.sections.base import Context


def gather(ctx: Context) -> EvidenceIndex:
    return ctx.evidence


def _seal(index: EvidenceIndex, page: Page) -> str:
    """Whether the evidence is sealed: the latest seal's manifest, hash, timestamps, what it covers and
    what came after it, and the command that checks it."""
    seal = index.seal
    if seal is None:
        return f"<p>{page.t('evidence.not_sealed')}</p>"
    lang = page.lang
    when = join(
        (
            page.t("evidence.timestamp", tsa=t.get("tsa"), time=_time(page, t.get("time")))
            for t in seal.timestamps
        ),
        lang.t("semicolon"),
    ) or page.t("evidence.no_timestamp")
    lines = [
        page.t(
            "evidence.sealed",
            manifest=f"evidence/seals/{seal.manifest}",
            sha256=Html(f"<code class=hash>{esc(seal.sha256)}</code>"),
            created=_time(page, seal.created),
            when=when,
        )
    ]
    if seal.captures is not None and seal.files is not None:
        lines.append(
            page.t(
                "evidence.seal_covers",
                captures=page.num(seal.captures, "sealed_captures"),
                max_id=seal.max_id if seal.max_id is not None else "–",
                files=page.num(seal.files, "sealed_files"),
            )
        )
    if seal.since:
        lines.append(page.t("evidence.seal_since", n=page.num(seal.since, "unsealed_captures")))
    for failed in seal.failed:
        lines.append(page.t("evidence.seal_failed", tsa=failed.get("tsa"), error=failed.get("error") or "–"))
    lines.append(page.t("evidence.verify", seals=page.num(seal.seals, "seals")))
    return f"<h3>{page.t('evidence.seal')}</h3><p>{Html(' ').join(lines)}</p>"


def _time(page: Page, value: object) -> str:
    """An ISO 8601 time (UTC, ``Z``) as the language writes it; anything else as it is."""
    text = str(value or "")
    if text.endswith("Z") and len(text) >= 20:
        try:
            return page.lang.time(text[:19])
        except ValueError:
            return text
    return text or "–"


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
        parts.append(esc(_time(page, ref.time)))
        if ref.kind != "scan":  # a capture's payload or an imported file has a digest; a scan is many
            digest = page.t("evidence.no_digest")
            if ref.sha256:
                digest = Html(f"<code class=hash>{esc(ref.sha256)}</code>")
            parts.append(f"SHA-256 {digest}")
        if ref.warc_file:
            parts.append(page.archive_link(ref))
        if ref.replay_url:
            parts.append(page.replay_link(ref))
        if ref.kind == "capture" and index.seal is not None and not index.seal.covers(ref.id):
            parts.append(page.t("evidence.not_covered"))
        refs.append(f'<li id="{ref.anchor}">{" · ".join(parts)}</li>')
    cited = f"<ol class=refs>{''.join(refs)}</ol>" if refs else f"<p>{page.t('evidence.none_cited')}</p>"
    return (
        f"<p>{page.t('evidence.intro', n=page.num(index.total, 'evidence_captures'))} {full}</p>"
        f"{kinds}{_seal(index, page)}"
        f"<h3>{page.t('evidence.cited')}</h3><p class=note>{page.t('evidence.how')} "
        f"{page.t('evidence.open', port=index.replay_port)}</p>{cited}"
    )
