"""Apps the platform promotes: per app, the pages that promoted it, its store presence over time per
storefront (removals included), its APKs' signing certificates, trackers and permissions, and what its
privacy policy provides for, each signal with the sentence that says so.

Reads the apps stage through its one entry for the report, ``unmask.apps.show.report_sections``; every
promotion, listing, APK and policy cites the capture it was read from. Names go through the case's
privacy policy like every other value (a developer or signer named like a hidden person is shown as the
pseudonym).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from unmask.report.charts import specs
from unmask.report.evidence import Reference, capture_references
from unmask.report.page import Html, Page, esc, join
from unmask.report.sections.base import Context, Finding

APPS_SHOWN = 10
PAGES_SHOWN = 3
EVENTS_SHOWN = 10
VERSIONS_SHOWN = 3
SENTENCE_CHARS = 400
SIGNAL_ORDER = (
    "state_access",
    "china_storage",
    "china_law",
    "china_controller",
    "transfer",
    "biometric",
    "model_training",
    "retention",
    "deletion",
)
"""Signal kinds in the order the report shows them (kinds the report does not know come last)."""
FINDING_SIGNALS = SIGNAL_ORDER[:7]
"""Signals named in the summary: what a policy allows (retention and deletion claims are not findings)."""
SCHEME_ORDER = ("v3", "v2", "v1")
"""The certificate the summary names as the signer: the newest scheme's."""


@dataclass
class AppsData:
    apps: list[dict[str, Any]]
    """``report_sections`` of the apps stage, through the privacy policy."""
    refs: dict[int, Reference]
    """Every capture the apps cite, by capture id."""
    more: int
    """Apps in the case beyond those shown."""


def _capture_ids(app: dict[str, Any]) -> list[int | None]:
    ids = [p.get("capture_id") for p in app["promotions"]]
    ids += [s.get(k) for s in app["stores"] for k in ("capture_id", "listed_capture_id")]
    ids += [a.get("capture_id") for v in app["versions"] for a in v["apks"]]
    return ids + [p.get("capture_id") for p in app["policies"]]


def gather(ctx: Context) -> AppsData:
    from unmask.apps.show import report_sections

    found = report_sections(ctx.case.store, ctx.case.config.apps)
    apps = [ctx.policy.redact_all(a) for a in found[:APPS_SHOWN]]
    refs = capture_references(ctx.case, [i for a in apps for i in _capture_ids(a)], ctx.policy)
    return AppsData(apps, refs, max(0, len(found) - APPS_SHOWN))


# -- helpers ------------------------------------------------------------------------------------------


def _name(app: dict[str, Any]) -> str:
    titles = [s["title"] for s in app["stores"] if s.get("title")]
    return str(app.get("name") or (titles[0] if titles else app["package"]))


def _pages(app: dict[str, Any]) -> list[dict[str, Any]]:
    """The promoting pages, one each (its earliest sighting), oldest first."""
    first: dict[str, dict[str, Any]] = {}
    for p in sorted(app["promotions"], key=lambda p: p.get("seen") or ""):
        first.setdefault(p["page_url"], p)
    return list(first.values())


def _cite(data: AppsData, page: Page, capture_id: int | None) -> Html:
    return page.cite(data.refs.get(capture_id)) if capture_id is not None else Html("")


def _day(page: Page, value: str | None) -> str:
    return page.lang.date(value[:10]) if value else "–"


def _store(page: Page, store: str) -> str:
    return page.lang.texts.get(f"apps.store.{store}", store)


def _status(page: Page, status: str | None) -> str:
    return page.lang.texts.get(f"apps.status.{status}", status or "–")


def _storefront(page: Page, country: str) -> str:
    return f"{page.lang.country(country)} ({country.upper()})" if country else "–"


def _latest_listing(app: dict[str, Any]) -> dict[str, Any] | None:
    listed = [s for s in app["stores"] if s.get("developer") or s.get("title")]
    return max(listed, key=lambda s: s.get("last_seen") or "", default=None)


def _signals(policy: dict[str, Any], negated: bool) -> dict[str, list[str]]:
    """Sentences per signal kind (in the report's order), affirmed or negated."""
    out: dict[str, list[str]] = {}
    rank = {k: n for n, k in enumerate(SIGNAL_ORDER)}
    for s in sorted(policy["signals"], key=lambda s: rank.get(s["kind"], len(rank))):
        if bool(s["negated"]) == negated and s["sentence"] not in out.get(s["kind"], []):
            out.setdefault(s["kind"], []).append(s["sentence"])
    return out


def _signal(page: Page, kind: str) -> str:
    return page.lang.texts.get(f"apps.signal.{kind}", kind)


def _short(text: str) -> str:
    return text if len(text) <= SENTENCE_CHARS else text[: SENTENCE_CHARS - 1] + "…"


# -- render -------------------------------------------------------------------------------------------


def _promotions(app: dict[str, Any], data: AppsData, page: Page) -> str:
    pages = _pages(app)
    if not pages:
        return ""
    items = [
        f"<li><span class=url>{esc(p['page_url'])}</span> {_cite(data, page, p.get('capture_id'))}</li>"
        for p in pages[:PAGES_SHOWN]
    ]
    if len(pages) > PAGES_SHOWN:
        items.append(
            f"<li>{page.t('apps.more_pages', n=len(pages) - PAGES_SHOWN, package=app['package'])}</li>"
        )
    head = page.t(
        "apps.promoted", n=page.num(len(pages), "app_pages"), first=_day(page, pages[0].get("seen"))
    )
    return f"<p>{head}</p><ul class=refs>{''.join(items)}</ul>"


def _presence_chart(app: dict[str, Any], n: int, page: Page) -> str:
    """Per storefront: when it listed the app, and since when it did not (drawn when the checks span at
    least a day; a single round of checks is the table)."""
    lang = page.lang
    spans: list[tuple[str, str, dt.datetime, dt.datetime]] = []
    for s in app["stores"]:
        front = f"{_store(page, s['store'])} {s['country'].upper()}"
        seen = dt.datetime.fromisoformat(s["seen"][:19])
        first = dt.datetime.fromisoformat(s["first_seen"][:19]) if s.get("first_seen") else None
        last = dt.datetime.fromisoformat(s["last_seen"][:19]) if s.get("last_seen") else None
        if first and last:
            spans.append(("listed", f"{front}: {_status(page, 'listed')}", first, last))
        if s["status"] != "listed":
            spans.append(("absent", f"{front}: {_status(page, s['status'])}", last or seen, seen))
    if not spans:
        return ""
    start, end = min(s[2] for s in spans), max(s[3] for s in spans)
    if end - start < dt.timedelta(days=1):
        return ""
    least = (end - start) / 100

    def iso(when: dt.datetime) -> str:
        return when.isoformat(timespec="seconds") + "Z"

    rows = [specs.Span(g, label[:60], iso(a), iso(max(b, a + least))) for g, label, a, b in spans]
    chart = specs.timeline(
        f"app-{n}",
        specs.Text(
            lang.t("apps.chart_title", app=_name(app)),
            lang.t("apps.chart_subtitle"),
            lang.t("source.apps", package=app["package"], date=lang.date(end.date())),
        ),
        rows,
        lang.t("axis.time"),
    )
    return page.chart(chart)


def _presence(app: dict[str, Any], n: int, data: AppsData, page: Page) -> str:
    lang = page.lang
    if not app["stores"]:
        return f"<p>{page.t('apps.no_stores', package=app['package'])}</p>"
    header = [lang.t(f"apps.{k}_col") for k in ("store", "country", "status", "developer", "first", "last")]
    header += [lang.t("apps.checked_col"), lang.t("apps.evidence_col")]
    rows = [
        (
            _store(page, s["store"]),
            _storefront(page, s["country"]),
            _status(page, s["status"]),
            s.get("developer") or s.get("seller") or "–",
            page.lang.short_date(s.get("first_seen")),
            page.lang.short_date(s.get("last_seen")),
            page.lang.short_date(s.get("seen")),
            _cite(data, page, s.get("capture_id")),
        )
        for s in app["stores"]
    ]
    parts = [_presence_chart(app, n, page), page.table(header, rows, cls="compact", numeric=False)]
    latest = _latest_listing(app)
    if latest is not None:
        keys = ("seller", "address", "email", "website", "privacy_policy", "version", "installs")
        facts = [
            page.t("apps.fact", name=lang.texts.get(f"apps.field.{k}", k), value=latest[k])
            for k in keys
            if latest.get(k) and not (k == "seller" and latest[k] == latest.get("developer"))
        ]
        if facts:
            parts.append(f"<p>{page.t('apps.listing', facts=join(facts, lang.t('semicolon')))}</p>")
    events = app["events"]
    if events:
        lines = [
            page.t(
                "apps.event",
                when=_day(page, e["at"]),
                store=_store(page, e["store"]),
                country=e["country"].upper(),
                field=lang.texts.get(f"apps.field.{e['field']}", e["field"]),
                old=_status(page, e["old"]) if e["field"] == "status" else e["old"] or "–",
                new=_status(page, e["new"]) if e["field"] == "status" else e["new"] or "–",
            )
            for e in events[-EVENTS_SHOWN:]
        ]
        earlier = len(events) - EVENTS_SHOWN
        more = (
            f"<p class=note>{page.t('apps.more_events', n=earlier, package=app['package'])}</p>"
            if earlier > 0
            else ""
        )
        items = "".join(f"<li>{line}</li>" for line in lines)
        parts.append(f"<p>{page.t('apps.events')}</p><ul>{items}</ul>{more}")
    return "".join(parts)


def _signing(app: dict[str, Any], data: AppsData, page: Page) -> str:
    lang = page.lang
    versions = app["versions"][-VERSIONS_SHOWN:]
    if not versions:
        return f"<p>{page.t('apps.no_apk')}</p>"
    parts: list[str] = []
    header = [lang.t(f"apps.{k}_col") for k in ("version", "scheme", "certificate", "subject")]
    rows = []
    for v in versions:
        schemes: dict[str, list[str]] = {}
        subjects: dict[str, str] = {}
        for c in v["certificates"]:  # one row per certificate, with every scheme that carries it
            schemes.setdefault(c["sha256"], []).append(c["scheme"])
            subjects[c["sha256"]] = c.get("subject") or "–"
        rows += [
            (v["version"], ", ".join(names), Html(f"<code class=hash>{esc(sha)}</code>"), subjects[sha])
            for sha, names in schemes.items()
        ]
    parts.append(page.table(header, rows, cls="compact wrap", numeric=False))
    for v in versions:
        cites = join((_cite(data, page, a.get("capture_id")) for a in v["apks"]), " ")
        if v["trackers"]:
            line = page.t("apps.trackers", version=v["version"], names=", ".join(v["trackers"]))
        else:
            line = page.t("apps.no_trackers", version=v["version"])
        parts.append(f"<p>{line} {cites}</p>")
        if v["permissions"]:
            names = ", ".join(p.removeprefix("android.permission.") for p in v["permissions"])
            parts.append(
                f"<p class=note>{page.t('apps.permissions', n=len(v['permissions']), names=names)}</p>"
            )
        if v["same_signer"]:
            parts.append(f"<p>{page.t('apps.same_signer', apps=', '.join(v['same_signer']))}</p>")
    return "".join(parts)


def _policy(app: dict[str, Any], data: AppsData, page: Page) -> str:
    lang = page.lang
    if not app["policies"]:
        return f"<p>{page.t('apps.no_policy', package=app['package'])}</p>"
    policy = app["policies"][-1]
    controller = (
        page.t("apps.policy_controller", controller=policy["controller"]) if policy.get("controller") else ""
    )
    read = page.t(
        "apps.policy_read",
        when=_day(page, policy.get("read_at")),
        source=Html(f"<span class=url>{esc(policy['source'])}</span>"),
        language=policy.get("language") or "–",
        controller=controller,
    )
    parts = [f"<p>{read} {_cite(data, page, policy.get('capture_id'))}</p>"]
    affirmed = _signals(policy, negated=False)
    if affirmed:
        items = []
        for kind, sentences in affirmed.items():
            more = f" {page.t('apps.more_sentences', n=len(sentences) - 1)}" if len(sentences) > 1 else ""
            items.append(
                f"<li><strong>{esc(_signal(page, kind))}</strong>: “{esc(_short(sentences[0]))}”{more}</li>"
            )
        parts.append(f"<p>{page.t('apps.signals')}</p><ul class=signals>{''.join(items)}</ul>")
    else:
        parts.append(f"<p>{page.t('apps.no_signals')}</p>")
    denied = _signals(policy, negated=True)
    if denied:
        kinds = lang.t("semicolon").join(_signal(page, k) for k in denied)
        parts.append(f"<p>{page.t('apps.denied', kinds=kinds)}</p>")
    return "".join(parts)


def render(data: AppsData, page: Page) -> str:
    parts = []
    for n, app in enumerate(data.apps):
        parts.append(f"<h3>{page.t('apps.title', app=_name(app), package=app['package'])}</h3>")
        parts.append(_promotions(app, data, page))
        parts.append(f"<h4>{page.t('apps.presence')}</h4>{_presence(app, n, data, page)}")
        parts.append(f"<h4>{page.t('apps.signing')}</h4>{_signing(app, data, page)}")
        parts.append(f"<h4>{page.t('apps.policy')}</h4>{_policy(app, data, page)}")
    parts.append(f"<p class=note>{page.t('apps.method')}</p>")
    return "".join(parts)


# -- findings -----------------------------------------------------------------------------------------


def _listing_finding(app: dict[str, Any], data: AppsData, page: Page) -> Finding:
    pages = page.num(len(_pages(app)), "app_pages")
    latest = _latest_listing(app)
    if latest is None:
        first = _pages(app)[0] if _pages(app) else {}
        sentence = page.t("finding.app_unlisted", app=_name(app), package=app["package"], pages=pages)
        return Finding("apps", sentence, _cite(data, page, first.get("capture_id")))
    address = page.t("finding.app_address", address=latest["address"]) if latest.get("address") else ""
    removed = [s for s in app["stores"] if s["status"] == "removed"]
    gone_from = {s["store"] for s in removed}
    sentence = page.t(
        "finding.app_was" if latest["store"] in gone_from else "finding.app",
        app=_name(app),
        package=app["package"],
        pages=pages,
        store=_store(page, latest["store"]),
        developer=latest.get("developer") or latest.get("seller") or "–",
        address=address,
    )
    for store in dict.fromkeys(s["store"] for s in removed):
        last = max((s.get("last_seen") or "" for s in removed if s["store"] == store), default="")
        gone = page.t(
            "finding.app_removed", store=_store(page, store), day=page.day(last or None, "app_removed")
        )
        sentence = Html(f"{sentence} {gone}")
    return Finding("apps", sentence, _cite(data, page, latest.get("listed_capture_id")))


def _policy_finding(app: dict[str, Any], data: AppsData, page: Page) -> Finding | None:
    if not app["policies"]:
        return None
    policy = app["policies"][-1]
    kinds = [k for k in _signals(policy, negated=False) if k in FINDING_SIGNALS]
    if not kinds:
        return None
    controller = (
        page.t("finding.app_controller", controller=policy["controller"]) if policy.get("controller") else ""
    )
    signals = join((_signal(page, k) for k in kinds), page.lang.t("semicolon"))
    sentence = page.t("finding.app_policy", controller=controller, signals=signals)
    return Finding("apps", sentence, _cite(data, page, policy.get("capture_id")))


def _apk_finding(app: dict[str, Any], data: AppsData, page: Page) -> Finding | None:
    versions = [v for v in app["versions"] if v["certificates"]]
    if not versions:
        return None
    v = versions[-1]
    rank = {s: n for n, s in enumerate(SCHEME_ORDER)}
    cert = min(v["certificates"], key=lambda c: rank.get(c["scheme"], len(rank)))
    names = f": {', '.join(v['trackers'])}" if v["trackers"] else ""
    sentence = page.t(
        "finding.app_apk",
        version=v["version"],
        signer=cert.get("subject") or cert["sha256"],
        n=page.num(len(v["trackers"]), "app_trackers"),
        names=names,
    )
    apks = [a.get("capture_id") for a in v["apks"] if a.get("capture_id") is not None]
    return Finding("apps", sentence, _cite(data, page, apks[0] if apks else None))


def findings(data: AppsData, page: Page) -> list[Finding]:
    out: list[Finding] = []
    for app in data.apps:
        out.append(_listing_finding(app, data, page))
        out += [f for f in (_policy_finding(app, data, page), _apk_finding(app, data, page)) if f is not None]
    return out
