"""A report section as one record: its key, the stage it needs, how it gathers, how it renders, and the
sentences it adds to the summary. The report runs the sections whose stage ran and names the others in
the summary ("not examined") and the methodology; adding a section is one record in
:data:`unmask.report.sections.SECTIONS`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from concurrent.futures import Future
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from unmask.core.case import Case
from unmask.core.privacy import PrivacyPolicy
from unmask.core.store.models import ArchiveObservation, AudienceImport, CrawlRun
from unmask.report.evidence import EvidenceIndex
from unmask.report.i18n import Lang
from unmask.report.page import Html, Page


@dataclass(frozen=True)
class Stage:
    """A stage of unmask whose data a section shows: its name (its texts are ``stage.NAME.name`` and
    ``stage.NAME.how`` in the language files) and how to tell that it ran (a quick existence check)."""

    name: str
    table: Callable[[], Any]
    """Returns a column of the stage's table (imported when asked: a stage is loaded only when needed)."""

    def ran(self, session: Session) -> bool:
        try:
            return session.scalar(select(self.table()).limit(1)) is not None
        except DBAPIError:  # a store without the stage's tables
            session.rollback()
            return False


def _infra_observation() -> Any:
    from unmask.infra.tables import InfraObservation

    return InfraObservation.id


def _app() -> Any:
    from unmask.core.store.models import App

    return App.id


def _owner_entity() -> Any:
    from unmask.owners.tables import OwnerEntity

    return OwnerEntity.id


CENSUS = Stage("census", lambda: CrawlRun.id)
HISTORY = Stage("history", lambda: ArchiveObservation.id)
AUDIENCE = Stage("audience", lambda: AudienceImport.id)
INFRA = Stage("infra", _infra_observation)
APPS = Stage("apps", _app)
OWNERS = Stage("owners", _owner_entity)
STAGES = (CENSUS, HISTORY, AUDIENCE, INFRA, APPS, OWNERS)
"""The stages the report names when they did not run, in this order (a section's stage joins them)."""


@dataclass
class Context:
    """What gathering reads: the case, its privacy policy, the language, and the shared computations
    (figures, analysis, methodology, evidence index), each computed once (the slow ones started early
    on their own connections)."""

    case: Case
    policy: PrivacyPolicy
    lang: Lang
    futures: dict[str, Future[Any]] = field(default_factory=dict)
    stages: dict[str, bool] = field(default_factory=dict)
    """Which stages left data in the case, by name (the report fills it first: :func:`stages_run`)."""
    skipped: list[tuple[str, str]] = field(default_factory=list)
    """(section key, stage) of each section left out because its stage did not run."""
    values: dict[str, Any] = field(default_factory=dict)

    def shared(self, name: str, compute: Callable[[], Any]) -> Any:
        """The shared value ``name``: the result of the computation started for it, or computed now."""
        if name not in self.values:
            future = self.futures.get(name)
            self.values[name] = future.result() if future is not None else compute()
        return self.values[name]

    @property
    def figures(self) -> dict[str, Any]:
        from unmask.analysis.figures import FigureOptions, compute_figures

        figures: dict[str, Any] = self.shared(
            "figures", lambda: compute_figures(self.case.store, FigureOptions(privacy=self.policy))
        )
        return figures

    @property
    def methodology(self) -> dict[str, Any]:
        from unmask.report.methodology import methodology

        method: dict[str, Any] = self.shared(
            "methodology", lambda: methodology(self.case, policy=self.policy)
        )
        return method

    @property
    def evidence(self) -> EvidenceIndex:
        from unmask.report.evidence import evidence_index

        index: EvidenceIndex = self.shared("evidence", lambda: evidence_index(self.case, policy=self.policy))
        return index

    @property
    def analysis(self) -> dict[str, Any]:
        from unmask.report.methodology import analysis

        parts: dict[str, Any] = self.shared(
            "analysis", lambda: analysis(self.case, self.policy, self.methodology["runs"])
        )
        return parts

    @cached_property
    def last_run(self) -> dict[str, Any] | None:
        runs = self.methodology["runs"]
        return runs[-1] if runs else None

    @cached_property
    def census_source(self) -> str:
        """The source line of census charts: the platform and the latest run."""
        run = self.last_run
        if run is None:
            return self.lang.t("source.census_none")
        when = run["finished"] or run["started"]
        return self.lang.t(
            "source.census",
            url=run["start_url"],
            run=run["run"],
            status=self.lang.status(run["status"]),
            date=self.lang.date(when),
        )


def stages_run(case: Case, stages: Iterable[Stage] = STAGES) -> dict[str, bool]:
    """Per stage (by name), whether the case holds its data."""
    with case.store.session() as s:
        return {stage.name: stage.ran(s) for stage in dict.fromkeys(stages)}


def verdict(figures: dict[str, Any], runs: list[dict[str, Any]]) -> tuple[bool, list[str]]:
    """Whether the latest census run (of each platform) is complete, and why not: as `stats --json` says
    (``complete``, ``incomplete_reasons``), else from the runs' status."""
    if "complete" in figures:
        return bool(figures["complete"]), [str(r) for r in figures.get("incomplete_reasons") or []]
    latest: dict[Any, dict[str, Any]] = {}
    for run in runs:
        latest[run["platform_id"]] = run
    unfinished = [r for r in latest.values() if r["status"] != "complete"]
    return not unfinished, [
        f"run #{r['run']} {r['status']}" + (f": {r['message']}" if r["message"] else "") for r in unfinished
    ]


@dataclass(frozen=True)
class Finding:
    """One sentence of the summary: HTML with its numbers, the section it comes from, its evidence."""

    section: str
    sentence: Html
    evidence: str = ""
    """A link to the evidence appendix (HTML), or nothing."""


Gather = Callable[[Context], Any]
Render = Callable[[Any, Page], str]
Summarise = Callable[[Any, Page], list[Finding]]


def no_findings(_data: Any, _page: Page) -> list[Finding]:
    return []


@dataclass(frozen=True)
class Section:
    key: str
    """The section's anchor; its title is the text ``section.KEY`` of the language."""
    needs: Stage | None
    """The stage whose data it shows; None: always shown."""
    gather: Gather
    render: Render
    findings: Summarise = no_findings
    renders_last: bool = False
    """Rendered after every other section and the summary (the evidence appendix lists what they cite)."""
