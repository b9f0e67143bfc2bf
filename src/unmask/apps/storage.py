"""Writes of the app route: apps, promotions, analysed APKs with their certificates and trackers, store
checks with the events between them, policies with their segments and signals."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from unmask.apps.apk import ApkReport
from unmask.apps.certificates import Certificate
from unmask.apps.stores.base import FIELDS, LISTED, UNKNOWN, Listing
from unmask.core.store.models import (
    App,
    AppApk,
    AppApkCertificate,
    AppApkTracker,
    AppCertificate,
    AppPromotion,
    AppStoreCheck,
    AppStoreEvent,
    utcnow,
)

EVENT_FIELDS: tuple[str, ...] = tuple(f for f in FIELDS if f not in ("installs", "rating_count"))
"""What a change of is an event (counts move with every check and are not)."""


def upsert_app(session: Session, package: str, *, platform: str = "android", name: str | None = None) -> App:
    app = session.scalar(select(App).where(App.package == package))
    now = utcnow()
    if app is None:
        app = App(package=package, platform=platform, name=name, first_seen=now, last_seen=now)
        session.add(app)
        session.flush()
    else:
        app.last_seen = now
        if name and not app.name:
            app.name = name
    return app


def add_promotion(
    session: Session,
    app: App | None,
    *,
    site: str,
    page_url: str,
    link: str,
    kind: str,
    capture_id: int | None,
    seen_at: dt.datetime | None,
) -> bool:
    """Record that a page promoted an app (``None``: not known yet, a download or a deep link); False
    when that page's link was already recorded."""
    key = hashlib.sha1(f"{page_url}\n{link}".encode("utf-8", errors="surrogatepass")).hexdigest()
    exists = session.scalar(select(AppPromotion).where(AppPromotion.key == key))
    if exists is not None:
        if exists.app_id is None and app is not None:
            exists.app_id = app.id
        return False
    session.add(
        AppPromotion(
            app_id=app.id if app is not None else None,
            site=site,
            page_url=page_url,
            link=link[:4000],
            kind=kind,
            key=key,
            capture_id=capture_id,
            seen_at=seen_at or utcnow(),
        )
    )
    return True


def _certificate_id(session: Session, cert: Certificate) -> int:
    row = session.scalar(select(AppCertificate).where(AppCertificate.sha256 == cert.sha256))
    if row is None:
        row = AppCertificate(
            sha256=cert.sha256,
            sha1=cert.sha1,
            subject=cert.subject,
            issuer=cert.issuer,
            serial=cert.serial[:100],
            not_before=cert.not_before,
            not_after=cert.not_after,
            public_key_sha256=cert.public_key_sha256,
            der=base64.b64encode(cert.der).decode("ascii"),
        )
        session.add(row)
        session.flush()
    return row.id


def store_apk(
    session: Session, report: ApkReport, app: App | None, *, source: str, capture_id: int | None = None
) -> tuple[AppApk, bool]:
    """The APK's row (with certificates and trackers); False when the same bytes were analysed before."""
    existing = session.scalar(select(AppApk).where(AppApk.sha256 == report.sha256))
    if existing is not None:
        if existing.app_id is None and app is not None:
            existing.app_id = app.id
        return existing, False
    apk = AppApk(
        app_id=app.id if app is not None else None,
        sha256=report.sha256,
        size=report.size,
        version_name=(report.version_name or None) and report.version_name[:200],
        version_code=(report.version_code or None) and report.version_code[:40],
        min_sdk=report.min_sdk,
        target_sdk=report.target_sdk,
        label=report.label,
        source=source,
        capture_id=capture_id,
        permissions=json.dumps(report.permissions),
        activities=json.dumps(report.activities),
        domains=json.dumps(report.domains),
        urls=json.dumps(report.urls + report.deep_links),
        classes=report.classes,
        notes=json.dumps(report.notes, ensure_ascii=False),
    )
    session.add(apk)
    session.flush()
    seen: set[tuple[int, str, int]] = set()
    for signer in report.signers:
        cert_id = _certificate_id(session, signer.certificate)
        key = (cert_id, signer.scheme, signer.position)
        if key not in seen:
            seen.add(key)
            session.add(
                AppApkCertificate(
                    apk_id=apk.id, certificate_id=cert_id, scheme=signer.scheme, position=signer.position
                )
            )
    for tracker in report.trackers:
        session.add(
            AppApkTracker(
                apk_id=apk.id,
                tracker_id=tracker.id,
                name=tracker.name,
                categories=json.dumps(list(tracker.categories)),
                example_class=tracker.example_class,
                matches=tracker.matches,
            )
        )
    return apk, True


def store_check(session: Session, app: App, listing: Listing, *, source: str = "store") -> AppStoreCheck:
    """Record one check; a change of what the listing shows since the last check that saw it, or of its
    status since the last check that could tell, is an event."""
    check = AppStoreCheck(
        app_id=app.id,
        store=listing.store,
        country=listing.country.lower()[:2],
        source=source,
        checked_at=utcnow(),
        status=listing.status,
        reason=listing.reason,
        url=listing.url,
        http_status=listing.http_status,
        capture_id=listing.capture_id,
        **listing.facts(),
    )
    session.add(check)
    session.flush()
    if listing.status != UNKNOWN and source == "store":
        _events(session, app, check)
    return check


def _previous(session: Session, check: AppStoreCheck, statuses: Iterable[str]) -> AppStoreCheck | None:
    return session.scalar(
        select(AppStoreCheck)
        .where(
            AppStoreCheck.app_id == check.app_id,
            AppStoreCheck.store == check.store,
            AppStoreCheck.country == check.country,
            AppStoreCheck.source == "store",
            AppStoreCheck.status.in_(list(statuses)),
            AppStoreCheck.id != check.id,
        )
        .order_by(AppStoreCheck.checked_at.desc(), AppStoreCheck.id.desc())
        .limit(1)
    )


def _events(session: Session, app: App, check: AppStoreCheck) -> None:
    def event(field: str, old: object, new: object) -> None:
        session.add(
            AppStoreEvent(
                app_id=app.id,
                store=check.store,
                country=check.country,
                check_id=check.id,
                at=check.checked_at,
                field=field,
                old=None if old is None else str(old),
                new=None if new is None else str(new),
            )
        )

    before = _previous(session, check, ("listed", "unavailable"))
    if before is not None and before.status != check.status:
        event("status", before.status, check.status)
    if check.status != LISTED:
        return
    last_listed = (
        before if before is not None and before.status == LISTED else _previous(session, check, (LISTED,))
    )
    if last_listed is None:
        return
    for field in EVENT_FIELDS:
        old, new = getattr(last_listed, field), getattr(check, field)
        if old != new and new is not None:
            event(field, old, new)


def link_downloads(session: Session, url: str, app: App) -> None:
    """Promotions of a direct download whose APK is now analysed belong to its app."""
    for promotion in session.scalars(
        select(AppPromotion).where(AppPromotion.link == url, AppPromotion.app_id.is_(None))
    ):
        promotion.app_id = app.id
