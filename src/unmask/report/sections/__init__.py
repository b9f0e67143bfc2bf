"""The report's sections, in the order the report shows them: one record each (see base.Section).

A stage adds its section here, in one place: a key (its title is ``section.KEY`` in the language files),
the stage it needs (a base.Stage: its name and a column whose rows say it ran), and its gather, render
and findings functions.
"""

from __future__ import annotations

from unmask.report.sections import (
    appendix,
    apps,
    audience,
    census,
    forum,
    growth,
    infrastructure,
    methodology,
    owners,
)
from unmask.report.sections.base import APPS, AUDIENCE, CENSUS, INFRA, OWNERS, Context, Finding, Section

SECTIONS: tuple[Section, ...] = (
    Section("growth", CENSUS, growth.gather, growth.render, growth.findings),
    Section("targets", CENSUS, census.gather_targets, census.render_targets, census.findings_targets),
    Section(
        "concentration",
        CENSUS,
        census.gather_concentration,
        census.render_concentration,
        census.findings_concentration,
    ),
    Section("distributions", CENSUS, census.gather_distributions, census.render_distributions),
    Section("audience", AUDIENCE, audience.gather, audience.render, audience.findings),
    Section("infrastructure", INFRA, infrastructure.gather, infrastructure.render, infrastructure.findings),
    Section("apps", APPS, apps.gather, apps.render, apps.findings),
    Section("owners", OWNERS, owners.gather, owners.render, owners.findings),
    Section("forum", forum.FORUM, forum.gather, forum.render, forum.findings),
    Section("methodology", None, methodology.gather, methodology.render),
    Section("evidence", None, appendix.gather, appendix.render, renders_last=True),
)

__all__ = ["SECTIONS", "Context", "Finding", "Section"]
