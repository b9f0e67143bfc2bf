"""The app route into the graph: the apps a platform promotes, the store accounts that publish them, the
certificates that sign them, and the companies behind them.

Read from the apps stage's tables through the store models (owners never imports apps), written with
:func:`emit` (idempotent: emitting twice moves only ``last_seen``). Run after the platform nodes are in
the graph (``owners emit-case`` does both):

- **App**: source ID = the package name (Android) or bundle ID (Apple), the app's ID for ``owners show``
  and ``owners path``;
- platform → app (``promotes``): one edge per site and app, with the capture of a page that showed it;
- **Account** (a store's developer account, ``{store}:{developer ID or name}``) → app (``publishes``),
  with the listing's developer, seller, e-mail, website and address; account → company
  (``operated_by``) when the seller's or developer's name, the e-mail or the address names a company of
  the graph (``matched_by`` on the edge says which);
- **Certificate** (``cert:{SHA-256}``) → app (``signs``): two apps signed by one certificate meet there;
- app → company (``policy_controller``) when the controller its newest privacy policy names is a company
  of the graph.

All these edges are of kind ``platform``: the platform side of the graph, never ownership or control.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import Connection, func, inspect, select

from unmask.core.store.db import Store
from unmask.core.store.models import (
    App,
    AppApk,
    AppApkCertificate,
    AppCertificate,
    AppPolicy,
    AppPromotion,
    AppStoreCheck,
    Platform,
)
from unmask.owners.emit import emit
from unmask.owners.names import normalize_name
from unmask.owners.query import ADDRESS, ENTITY, IDENT, _name_candidates, canonical_entity
from unmask.owners.specs import EdgeSpec, NodeSpec, Ref, address_key

KIND = "platform"
COMPANY_SCHEMAS: tuple[str, ...] = ("Company", "Organization", "LegalEntity", "PublicBody")
"""Entities an account or a policy's controller may resolve to."""
MAX_ADDRESS_MATCHES = 5
"""An address shared by more companies than this (a registered agent's) links none of them."""
MIN_NAME_CHARS = 4
"""A normalised name shorter than this is too generic to resolve on."""


def emit_apps(store: Store) -> tuple[int, int]:
    """Bring the case's apps, store accounts and certificates into the graph (idempotent); returns (new
    entities, new edges). Nothing happens in a case without the apps tables or apps."""
    with store.engine.connect() as conn:
        if not inspect(conn).has_table(App.__tablename__):
            return 0, 0
        records = list(app_records(conn))
    if not records:
        return 0, 0
    return emit(store, records, label="case:apps")


@dataclass
class _Account:
    source_id: str
    store: str
    name: str | None
    facts: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    apps: dict[str, tuple[int | None, dt.datetime, dt.datetime]] = field(default_factory=dict)
    """package → (capture of the newest check, first and last check)"""


def app_records(conn: Connection) -> Iterator[NodeSpec | EdgeSpec]:
    """The graph records of the app route, nodes before the edges that name them."""
    apps = {
        row.id: row
        for row in conn.execute(select(App.id, App.package, App.name, App.platform, App.first_seen))
    }
    if not apps:
        return
    for app in apps.values():
        yield NodeSpec(
            "App",
            app.package,
            app.name or app.package,
            {"platform": [app.platform], "package": [app.package]},
            [("app", app.package)],
            first_seen=app.first_seen,
        )
    yield from _promotions(conn, apps)
    accounts = _accounts(conn, apps)
    companies = _Companies(conn)
    for account in accounts:
        yield NodeSpec(
            "Account",
            account.source_id,
            account.name,
            {key: sorted(values) for key, values in account.facts.items() if values},
        )
        for package, (capture_id, first, last) in account.apps.items():
            yield EdgeSpec(
                KIND,
                Ref(account.source_id),
                Ref(package),
                role="publishes",
                capture_id=capture_id,
                first_seen=first,
                last_seen=last,
            )
        for company_id, reasons in companies.match(account.facts).items():
            yield EdgeSpec(
                KIND,
                Ref(account.source_id),
                company_id,
                role="operated_by",
                properties={"matched_by": reasons},
            )
    yield from _certificates(conn, apps)
    yield from _controllers(conn, apps, companies)


def _promotions(conn: Connection, apps: dict[int, Any]) -> Iterator[EdgeSpec]:
    platforms: dict[str, int] = {}
    bases = {row.base_url: _site(row.base_url) for row in conn.execute(select(Platform.base_url))}
    if bases:
        found = conn.execute(
            select(ENTITY.c.source_id, ENTITY.c.id).where(
                ENTITY.c.schema == "Platform", ENTITY.c.source_id.in_(list(bases)), canonical_entity(ENTITY)
            )
        )
        platforms = {bases[source_id]: int(eid) for source_id, eid in found}
    rows = conn.execute(
        select(
            AppPromotion.site,
            AppPromotion.app_id,
            func.min(AppPromotion.capture_id),
            func.min(AppPromotion.seen_at),
            func.max(AppPromotion.seen_at),
        )
        .where(AppPromotion.app_id.is_not(None))
        .group_by(AppPromotion.site, AppPromotion.app_id)
    )
    for site, app_id, capture_id, first, last in rows:
        platform = platforms.get(str(site).lower())
        if platform is None or app_id not in apps:
            continue  # a site that is not a platform of the case (its node is emitted by emit_case)
        yield EdgeSpec(
            KIND,
            platform,
            Ref(apps[app_id].package),
            role="promotes",
            capture_id=capture_id,
            first_seen=first,
            last_seen=last,
        )


def _site(base_url: str) -> str:
    """The ``app_promotion.site`` of a platform's pages: host[:port] as the page URL writes it."""
    return urlsplit(base_url).netloc.lower()


ACCOUNT_FACTS: tuple[str, ...] = ("developer", "seller", "email", "website", "address")


def _accounts(conn: Connection, apps: dict[int, Any]) -> list[_Account]:
    """One account per store and developer seen in a listed check (a renamed developer is another
    account, both linked: that is the history)."""
    accounts: dict[str, _Account] = {}
    checks = conn.execute(
        select(
            AppStoreCheck.app_id,
            AppStoreCheck.store,
            AppStoreCheck.developer_id,
            AppStoreCheck.capture_id,
            AppStoreCheck.checked_at,
            *(getattr(AppStoreCheck, name) for name in ACCOUNT_FACTS),
        )
        .where(AppStoreCheck.status == "listed")
        .order_by(AppStoreCheck.checked_at, AppStoreCheck.id)
    )
    for check in checks:
        key = check.developer_id or check.developer or check.seller
        if not key or check.app_id not in apps:
            continue
        source_id = f"{check.store}:{key}"
        account = accounts.get(source_id)
        if account is None:
            account = accounts[source_id] = _Account(source_id, check.store, None)
            account.facts["store"].add(check.store)
        account.name = check.developer or check.seller or account.name
        for name in ACCOUNT_FACTS:
            value = getattr(check, name)
            if value:
                account.facts[name].add(str(value))
        package = apps[check.app_id].package
        first = account.apps[package][1] if package in account.apps else check.checked_at
        account.apps[package] = (check.capture_id, first, check.checked_at)
    return list(accounts.values())


def _certificates(conn: Connection, apps: dict[int, Any]) -> Iterator[NodeSpec | EdgeSpec]:
    rows = conn.execute(
        select(
            AppCertificate.sha256,
            AppCertificate.subject,
            AppCertificate.issuer,
            AppApk.app_id,
            AppApkCertificate.scheme,
            AppApk.capture_id,
        )
        .join(AppApkCertificate, AppApkCertificate.certificate_id == AppCertificate.id)
        .join(AppApk, AppApk.id == AppApkCertificate.apk_id)
        .where(AppApk.app_id.is_not(None))
        .order_by(AppCertificate.sha256, AppApk.app_id)
    )
    signs: dict[tuple[str, str], tuple[set[str], int | None]] = {}
    emitted: set[str] = set()
    for sha256, subject, issuer, app_id, scheme, capture_id in rows:
        if app_id not in apps:
            continue
        source_id = f"cert:{sha256}"
        if source_id not in emitted:
            emitted.add(source_id)
            props = {"sha256": [sha256], "subject": [subject], "issuer": [issuer]}
            yield NodeSpec("Certificate", source_id, subject or sha256, props, [("sha256", sha256)])
        schemes, _capture = signs.setdefault((source_id, apps[app_id].package), (set(), capture_id))
        schemes.add(scheme)
    for (source_id, package), (schemes, capture_id) in signs.items():
        yield EdgeSpec(
            KIND,
            Ref(source_id),
            Ref(package),
            role="signs",
            capture_id=capture_id,
            properties={"schemes": sorted(schemes)},
        )


def _controllers(conn: Connection, apps: dict[int, Any], companies: _Companies) -> Iterator[EdgeSpec]:
    """The controller named in each app's newest policy that names one, resolved by name."""
    newest = (
        select(AppPolicy.app_id, func.max(AppPolicy.read_at).label("read_at"))
        .where(AppPolicy.app_id.is_not(None), AppPolicy.controller.is_not(None))
        .group_by(AppPolicy.app_id)
        .subquery()
    )
    rows = conn.execute(
        select(AppPolicy.app_id, AppPolicy.controller, AppPolicy.source, AppPolicy.capture_id).join(
            newest, (newest.c.app_id == AppPolicy.app_id) & (newest.c.read_at == AppPolicy.read_at)
        )
    )
    for app_id, controller, source, capture_id in rows:
        if app_id not in apps:
            continue
        for company_id in companies.by_name([str(controller)]):
            yield EdgeSpec(
                KIND,
                Ref(apps[app_id].package),
                company_id,
                role="policy_controller",
                capture_id=capture_id,
                properties={"controller": controller, "policy": source},
            )


class _Companies:
    """Companies of the graph (current, not merged) found by a name (normalised as the ID resolver does:
    legal forms, case and punctuation aside), an e-mail identifier or an address key."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def match(self, facts: dict[str, set[str]]) -> dict[int, list[str]]:
        """Companies named by these listing facts, each with what matched (name, email, address)."""
        found: dict[int, set[str]] = defaultdict(set)
        for company_id in self.by_name([*facts.get("seller", ()), *facts.get("developer", ())]):
            found[company_id].add("name")
        for company_id in self.by_email(facts.get("email", ())):
            found[company_id].add("email")
        for company_id in self.by_address(facts.get("address", ())):
            found[company_id].add("address")
        return {company_id: sorted(reasons) for company_id, reasons in sorted(found.items())}

    def _companies(self, ids: Iterable[int], *, at_most: int | None = None) -> list[int]:
        wanted = sorted(set(ids))
        if not wanted:
            return []
        rows = self.conn.execute(
            select(ENTITY.c.id).where(
                ENTITY.c.id.in_(wanted), ENTITY.c.schema.in_(COMPANY_SCHEMAS), canonical_entity(ENTITY)
            )
        )
        found = sorted(int(eid) for (eid,) in rows)
        return [] if at_most is not None and len(found) > at_most else found

    def by_name(self, names: Iterable[str]) -> list[int]:
        ids: set[int] = set()
        for name in {n for n in names if len(normalize_name(n)) >= MIN_NAME_CHARS}:
            ids.update(_name_candidates(self.conn, name))
        return self._companies(ids)

    def by_email(self, emails: Iterable[str]) -> list[int]:
        wanted = sorted({e.strip().lower() for e in emails if "@" in e})
        if not wanted:
            return []
        rows = self.conn.execute(
            select(IDENT.c.entity_id).where(IDENT.c.scheme == "email", func.lower(IDENT.c.value).in_(wanted))
        )
        return self._companies(int(eid) for (eid,) in rows)

    def by_address(self, addresses: Iterable[str]) -> list[int]:
        out: set[int] = set()
        for key in sorted({address_key(a) for a in addresses if a.strip()}):
            rows = self.conn.execute(select(ADDRESS.c.entity_id).where(ADDRESS.c.key == key))
            out.update(self._companies((int(eid) for (eid,) in rows), at_most=MAX_ADDRESS_MATCHES))
        return sorted(out)
