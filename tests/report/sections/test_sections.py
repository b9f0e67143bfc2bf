"""Sections are records: a stage adds its section in one place, and the report leaves out (and names)
every section whose stage did not run."""

from __future__ import annotations

from typing import Any

import pytest

from tests.report.test_html_report import load_hostile_case
from unmask.core.case import Case
from unmask.report import html
from unmask.report.page import Page
from unmask.report.sections import SECTIONS, Context, Finding, Section
from unmask.report.sections.base import CENSUS, STAGES, Stage, stages_run


def _gather(ctx: Context) -> dict[str, Any]:
    return {"videos": ctx.figures["videos"]}


def _render(data: dict[str, Any], page: Page) -> str:
    return f"<p>{page.num(data['videos'], 'new_section_videos')} videos, said by a new section</p>"


def _findings(data: dict[str, Any], page: Page) -> list[Finding]:
    return [Finding("marketplace", page.t("growth.no_dates"))]


@pytest.mark.slow
def test_a_new_section_is_one_record(sqlite_case: Case, monkeypatch: pytest.MonkeyPatch) -> None:
    load_hostile_case(sqlite_case)
    new = Section("marketplace", CENSUS, _gather, _render, _findings)
    monkeypatch.setattr(html, "SECTIONS", (*SECTIONS[:-2], new, *SECTIONS[-2:]))
    monkeypatch.setitem(html.language("en").texts, "section.marketplace", "Marketplace")
    text = html.write_report(sqlite_case, sqlite_case.root / "r.html").read_text(encoding="utf-8")
    section = text[text.index('<section id="marketplace">') :]
    assert section.startswith('<section id="marketplace"><h2>Marketplace</h2><p><data value="2"')
    assert '<a href="#marketplace">Marketplace</a>' in text  # in the navigation and the summary
    assert text.index('id="marketplace"') < text.index('id="methodology"')


def test_sections_of_stages_that_did_not_run_are_left_out_and_named(sqlite_case: Case) -> None:
    assert stages_run(sqlite_case) == {stage.name: False for stage in STAGES}
    text = html.write_report(sqlite_case, sqlite_case.root / "empty.html").read_text(encoding="utf-8")
    shown = [s.key for s in SECTIONS if f'<section id="{s.key}">' in text]
    assert shown == ["methodology", "evidence"]
    assert "No stage has left data in this case yet." in text
    for stage in STAGES:  # each stage named with the command that runs it
        assert html.language("en").t(f"stage.{stage.name}.how").replace("'", "&#x27;") in text
    for key in ("growth", "targets", "audience", "infrastructure", "owners"):
        assert f"{html.language('en').t(f'section.{key}')}: not included" in text


def test_every_section_has_a_title_in_every_language() -> None:
    from unmask.report.i18n import LANGS, language

    for code in LANGS:
        for section in SECTIONS:
            assert language(code).t(f"section.{section.key}")
        assert all(section.needs is None or isinstance(section.needs, Stage) for section in SECTIONS)


def test_a_section_of_a_new_stage_brings_the_stage(
    sqlite_case: Case, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A stage the report did not know (its table empty here) is probed and named like the others."""
    from unmask.core.store.models import ArchiveObservation, Capture

    load_hostile_case(sqlite_case)
    marketplace = Stage("marketplace", lambda: Capture.id)  # any table with rows: the stage "ran"
    never = Stage("forum", lambda: ArchiveObservation.id)  # a table without rows in this case: did not run
    new = Section("market", marketplace, _gather, _render)
    later = Section("forum", never, _gather, _render)
    monkeypatch.setattr(html, "SECTIONS", (*SECTIONS[:-2], new, later, *SECTIONS[-2:]))
    texts = {
        "section.market": "Market",
        "section.forum": "Forum",
        "stage.forum.name": "the forum",
        "stage.forum.how": "unmask forum crawl URL",
    }
    for key, text in texts.items():
        monkeypatch.setitem(html.language("en").texts, key, text)
    text = html.write_report(sqlite_case, sqlite_case.root / "r.html").read_text(encoding="utf-8")
    assert '<section id="market">' in text and '<section id="forum">' not in text
    assert "Forum: not included, because the forum did not run in this case (unmask forum crawl URL)" in text
