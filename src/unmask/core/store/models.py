"""The case store's tables (SQLAlchemy 2). Documented in docs/schema.md.

Names are plain so that the SQLite file reads well in Datasette and in SQL by hand.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class RunColumns:
    """The columns every resumable census run has (``crawl_run``, the forum census's ``forum_run``).

    ``sort_order`` keeps each table's column order as its migration made it: a table's own columns take
    the orders between (0: ``id`` and the platform's key first, 2 and 4 between, 6 after)."""

    start_url: Mapped[str] = mapped_column(String(2100), sort_order=1)
    started_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, sort_order=1)
    finished_at: Mapped[dt.datetime | None] = mapped_column(DateTime, sort_order=1)
    status: Mapped[str] = mapped_column(String(20), default="running", sort_order=1)
    """running | interrupted (resumable) | complete | incomplete (see ``reasons``) | failed"""
    sessions: Mapped[int] = mapped_column(Integer, default=1, sort_order=3)
    options: Mapped[str | None] = mapped_column(Text, sort_order=5)
    """JSON of the options the run was started with."""
    reasons: Mapped[str | None] = mapped_column(Text, sort_order=5)
    """JSON list of why the run is not complete (``unmask.core.outcome.Reason``); empty when it is."""


class FrontierColumns:
    """The columns of every durable crawl queue (``frontier``, the forum census's ``forum_frontier``):
    one row per URL a run decided to fetch. Column order as in :class:`RunColumns`."""

    url: Mapped[str] = mapped_column(Text, sort_order=1)
    url_key: Mapped[str] = mapped_column(String(40), sort_order=1)
    kind: Mapped[str] = mapped_column(String(20), sort_order=1)
    """What the page is to the crawl (each table lists its kinds)."""
    depth: Mapped[int] = mapped_column(Integer, default=0, sort_order=3)
    barren: Mapped[int] = mapped_column(Integer, default=0, sort_order=3)
    """Consecutive pages before this one that brought nothing new (crawler-trap guard)."""
    status: Mapped[str] = mapped_column(String(20), default="pending", sort_order=5)
    error: Mapped[str | None] = mapped_column(Text, sort_order=5)
    capture_id: Mapped[int | None] = mapped_column(ForeignKey("capture.id"), sort_order=5)


class CaseMeta(Base):
    """Key/value facts about the case itself (schema version, creation time)."""

    __tablename__ = "case_meta"
    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class ItemWrite(Base):
    """One row per transaction that changed the items or their persons, written in that transaction by
    PostgreSQL statement triggers (migration 0015; none on SQLite). How many rows a reader sees tells
    whether tallies kept from an earlier read still hold: commits only add rows, so the same number means
    the same items (``unmask.analysis.figures``)."""

    __tablename__ = "item_write"
    txid: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)


class FigureTally(Base):
    """The headline tallies of `unmask stats` for one scope (platform and top-list length), as of
    ``writes`` rows of ``item_write`` (PostgreSQL only)."""

    __tablename__ = "figure_tally"
    scope: Mapped[str] = mapped_column(String(700), primary_key=True)
    writes: Mapped[int] = mapped_column(BigInteger)
    tallies: Mapped[str] = mapped_column(Text)


class Platform(Base):
    """An investigated site, identified by its base URL."""

    __tablename__ = "platform"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    base_url: Mapped[str] = mapped_column(String(500), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    adapter: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class CrawlRun(RunColumns, Base):
    """One census of a platform. An interrupted run is resumed, not restarted. ``status`` failed: the
    start URL could not be fetched at all."""

    __tablename__ = "crawl_run"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    platform_id: Mapped[int] = mapped_column(ForeignKey("platform.id"), index=True)
    phase: Mapped[str] = mapped_column(String(20), default="enumerate", sort_order=2)
    """enumerate (robots, sitemaps, listings) | fill (item pages for missing fields) | done"""
    incremental: Mapped[bool] = mapped_column(Boolean, default=False, sort_order=2)
    message: Mapped[str | None] = mapped_column(Text, sort_order=4)


class CrawlLimit(Base):
    """How often a limit of the crawl cut work short in a run (frontier size, sitemaps, chain length…)."""

    __tablename__ = "crawl_limit"
    run_id: Mapped[int] = mapped_column(ForeignKey("crawl_run.id"), primary_key=True)
    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    count: Mapped[int] = mapped_column(BigInteger, default=0)


class Frontier(FrontierColumns, Base):
    """Every URL a run has decided to fetch; the durable queue that makes resume exact.

    ``kind``: robots | sitemap | listing | item | person | page. ``depth``: sitemap nesting, or page number
    along a pagination chain. ``barren`` counts along the page's chain. ``status``: pending | deferred (an
    item link waiting for the fill phase) | done | gone (404/410, or the page says the item was removed) |
    failed | unparsed (a sitemap not readable whole) | refused (media, policy) | disallowed (robots.txt) |
    skipped (a deferred item another source described)."""

    __tablename__ = "frontier"
    __table_args__ = (
        UniqueConstraint("run_id", "url_key", name="uq_frontier_run_url"),
        Index("ix_frontier_run_status", "run_id", "status"),
        Index("ix_frontier_chain", "run_id", "chain", "parent_key"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("crawl_run.id"))
    item_kind: Mapped[str | None] = mapped_column(String(20), sort_order=2)
    chain: Mapped[str | None] = mapped_column(String(40), sort_order=2)
    """Pagination chain this listing page belongs to."""
    parent_key: Mapped[str | None] = mapped_column(String(40), sort_order=4)
    """Fingerprint of the previous page's items in the chain (a repeating page is barren)."""
    done_at: Mapped[dt.datetime | None] = mapped_column(DateTime, sort_order=6)


class Capture(Base):
    """One HTTP exchange (or attempt) as evidence: what was asked, what came back, where it is archived."""

    __tablename__ = "capture"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int | None] = mapped_column(ForeignKey("crawl_run.id"), index=True)
    """The census run (``crawl_run``) of a capture made by a census crawl."""
    forum_run_id: Mapped[int | None] = mapped_column(Integer, index=True)
    """The forum census run (``forum_run.id``) of a capture made by a forum crawl (migration 0016; no foreign
    key: the core's tables do not know a stage's)."""
    purpose: Mapped[str] = mapped_column(String(40), default="census")
    url: Mapped[str] = mapped_column(Text)
    method: Mapped[str] = mapped_column(String(10), default="GET")
    requested_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    elapsed_ms: Mapped[float | None] = mapped_column(Float)
    status: Mapped[int | None] = mapped_column(Integer)
    content_type: Mapped[str | None] = mapped_column(String(200))
    payload_sha256: Mapped[str | None] = mapped_column(String(64))
    payload_length: Mapped[int | None] = mapped_column(BigInteger)
    truncated: Mapped[str | None] = mapped_column(String(40))
    refused: Mapped[str | None] = mapped_column(Text)
    """Why the body was not read (media content type, size)."""
    error: Mapped[str | None] = mapped_column(Text)
    """Why there is no response (timeout, connection refused)."""
    warc_file: Mapped[str | None] = mapped_column(String(300))
    warc_offset: Mapped[int | None] = mapped_column(BigInteger)
    warc_length: Mapped[int | None] = mapped_column(BigInteger)
    remote_address: Mapped[str | None] = mapped_column(String(45))
    """The IP address the response came from (the pinned one for infrastructure scans; none via a proxy)."""


class Uploader(Base):
    __tablename__ = "uploader"
    __table_args__ = (UniqueConstraint("platform_id", "name_key", name="uq_uploader_platform_name"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    platform_id: Mapped[int] = mapped_column(ForeignKey("platform.id"))
    name: Mapped[str] = mapped_column(String(500))
    name_key: Mapped[str] = mapped_column(String(500))
    url: Mapped[str | None] = mapped_column(Text)


class Person(Base):
    """A person depicted on the platform, as the platform names them."""

    __tablename__ = "person"
    __table_args__ = (UniqueConstraint("platform_id", "name_key", name="uq_person_platform_name"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    platform_id: Mapped[int] = mapped_column(ForeignKey("platform.id"))
    name: Mapped[str] = mapped_column(String(500))
    name_key: Mapped[str] = mapped_column(String(500))
    url: Mapped[str | None] = mapped_column(Text)
    public_figure: Mapped[bool | None] = mapped_column(Boolean)
    """True when the platform or a user list marks the person a public figure; None when unknown."""


class Item(Base):
    """One catalogue entry: a video, a photo or a gallery. Metadata only, never the media."""

    __tablename__ = "item"
    __table_args__ = (
        UniqueConstraint("platform_id", "kind", "platform_item_id", name="uq_item_platform_kind_pid"),
        Index("ix_item_kind_upload", "platform_id", "kind", "upload_date"),
        Index("ix_item_platform_pid", "platform_id", "platform_item_id"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    platform_id: Mapped[int] = mapped_column(ForeignKey("platform.id"))
    kind: Mapped[str] = mapped_column(String(20))
    platform_item_id: Mapped[str] = mapped_column(String(500))
    url: Mapped[str] = mapped_column(Text)
    title: Mapped[str | None] = mapped_column(Text)
    duration_s: Mapped[float | None] = mapped_column(Float)
    views: Mapped[int | None] = mapped_column(BigInteger)
    views_rank: Mapped[int] = mapped_column(Integer, default=0)
    """How exact the stored views are: 3 item page, 2 sitemap, 1 listing card (may be rounded), 0 none."""
    views_run: Mapped[int | None] = mapped_column(Integer)
    """The run that observed the stored views (a later run's views replace an earlier run's)."""
    upload_date: Mapped[dt.date | None] = mapped_column(Date)
    uploader_id: Mapped[int | None] = mapped_column(ForeignKey("uploader.id"), index=True)
    gallery_pid: Mapped[str | None] = mapped_column(String(500))
    """For a photo: the platform id of its gallery."""
    photo_count: Mapped[int | None] = mapped_column(Integer)
    page_run: Mapped[int | None] = mapped_column(Integer)
    """The run in which the item's own page was last read (its fields then as complete as the site allows)."""
    first_seen_run: Mapped[int] = mapped_column(ForeignKey("crawl_run.id"))
    last_seen_run: Mapped[int] = mapped_column(ForeignKey("crawl_run.id"), index=True)
    first_seen_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    last_seen_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    removed_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    removed_run: Mapped[int | None] = mapped_column(ForeignKey("crawl_run.id"))


class ItemPerson(Base):
    __tablename__ = "item_person"
    item_id: Mapped[int] = mapped_column(ForeignKey("item.id"), primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), primary_key=True, index=True)


class ItemLabel(Base):
    """Tags and categories of an item."""

    __tablename__ = "item_label"
    __table_args__ = (
        # the items with a given tag (the web workbench's tag filter): covering, so both stores answer
        # from the index alone
        Index("ix_item_label_kind_value", "kind", "value", "item_id"),
    )
    item_id: Mapped[int] = mapped_column(ForeignKey("item.id"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(20), primary_key=True)
    value: Mapped[str] = mapped_column(String(500), primary_key=True)


class ItemSource(Base):
    """Provenance: which capture gave which fields of an item."""

    __tablename__ = "item_source"
    item_id: Mapped[int] = mapped_column(ForeignKey("item.id"), primary_key=True)
    capture_id: Mapped[int] = mapped_column(ForeignKey("capture.id"), primary_key=True, index=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("crawl_run.id"))
    fields: Mapped[str] = mapped_column(Text)
    """Comma-separated field names the capture provided."""


class ItemObservation(Base):
    """What one run saw of an item (views over time)."""

    __tablename__ = "item_observation"
    item_id: Mapped[int] = mapped_column(ForeignKey("item.id"), primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("crawl_run.id"), primary_key=True, index=True)
    views: Mapped[int | None] = mapped_column(BigInteger)
    seen_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class AnalysisResult(Base):
    """One stored part of `unmask analyze` (growth, targets, …): one row per part, replaced on recompute."""

    __tablename__ = "analysis_result"
    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    platform_id: Mapped[int | None] = mapped_column(ForeignKey("platform.id"))
    """The one platform the result covers; None = every platform in the case."""
    computed_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    params: Mapped[str] = mapped_column(Text)
    """JSON of the options the part was computed with."""
    result: Mapped[str] = mapped_column(Text)
    """JSON of the part's result."""


Index(
    "ix_item_analysis",
    Item.removed_at,
    Item.kind,
    Item.upload_date,
    Item.views,
    Item.duration_s,
    Item.uploader_id,
    Item.platform_id,
)
"""Covers the item columns `unmask analyze` reads, present items first: its scans never touch the table."""


class AudienceImport(Base):
    """One imported traffic-estimate or rank-list file (`unmask audience import`)."""

    __tablename__ = "audience_import"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    file_name: Mapped[str] = mapped_column(String(500))
    sha256: Mapped[str] = mapped_column(String(64), unique=True)
    imported_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    layout: Mapped[str] = mapped_column(String(20))
    """monthly | country | wide | rank"""
    rows: Mapped[int] = mapped_column(Integer, default=0)


class AudienceVisits(Base):
    """Estimated visits of a domain in one calendar month, as one import gave them."""

    __tablename__ = "audience_visits"
    __table_args__ = (
        UniqueConstraint("import_id", "domain", "month", name="uq_audience_visits_import_domain_month"),
        Index("ix_audience_visits_domain_month", "domain", "month"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    import_id: Mapped[int] = mapped_column(ForeignKey("audience_import.id", ondelete="CASCADE"))
    domain: Mapped[str] = mapped_column(String(253))
    month: Mapped[str] = mapped_column(String(7))
    """YYYY-MM"""
    visits: Mapped[int] = mapped_column(BigInteger)


class AudienceCountry(Base):
    """A country's share (0..1) of a domain's visits over a period, as one import gave it."""

    __tablename__ = "audience_country"
    __table_args__ = (Index("ix_audience_country_domain", "domain", "period"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    import_id: Mapped[int] = mapped_column(ForeignKey("audience_import.id", ondelete="CASCADE"), index=True)
    domain: Mapped[str] = mapped_column(String(253))
    period: Mapped[str | None] = mapped_column(String(20))
    """YYYY-MM, or YYYY-MM..YYYY-MM for a range; empty when the export does not say."""
    country: Mapped[str] = mapped_column(String(2))
    """ISO 3166-1 alpha-2"""
    share: Mapped[float] = mapped_column(Float)
    visits: Mapped[int | None] = mapped_column(BigInteger)


class SiteRank(Base):
    """A domain's rank in a published top-sites list (Tranco, Umbrella…) of a given date."""

    __tablename__ = "site_rank"
    __table_args__ = (
        UniqueConstraint("import_id", "domain", name="uq_site_rank_import_domain"),
        Index("ix_site_rank_domain", "domain"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    import_id: Mapped[int] = mapped_column(ForeignKey("audience_import.id", ondelete="CASCADE"))
    list_name: Mapped[str] = mapped_column(String(50))
    list_date: Mapped[dt.date] = mapped_column(Date)
    domain: Mapped[str] = mapped_column(String(253))
    rank: Mapped[int] = mapped_column(Integer)


class ArchiveCapture(Base):
    """One web-archive capture of a platform page that `unmask history` chose, or a failed archive look-up.

    ``timestamp`` is the archive's (YYYYMMDDhhmmss); empty for a row that records a failed CDX query.
    """

    __tablename__ = "archive_capture"
    __table_args__ = (Index("ix_archive_capture_url_timestamp", "url", "timestamp"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    url: Mapped[str] = mapped_column(Text)
    """The platform page asked about (home or listing page)."""
    timestamp: Mapped[str | None] = mapped_column(String(14))
    original: Mapped[str | None] = mapped_column(Text)
    """The URL as the archive captured it."""
    status: Mapped[int | None] = mapped_column(Integer)
    """The archived response's status, as the CDX index gives it."""
    mimetype: Mapped[str | None] = mapped_column(String(200))
    digest: Mapped[str | None] = mapped_column(String(100))
    capture_id: Mapped[int | None] = mapped_column(ForeignKey("capture.id"))
    """Our own fetch of the replay (or of the CDX query, for a failed look-up) as evidence."""
    fetched_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    error: Mapped[str | None] = mapped_column(Text)
    """Why the capture gave nothing (replay 404, not HTML, refused media, CDX failure)."""


class ArchiveObservation(Base):
    """What an archived page showed on its capture date: a catalogue count or a linking ID."""

    __tablename__ = "archive_observation"
    __table_args__ = (Index("ix_archive_observation_kind_date", "kind", "date"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    archive_capture_id: Mapped[int] = mapped_column(
        ForeignKey("archive_capture.id", ondelete="CASCADE"), index=True
    )
    date: Mapped[dt.date] = mapped_column(Date)
    kind: Mapped[str] = mapped_column(String(40))
    """videos | photos | galleries | total | last_page | page_size | linking_id"""
    value: Mapped[int | None] = mapped_column(BigInteger)
    value_text: Mapped[str | None] = mapped_column(Text)
    source: Mapped[str] = mapped_column(String(20))
    """text (a count the page states) | pagination (last page × page size) | regex (tracker IDs) | adapter"""


# -- apps: promoted apps, APKs, store presence, privacy policies (unmask.apps; migration 0011) --------


class App(Base):
    """An app a platform promotes or the investigator added: an Android package or an Apple bundle ID."""

    __tablename__ = "app"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    package: Mapped[str] = mapped_column(String(255), unique=True)
    """The package name (Android) or bundle ID (Apple), or ``apple:ID`` for an Apple ID not yet looked up:
    the app's ID in the entity graph."""
    platform: Mapped[str] = mapped_column(String(10), default="android")
    """android | ios"""
    name: Mapped[str | None] = mapped_column(Text)
    """The name a store listing, an APK label or a banner gives."""
    first_seen: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    last_seen: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class AppPromotion(Base):
    """A link or banner on a stored page of the investigated site that promotes the app."""

    __tablename__ = "app_promotion"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    app_id: Mapped[int | None] = mapped_column(ForeignKey("app.id", ondelete="CASCADE"), index=True)
    """None while the app is not known (a direct APK download not fetched, a deep link)."""
    site: Mapped[str] = mapped_column(String(255), index=True)
    """The host of the page that showed the promotion (the platform in the graph)."""
    page_url: Mapped[str] = mapped_column(Text)
    link: Mapped[str] = mapped_column(Text)
    """The store URL, APK URL, intent or deep link, or the banner's text."""
    kind: Mapped[str] = mapped_column(String(20))
    """play | apple | huawei | samsung | mirror | apk | intent | deeplink | banner"""
    key: Mapped[str] = mapped_column(String(40), unique=True)
    """SHA-1 of page URL and link (the uniqueness key; both can be long)."""
    capture_id: Mapped[int | None] = mapped_column(ForeignKey("capture.id"))
    """The capture of the page that showed it (evidence)."""
    seen_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class AppApk(Base):
    """One APK analysed offline (a file, or a download with --fetch-apk), identified by its SHA-256."""

    __tablename__ = "app_apk"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    app_id: Mapped[int | None] = mapped_column(ForeignKey("app.id", ondelete="CASCADE"), index=True)
    sha256: Mapped[str] = mapped_column(String(64), unique=True)
    size: Mapped[int] = mapped_column(BigInteger)
    version_name: Mapped[str | None] = mapped_column(String(200))
    version_code: Mapped[str | None] = mapped_column(String(40))
    min_sdk: Mapped[int | None] = mapped_column(Integer)
    target_sdk: Mapped[int | None] = mapped_column(Integer)
    label: Mapped[str | None] = mapped_column(Text)
    source: Mapped[str] = mapped_column(Text)
    """The file path or the download URL."""
    capture_id: Mapped[int | None] = mapped_column(ForeignKey("capture.id"))
    """The download's capture (evidence) for a fetched APK."""
    analysed_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    permissions: Mapped[str] = mapped_column(Text, default="[]")
    """JSON list of the permissions the manifest uses."""
    activities: Mapped[str] = mapped_column(Text, default="[]")
    domains: Mapped[str] = mapped_column(Text, default="[]")
    """JSON list of the host names found in the dex strings (a domain is only a domain, not a tracker)."""
    urls: Mapped[str] = mapped_column(Text, default="[]")
    classes: Mapped[int] = mapped_column(Integer, default=0)
    """Class names read from every dex (nested APKs included)."""
    notes: Mapped[str] = mapped_column(Text, default="[]")
    """JSON list of what could not be read and why (an entry over the caps, a tampered manifest…)."""


class AppCertificate(Base):
    """An X.509 signing certificate; two APKs that share one are linked (the strongest developer link)."""

    __tablename__ = "app_certificate"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64), unique=True)
    sha1: Mapped[str] = mapped_column(String(40))
    subject: Mapped[str] = mapped_column(Text)
    issuer: Mapped[str] = mapped_column(Text)
    serial: Mapped[str] = mapped_column(String(100))
    not_before: Mapped[dt.datetime | None] = mapped_column(DateTime)
    not_after: Mapped[dt.datetime | None] = mapped_column(DateTime)
    public_key_sha256: Mapped[str | None] = mapped_column(String(64))
    der: Mapped[str] = mapped_column(Text)
    """The certificate, base64 DER."""


class AppApkCertificate(Base):
    """Which certificate signs an APK under which scheme (v1, v2, v3, v31) or stands in its v3 lineage."""

    __tablename__ = "app_apk_certificate"
    __table_args__ = (
        UniqueConstraint("apk_id", "certificate_id", "scheme", "position", name="uq_app_apk_certificate"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    apk_id: Mapped[int] = mapped_column(ForeignKey("app_apk.id", ondelete="CASCADE"), index=True)
    certificate_id: Mapped[int] = mapped_column(ForeignKey("app_certificate.id"), index=True)
    scheme: Mapped[str] = mapped_column(String(10))
    """v1 | v2 | v3 | v31 | lineage (a certificate of the v3 proof-of-rotation, oldest first)"""
    position: Mapped[int] = mapped_column(Integer, default=0)


class AppApkTracker(Base):
    """A tracker an APK embeds: an Exodus Privacy code signature matched a class name."""

    __tablename__ = "app_apk_tracker"
    __table_args__ = (UniqueConstraint("apk_id", "tracker_id", name="uq_app_apk_tracker"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    apk_id: Mapped[int] = mapped_column(ForeignKey("app_apk.id", ondelete="CASCADE"), index=True)
    tracker_id: Mapped[int] = mapped_column(Integer)
    """The tracker's ID in the Exodus list."""
    name: Mapped[str] = mapped_column(String(200))
    categories: Mapped[str] = mapped_column(Text, default="[]")
    example_class: Mapped[str] = mapped_column(Text)
    """One class name the signature matched (evidence)."""
    matches: Mapped[int] = mapped_column(Integer, default=1)


class AppStoreCheck(Base):
    """One look at one store listing in one storefront (or one web-archive capture of it)."""

    __tablename__ = "app_store_check"
    __table_args__ = (Index("ix_app_store_check_listing", "app_id", "store", "country", "checked_at"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    app_id: Mapped[int] = mapped_column(ForeignKey("app.id", ondelete="CASCADE"))
    store: Mapped[str] = mapped_column(String(20))
    """play | apple"""
    country: Mapped[str] = mapped_column(String(2))
    source: Mapped[str] = mapped_column(String(10), default="store")
    """store (our own check) | archive (a web-archive capture of the listing)"""
    checked_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    status: Mapped[str] = mapped_column(String(20))
    """listed | unavailable (not in this storefront: 404, resultCount 0) | unknown (captcha, error)"""
    reason: Mapped[str | None] = mapped_column(Text)
    url: Mapped[str] = mapped_column(Text)
    http_status: Mapped[int | None] = mapped_column(Integer)
    capture_id: Mapped[int | None] = mapped_column(ForeignKey("capture.id"))
    title: Mapped[str | None] = mapped_column(Text)
    developer: Mapped[str | None] = mapped_column(Text)
    developer_id: Mapped[str | None] = mapped_column(Text)
    seller: Mapped[str | None] = mapped_column(Text)
    email: Mapped[str | None] = mapped_column(Text)
    website: Mapped[str | None] = mapped_column(Text)
    address: Mapped[str | None] = mapped_column(Text)
    privacy_policy: Mapped[str | None] = mapped_column(Text)
    version: Mapped[str | None] = mapped_column(String(200))
    installs: Mapped[str | None] = mapped_column(String(100))
    rating_count: Mapped[int | None] = mapped_column(BigInteger)
    released: Mapped[str | None] = mapped_column(String(60))
    updated: Mapped[str | None] = mapped_column(String(60))


class AppStoreEvent(Base):
    """A change between two checks of one listing: seller renamed, policy URL moved, version bump…"""

    __tablename__ = "app_store_event"
    __table_args__ = (Index("ix_app_store_event_app_at", "app_id", "at"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    app_id: Mapped[int] = mapped_column(ForeignKey("app.id", ondelete="CASCADE"))
    store: Mapped[str] = mapped_column(String(20))
    country: Mapped[str] = mapped_column(String(2))
    check_id: Mapped[int] = mapped_column(ForeignKey("app_store_check.id", ondelete="CASCADE"))
    at: Mapped[dt.datetime] = mapped_column(DateTime)
    field: Mapped[str] = mapped_column(String(40))
    old: Mapped[str | None] = mapped_column(Text)
    new: Mapped[str | None] = mapped_column(Text)


class AppPolicy(Base):
    """One version of a privacy policy as read (fetched page or file): its main text and language."""

    __tablename__ = "app_policy"
    __table_args__ = (Index("ix_app_policy_app_read", "app_id", "read_at"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    app_id: Mapped[int | None] = mapped_column(ForeignKey("app.id", ondelete="CASCADE"))
    source: Mapped[str] = mapped_column(Text)
    """The URL or the file path."""
    read_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    capture_id: Mapped[int | None] = mapped_column(ForeignKey("capture.id"))
    sha256: Mapped[str] = mapped_column(String(64))
    """Of the extracted text (two reads with the same hash are the same version)."""
    language: Mapped[str] = mapped_column(String(10))
    text: Mapped[str] = mapped_column(Text)
    truncated: Mapped[bool] = mapped_column(Boolean, default=False)
    controller: Mapped[str | None] = mapped_column(Text)
    """The data controller the policy names (for the entity graph)."""


class AppPolicySegment(Base):
    """A paragraph of a policy with its OPP-115 categories and data types."""

    __tablename__ = "app_policy_segment"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    policy_id: Mapped[int] = mapped_column(ForeignKey("app_policy.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text)
    categories: Mapped[str] = mapped_column(Text, default="[]")
    data_types: Mapped[str] = mapped_column(Text, default="[]")


class AppPolicySignal(Base):
    """A typed, weighted finding in a policy with its sentence as evidence, and whether it is negated."""

    __tablename__ = "app_policy_signal"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    policy_id: Mapped[int] = mapped_column(ForeignKey("app_policy.id", ondelete="CASCADE"), index=True)
    segment: Mapped[int] = mapped_column(Integer)
    """The position of the segment the sentence is in."""
    kind: Mapped[str] = mapped_column(String(40))
    rule: Mapped[str] = mapped_column(String(100))
    sentence: Mapped[str] = mapped_column(Text)
    negated: Mapped[bool] = mapped_column(Boolean, default=False)
    weight: Mapped[float] = mapped_column(Float)
