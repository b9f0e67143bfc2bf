"""The infrastructure pages: the scanned domains, and one domain's changes, timeline and failed look-ups.

Changes and the timeline are the infra stage's own (``infra.changes.changes``, ``infra.timeline.spans``, as
`unmask infra changes` and `infra timeline`); the failed look-ups are the rows the scan stored for them
(``infra_failure``, written by ``infra.storage.store_results``): a failure is a result, so the page lists
each one with its time, source and error, and counts them per source.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select
from starlette.requests import Request
from starlette.responses import Response

from unmask.core.store import Store

if TYPE_CHECKING:
    from unmask.web.views import Pages

FAILURES_SHOWN = 200
"""Failed look-ups listed per source, newest first (all are counted)."""


@dataclass(frozen=True)
class FailedLookup:
    time: dt.datetime
    scan_id: int
    subject: str
    error: str


@dataclass(frozen=True)
class SourceFailures:
    source: str
    count: int
    """Every failed look-up of this source stored for the domain."""
    latest: list[FailedLookup]
    """The newest :data:`FAILURES_SHOWN`."""


def domain_failures(store: Store, domain: str, shown: int = FAILURES_SHOWN) -> list[SourceFailures]:
    """The domain's failed look-ups per source (most failures first): their count and the newest ones."""
    from unmask.infra.tables import InfraFailure as F

    with store.session() as s:
        counts = s.execute(
            select(F.source, func.count())
            .where(F.domain == domain)
            .group_by(F.source)
            .order_by(func.count().desc(), F.source)
        ).all()
        found = []
        for source, count in counts:
            rows = s.execute(
                select(F.time, F.scan_id, F.subject, F.error)
                .where(F.domain == domain, F.source == source)
                .order_by(F.time.desc(), F.id.desc())
                .limit(shown)
            ).all()
            found.append(SourceFailures(source, int(count), [FailedLookup(*row) for row in rows]))
    return found


def failures_by_domain(store: Store) -> dict[str, int]:
    """Failed look-ups stored per domain."""
    from unmask.infra.tables import InfraFailure as F

    with store.session() as s:
        return {d: int(n) for d, n in s.execute(select(F.domain, func.count()).group_by(F.domain))}


class InfraPages:
    def __init__(self, pages: Pages) -> None:
        self.pages = pages

    def page(self, request: Request) -> Response:
        from unmask.infra.tables import InfraObservation

        pages = self.pages
        opened = pages.open(request)
        store = opened.case.store
        with store.session() as s:
            domains = list(
                s.scalars(select(InfraObservation.domain).distinct().order_by(InfraObservation.domain))
            )
        failed = failures_by_domain(store)
        return pages.render(
            request,
            "infra.html",
            case=opened,
            domains=[(d, failed.get(d, 0)) for d in sorted(set(domains) | set(failed))],
            case_domains=pages.runs.case_domains(opened),
            jobs=[j for j in pages.jobs.of_case(opened.slug) if j.kind == "infra"],
        )

    def domain(self, request: Request) -> Response:
        from unmask.core.labels import label
        from unmask.infra.changes import changes
        from unmask.infra.timeline import spans

        pages = self.pages
        opened = pages.open(request)
        policy = opened.policy()
        domain = request.path_params["domain"].strip().lower()[:253]
        kinds: dict[str, list[Any]] = {}
        for span in spans(opened.case.store, domain):
            kinds.setdefault(span.kind, []).append(span)
        events = [c.as_dict() for c in changes(opened.case.store, domain)]
        failures = [
            {
                "source": f.source,
                "count": f.count,
                "latest": [{**vars(x), "error": policy.redact(x.error)} for x in f.latest],
            }
            for f in domain_failures(opened.case.store, domain)
        ]
        return pages.render(
            request,
            "infra_domain.html",
            case=opened,
            domain=domain,
            kinds=[(label("infra_kind", k), v) for k, v in kinds.items()],
            changes=[{**e, "label": label("infra_change", e["kind"])} for e in events],
            failures=failures,
            failed=sum(f["count"] for f in failures),
        )
