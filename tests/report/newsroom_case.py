"""A small invented case with every stage the report shows, at fixed dates (screenshots compare equal).

A platform of 60 videos and 90 photos uploaded from January 2024 to mid-March 2025 (March partial), one
complete crawl run, a sitemap and listings as evidence, web-archive points, audience estimates with
country shares, two infrastructure scans, an app the platform promotes (its Play listing checked in two
storefronts until it was removed, an APK with its certificate and trackers, its privacy policy), and an
ownership chain behind the operator (every name made up; the operator's owners: 42–52.5 % and 30 %, as in
the demo).
"""

from __future__ import annotations

import datetime as dt
import random

from sqlalchemy import update
from sqlalchemy.orm import Session

from tests.forum.load import load_forum
from tests.helpers.cases import census_run
from tests.owners.build import Builder
from tests.report.test_infra_section import _load as load_infra
from unmask.census.model import ItemKind, ItemRecord, Link, PageKind, PersonRef
from unmask.census.writer import PageCommit
from unmask.core.case import Case
from unmask.core.store.models import (
    AppPolicy,
    AppStoreEvent,
    ArchiveCapture,
    ArchiveObservation,
    AudienceCountry,
    AudienceImport,
    AudienceVisits,
    Capture,
    CrawlRun,
)
from unmask.owners.tables import OwnerImport

BASE = "http://127.0.0.1:1"
RUN_START = dt.datetime(2025, 3, 16, 9, 0)
RUN_END = dt.datetime(2025, 3, 16, 9, 40)
GENERATED = dt.datetime(2025, 3, 20, 12, 0, tzinfo=dt.UTC)
PERSONS = ("Mara Quell", "Tova Linden", "Ines Arrow", "Pia Sorrel", "Lene Vogt")
PUBLIC = "Mara Quell"
"""On the investigator's public-figure list."""


def _records() -> list[ItemRecord]:
    rng = random.Random(15)
    out = []
    start = dt.date(2024, 1, 1)
    for n in range(150):
        kind = ItemKind.VIDEO if n % 5 < 2 else ItemKind.PHOTO
        day = start + dt.timedelta(days=int(440 * (n / 150) ** 0.8))
        rec = ItemRecord(kind=kind, url=f"{BASE}/{kind.value}/{n}", platform_id=str(n))
        rec.upload_date = min(day, dt.date(2025, 3, 14))
        rec.views = int(1000 * rng.paretovariate(1.3))
        rec.uploader = f"uploader{n % 7}"
        rec.persons = [PersonRef(PERSONS[n % len(PERSONS)])]
        rec.tags = [("studio", "outdoor", "night")[n % 3]]
        if kind is ItemKind.VIDEO:
            rec.duration = float(60 * (3 + n % 25))
        out.append(rec)
    return out


SECRET = "newsroom-fixture-secret"
"""The pseudonyms' key (fixed, so that pseudonyms look the same in every run)."""


def load_newsroom_case(case: Case) -> None:
    case.config.secret = SECRET
    w = census_run(
        case,
        BASE,
        name="fakes.test",
        adapter="demo",
        options={"adapter": "demo", "delay": 0.0, "concurrency": 4},
    )
    with case.store.session() as s:
        caps = [
            Capture(run_id=w.run_id, url=f"{BASE}/sitemap.xml", status=200, payload_sha256="1" * 64,
                    warc_file="warc/t-1.warc.gz", warc_offset=0, warc_length=900, requested_at=RUN_START),
            Capture(run_id=w.run_id, url=f"{BASE}/videos?page=1", status=200, payload_sha256="2" * 64,
                    warc_file="warc/t-1.warc.gz", warc_offset=900, warc_length=700, requested_at=RUN_START),
            Capture(run_id=w.run_id, url=f"{BASE}/photos?page=1", status=200, payload_sha256="3" * 64,
                    warc_file="warc/t-1.warc.gz", warc_offset=1600, warc_length=700, requested_at=RUN_START),
        ]  # fmt: skip
        s.add_all(caps)
        s.flush()
        cap_ids = [c.id for c in caps]
    pages = w.seed(
        [
            Link(BASE + "/sitemap.xml", PageKind.SITEMAP),
            Link(BASE + "/videos?page=1", PageKind.LISTING),
            Link(BASE + "/photos?page=1", PageKind.LISTING),
        ]
    )
    records = _records()
    w.commit(PageCommit(pages[0], cap_ids[0], items=records[:80]))
    w.commit(PageCommit(pages[1], cap_ids[1], items=[r for r in records[80:] if r.kind is ItemKind.VIDEO]))
    w.commit(PageCommit(pages[2], cap_ids[2], items=[r for r in records[80:] if r.kind is ItemKind.PHOTO]))
    with case.store.session() as s:
        s.execute(
            update(CrawlRun)
            .where(CrawlRun.id == w.run_id)
            .values(status="complete", phase="done", started_at=RUN_START, finished_at=RUN_END)
        )
        for n, (day, videos) in enumerate([(dt.date(2024, 6, 3), 20), (dt.date(2024, 11, 5), 41)], start=1):
            ts = day.strftime("%Y%m%d") + "000000"
            s.add(ArchiveCapture(id=n, url=BASE + "/", timestamp=ts, original=BASE + "/", status=200))
            s.add(
                ArchiveObservation(archive_capture_id=n, date=day, kind="videos", value=videos, source="text")
            )
        imp = AudienceImport(
            file_name="visits.csv",
            sha256="c" * 64,
            layout="monthly",
            rows=9,
            imported_at=dt.datetime(2025, 3, 1),
        )
        s.add(imp)
        s.flush()
        for k, visits in enumerate((2_100_000, 2_900_000, 3_400_000, 5_200_000, 6_100_000, 5_800_000)):
            s.add(
                AudienceVisits(
                    import_id=imp.id, domain="fakes.test", month=f"2024-{k + 7:02d}", visits=visits
                )
            )
        for code, share in (("US", 0.385), ("JP", 0.142), ("DE", 0.097), ("GB", 0.061), ("BR", 0.04)):
            s.add(
                AudienceCountry(
                    import_id=imp.id, domain="fakes.test", period="2024-12", country=code, share=share
                )
            )
        s.commit()
    load_infra(case)
    load_app(case, listing_capture=cap_ids[1])
    load_forum(case)
    b = Builder(case, path="register-notes.csv")
    b.entity("plat", "fakes.test", "Platform")
    b.entity("OP", "Quiet Harbour Media Ltd")
    b.entity("HOLD", "Larch Row Holdings Ltd")
    b.entity("TOP", "Fernlake Invented Technology Co. Ltd")
    b.entity("P1", "Edda Marlow-Fenn", "Person")
    b.edge("OP", "plat", kind="control", role="operator")
    b.edge("HOLD", "OP", 70)
    b.edge("P1", "OP", 30)
    b.edge("TOP", "HOLD", (60, 75))
    b.edge("P1", "HOLD", kind="directorship", role="director")
    with case.store.session() as s:
        s.execute(update(OwnerImport).values(started_at=dt.datetime(2025, 3, 2), sha256="d" * 64))
        s.commit()
    from unmask.core.privacy import record_public_figures

    record_public_figures(case.store, [PUBLIC])


APP = "com.lumenfold.swapstudio"
APP_NAME = "Lumenfold Swap"
APP_DEVELOPER = "Lumenfold Studio Limited"
POLICY_URL = "https://lumenfold.example/privacy"
APP_ADDRESS = "Unit 12, 7 Invented Road, Futian District, Shenzhen, China"
APP_POLICY = (
    "Lumenfold Swap Privacy Policy.",
    "Lumenfold Studio Limited is the personal information processor of your information under the "
    "Personal Information Protection Law of the People's Republic of China (PIPL).",
    "We process the faces in the photos you upload, including facial features, to create swap results.",
    "Your personal information is stored on servers located in mainland China.",
    "We may share your personal information without your consent where it is directly related to national "
    "security, public safety or criminal investigation.",
    "We do not sell your personal information to advertisers.",
)
"""The app's invented privacy policy: Chinese law, biometric data, storage in China, state access."""
APP_CHECKS = (  # (day, storefront, listed, developer)
    (dt.datetime(2024, 9, 2, 8), "us", True, APP_DEVELOPER),
    (dt.datetime(2024, 9, 2, 8), "de", True, APP_DEVELOPER),
    (dt.datetime(2024, 12, 2, 8), "us", True, "Lumenfold Technology Co. Ltd"),
    (dt.datetime(2024, 12, 2, 8), "de", False, None),
    (dt.datetime(2025, 2, 3, 8), "us", False, None),
    (dt.datetime(2025, 2, 3, 8), "de", False, None),
    (dt.datetime(2025, 3, 3, 8), "us", False, None),
)


def _app_certificate() -> bytes:
    """An invented signing certificate, the same bytes every time (Ed25519 signatures are deterministic)."""
    from cryptography import x509
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from cryptography.hazmat.primitives.serialization import Encoding
    from cryptography.x509.oid import NameOID

    key = Ed25519PrivateKey.from_private_bytes(bytes(range(32)))
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, "Lumenfold Dev"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Lumenfold Studio"),
            x509.NameAttribute(NameOID.LOCALITY_NAME, "Shenzhen"),
            x509.NameAttribute(NameOID.COUNTRY_NAME, "CN"),
        ]
    )
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(4242)
        .not_valid_before(dt.datetime(2023, 1, 1, tzinfo=dt.UTC))
        .not_valid_after(dt.datetime(2048, 1, 1, tzinfo=dt.UTC))
        .sign(key, None)
    )
    return cert.public_bytes(Encoding.DER)


def _capture(s: Session, url: str, when: dt.datetime, digest: str, status: int = 200) -> int:
    cap = Capture(url=url, status=status, payload_sha256=digest * 64, requested_at=when, purpose="apps")
    s.add(cap)
    s.flush()
    return int(cap.id)


def load_app(case: Case, *, listing_capture: int) -> None:
    """The app route of the newsroom case, written by the apps stage's own functions (store checks, APK,
    the policy analysed by its rules), at fixed dates."""
    from unmask.apps.apk import ApkReport, FoundTracker, Signer
    from unmask.apps.certificates import certificate
    from unmask.apps.policy.read import PolicyText, analyse
    from unmask.apps.policy.read import store as store_policy
    from unmask.apps.storage import add_promotion, store_apk, store_check, upsert_app
    from unmask.apps.stores.base import LISTED, UNAVAILABLE, Listing
    from unmask.apps.trackers import match, shipped

    link = f"https://play.google.com/store/apps/details?id={APP}"
    with case.store.session() as s:
        app = upsert_app(s, APP, name=APP_NAME)
        for n, page in enumerate((f"{BASE}/", f"{BASE}/videos?page=1")):
            cid = _capture(s, page, RUN_START, "4") if n == 0 else listing_capture
            add_promotion(s, app, site="fakes.test", page_url=page, link=link, kind="play", capture_id=cid,
                          seen_at=RUN_START - dt.timedelta(days=200 - n))  # fmt: skip
        for when, country, listed, developer in APP_CHECKS:
            url = f"{link}&gl={country}"
            listing = Listing(
                "play", country, url, LISTED if listed else UNAVAILABLE, http_status=200 if listed else 404
            )
            listing.capture_id = _capture(s, url, when, "5" if listed else "6", 200 if listed else 404)
            if listed:
                listing.fill(title=APP_NAME, developer=developer, address=APP_ADDRESS, version="2.1.0",
                             email="help@lumenfold.example", website="https://lumenfold.example",
                             privacy_policy=POLICY_URL, installs="50,000+")  # fmt: skip
            check = store_check(s, app, listing)
            check.checked_at = when
            s.flush()
            s.execute(update(AppStoreEvent).where(AppStoreEvent.check_id == check.id).values(at=when))
        classes = [
            "com/google/firebase/analytics/FirebaseAnalytics",
            "com/facebook/appevents/AppEventsLogger",
        ]
        report = ApkReport(
            sha256="7" * 64, size=18_000_000, package=APP, version_name="2.1.0", version_code="210"
        )
        report.permissions = ["android.permission.CAMERA", "android.permission.INTERNET"]
        report.signers = [Signer(scheme, 0, certificate(_app_certificate())) for scheme in ("v1", "v2")]
        report.trackers = [
            FoundTracker(m.tracker.id, m.tracker.name, m.tracker.categories, m.example_class, m.matches)
            for m in match(classes, shipped())
        ]
        apk, _ = store_apk(s, report, app, source="lumenfold-swap-2.1.0.apk")
        apk.analysed_at = RUN_END
        policy_capture = _capture(s, POLICY_URL, RUN_END, "8")
        s.commit()
    policy = PolicyText(POLICY_URL, "\n\n".join(APP_POLICY), False, policy_capture)
    store_policy(case, APP, policy, analyse(policy))
    with case.store.session() as s:
        s.execute(update(AppPolicy).values(read_at=RUN_END))
        s.commit()
