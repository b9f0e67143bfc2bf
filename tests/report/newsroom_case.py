"""A small invented case with every stage the report shows, at fixed dates (screenshots compare equal).

A platform of 60 videos and 90 photos uploaded from January 2024 to mid-March 2025 (March partial), one
complete crawl run, a sitemap and listings as evidence, web-archive points, audience estimates with
country shares, two infrastructure scans, and an ownership chain behind the operator (every name made up;
the operator's owners: 42–52.5 % and 30 %, as in the demo).
"""

from __future__ import annotations

import datetime as dt
import random

from sqlalchemy import update

from tests.forum.load import load_forum
from tests.owners.build import Builder
from tests.report.test_infra_section import _load as load_infra
from unmask.census.model import ItemKind, ItemRecord, Link, PageKind, PersonRef
from unmask.census.writer import CensusWriter, PageCommit, open_run, platform_for
from unmask.core.case import Case
from unmask.core.store.models import (
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
    pid = platform_for(case.store, BASE, "fakes.test", "demo")
    run, _ = open_run(case.store, pid, BASE + "/", {"adapter": "demo", "delay": 0.0, "concurrency": 4})
    w = CensusWriter(case.store, pid, run.id, case.config.crawl)
    with case.store.session() as s:
        caps = [
            Capture(run_id=run.id, url=f"{BASE}/sitemap.xml", status=200, payload_sha256="1" * 64,
                    warc_file="warc/t-1.warc.gz", warc_offset=0, warc_length=900, requested_at=RUN_START),
            Capture(run_id=run.id, url=f"{BASE}/videos?page=1", status=200, payload_sha256="2" * 64,
                    warc_file="warc/t-1.warc.gz", warc_offset=900, warc_length=700, requested_at=RUN_START),
            Capture(run_id=run.id, url=f"{BASE}/photos?page=1", status=200, payload_sha256="3" * 64,
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
            .where(CrawlRun.id == run.id)
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
