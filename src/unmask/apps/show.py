"""What the case knows about an app, read from the apps tables: `unmask apps show`'s JSON (the contract's
shape, with more keys) and the per-app section of the report (:func:`report_sections`)."""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from unmask.apps.presence import storefronts
from unmask.core.config import AppsSettings
from unmask.core.errors import UnmaskError
from unmask.core.store import Store
from unmask.core.store.models import (
    App,
    AppApk,
    AppApkCertificate,
    AppApkTracker,
    AppCertificate,
    AppPolicy,
    AppPolicySignal,
    AppPromotion,
    AppStoreEvent,
)

CONTRACT_SCHEMES = ("v1", "v2", "v3")


def _iso(value: dt.datetime | None) -> str | None:
    return value.replace(microsecond=0).isoformat() + "Z" if value is not None else None


def _versions(session: Session, app: App) -> list[dict[str, Any]]:
    apks = session.scalars(select(AppApk).where(AppApk.app_id == app.id).order_by(AppApk.analysed_at)).all()
    groups: dict[str, list[AppApk]] = defaultdict(list)
    for apk in apks:
        groups[apk.version_name or apk.version_code or "?"].append(apk)
    out = []
    for version, rows in groups.items():
        ids = [a.id for a in rows]
        signed = session.execute(
            select(
                AppApkCertificate.scheme,
                AppApkCertificate.position,
                AppCertificate.sha256,
                AppCertificate.subject,
            )
            .join(AppCertificate, AppCertificate.id == AppApkCertificate.certificate_id)
            .where(AppApkCertificate.apk_id.in_(ids))
            .order_by(AppApkCertificate.scheme, AppApkCertificate.position)
        ).all()
        certs = list(dict.fromkeys((s, h) for s, _p, h, _subj in signed if s in CONTRACT_SCHEMES))
        subjects = {h: subj for _s, _p, h, subj in signed}
        trackers = session.scalars(
            select(AppApkTracker.name)
            .where(AppApkTracker.apk_id.in_(ids))
            .distinct()
            .order_by(AppApkTracker.name)
        ).all()
        signer_hashes = {h for _s, _p, h, _subj in signed}
        out.append(
            {
                "version": version,
                "version_code": rows[-1].version_code,
                "certificates": [{"scheme": s, "sha256": h, "subject": subjects[h]} for s, h in certs],
                "lineage": [h for s, _p, h, _subj in signed if s == "lineage"],
                "v31": [h for s, _p, h, _subj in signed if s == "v31"],
                "trackers": list(trackers),
                "permissions": sorted({p for a in rows for p in json.loads(a.permissions)}),
                "domains": sorted({d for a in rows for d in json.loads(a.domains)}),
                "apks": [
                    {
                        "sha256": a.sha256,
                        "source": a.source,
                        "notes": json.loads(a.notes),
                        "capture_id": a.capture_id,
                    }
                    for a in rows
                ],
                "same_signer": _same_signer(session, app, signer_hashes),
            }
        )
    return out


def _same_signer(session: Session, app: App, hashes: set[str]) -> list[str]:
    """Other apps of the case signed by one of these certificates (the strongest developer link)."""
    if not hashes:
        return []
    rows = session.scalars(
        select(App.package)
        .join(AppApk, AppApk.app_id == App.id)
        .join(AppApkCertificate, AppApkCertificate.apk_id == AppApk.id)
        .join(AppCertificate, AppCertificate.id == AppApkCertificate.certificate_id)
        .where(AppCertificate.sha256.in_(hashes), App.id != app.id)
        .distinct()
        .order_by(App.package)
    ).all()
    return list(rows)


def _stores(session: Session, app: App, settings: AppsSettings) -> list[dict[str, Any]]:
    out = []
    for front in storefronts(session, app.id, settings.removed_after):
        facts = front.last_listed
        out.append(
            {
                "store": front.store,
                "country": front.country,
                "status": front.status,
                "developer": facts.developer if facts else None,
                "seller": facts.seller if facts else None,
                "email": facts.email if facts else None,
                "website": facts.website if facts else None,
                "privacy_policy": facts.privacy_policy if facts else None,
                "seen": _iso(front.last_check.checked_at),
                "reason": front.last_check.reason,
                "developer_id": facts.developer_id if facts else None,
                "address": facts.address if facts else None,
                "title": facts.title if facts else None,
                "version": facts.version if facts else None,
                "installs": facts.installs if facts else None,
                "first_seen": _iso(front.first_seen),
                "last_seen": _iso(front.last_seen),
                "url": front.last_check.url,
                "capture_id": front.last_check.capture_id,
                "listed_capture_id": facts.capture_id if facts else None,
            }
        )
    return out


def _policies(session: Session, app: App) -> list[dict[str, Any]]:
    out = []
    for policy in session.scalars(
        select(AppPolicy).where(AppPolicy.app_id == app.id).order_by(AppPolicy.read_at)
    ):
        signals = session.scalars(
            select(AppPolicySignal)
            .where(AppPolicySignal.policy_id == policy.id)
            .order_by(AppPolicySignal.segment)
        ).all()
        out.append(
            {
                "source": policy.source,
                "read_at": _iso(policy.read_at),
                "language": policy.language,
                "controller": policy.controller,
                "sha256": policy.sha256,
                "capture_id": policy.capture_id,
                "signals": [
                    {"kind": s.kind, "sentence": s.sentence, "negated": s.negated, "weight": s.weight}
                    for s in signals
                ],
            }
        )
    return out


def summary(store: Store, package: str, settings: AppsSettings) -> dict[str, Any]:
    """`apps show PACKAGE --json`; UnmaskError when the case has no such app."""
    with store.session() as session:
        app = session.scalar(select(App).where(App.package == package))
        if app is None:
            raise UnmaskError(
                f"no app {package!r} in this case (add it with `unmask apps add`)", where="PACKAGE"
            )
        promotions = session.scalars(
            select(AppPromotion).where(AppPromotion.app_id == app.id).order_by(AppPromotion.seen_at)
        ).all()
        events = session.scalars(
            select(AppStoreEvent)
            .where(AppStoreEvent.app_id == app.id)
            .order_by(AppStoreEvent.at, AppStoreEvent.id)
        ).all()
        return {
            "package": app.package,
            "name": app.name,
            "platform": app.platform,
            "versions": _versions(session, app),
            "stores": _stores(session, app, settings),
            "events": [
                {
                    "store": e.store,
                    "country": e.country,
                    "at": _iso(e.at),
                    "field": e.field,
                    "old": e.old,
                    "new": e.new,
                }
                for e in events
            ],
            "promotions": [
                {
                    "site": p.site,
                    "page_url": p.page_url,
                    "link": p.link,
                    "kind": p.kind,
                    "seen": _iso(p.seen_at),
                    "capture_id": p.capture_id,
                }
                for p in promotions
            ],
            "policies": _policies(session, app),
        }


def packages(store: Store) -> list[str]:
    with store.session() as session:
        return list(session.scalars(select(App.package).order_by(App.package)).all())


def report_sections(store: Store, settings: AppsSettings) -> list[dict[str, Any]]:
    """One section per app for the report: presence timeline per country (``stores`` with first/last
    seen and ``events``), certificates, trackers and permissions per version, the policies' signals with
    their sentences, and the pages that promoted it. The same shape as :func:`summary`; each promotion,
    storefront, APK and policy names the capture it was read from (``capture_id``), for the report's
    evidence references."""
    return [summary(store, package, settings) for package in packages(store)]
