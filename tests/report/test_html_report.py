"""`unmask report`: one self-contained HTML file, values escaped, pseudonyms by default, evidence links."""

from __future__ import annotations

import datetime as dt
import json
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
import typer
from sqlalchemy import update
from typer.testing import CliRunner

from tests.helpers.cases import census_run, record
from unmask.analysis.analyze import load_results
from unmask.census.model import ItemKind, Link, PageKind, PersonRef
from unmask.census.writer import PageCommit
from unmask.cli.report import report
from unmask.core.case import Case
from unmask.core.privacy import pseudonym, record_public_figures
from unmask.core.store.models import (
    ArchiveCapture,
    ArchiveObservation,
    AudienceCountry,
    AudienceImport,
    AudienceVisits,
    Capture,
)
from unmask.report.evidence import full_list_path
from unmask.report.graph import script_csp_source
from unmask.report.html import write_report
from unmask.report.sections import SECTIONS

BASE = "http://127.0.0.1:1"
XSS = "<script>alert(1)</script>"
ATTR = "\"'><img src=x>"
HOSTILE = f"{XSS}{ATTR}"


def load_hostile_case(case: Case) -> None:
    """A platform whose names, tags and titles are hostile markup; a sitemap and a listing as evidence;
    one removed item; audience estimates for the domain."""
    options = {"adapter": f"a{XSS}", "delay": 0.0, "concurrency": 4}
    w = census_run(case, BASE, name=f"plat{HOSTILE}", adapter=f"adapter{ATTR}", options=options)
    with case.store.session() as s:
        caps = [
            Capture(run_id=w.run_id, url=f"{BASE}/sitemap.xml?q={ATTR}", status=200, payload_sha256="a" * 64,
                    warc_file="warc/t-1.warc.gz", warc_offset=0, warc_length=900),
            Capture(run_id=w.run_id, url=f"{BASE}/videos?page=1", status=200, payload_sha256="b" * 64,
                    warc_file="warc/t-1.warc.gz", warc_offset=900, warc_length=700),
        ]  # fmt: skip
        s.add_all(caps)
        s.flush()
        cap_ids = [c.id for c in caps]
    ana = PersonRef(f"Ana Vel{XSS}", public_figure=True)
    bo = PersonRef("Bo Rin")
    evil = PersonRef(f"Cy{ATTR}")
    sitemap, listing = w.seed(
        [Link(BASE + "/sitemap.xml", PageKind.SITEMAP), Link(BASE + "/videos?page=1", PageKind.LISTING)]
    )
    items = [
        record(ItemKind.VIDEO, 1, title=HOSTILE, duration=600.0, views=100, upload_date=dt.date(2020, 1, 5),
             uploader=f"u{XSS}", persons=[ana, bo], tags=[HOSTILE, "x"]),
        record(ItemKind.VIDEO, 2, title="t2", duration=1900.0, views=5000, upload_date=dt.date(2021, 3, 1),
             uploader="u2", persons=[ana, evil], tags=["x"]),
        record(ItemKind.PHOTO, 3, views=7, upload_date=dt.date(2020, 2, 2), uploader="u1", persons=[bo]),
        record(ItemKind.VIDEO, 4, views=9, upload_date=dt.date(2020, 2, 9), uploader="u2"),
    ]  # fmt: skip
    w.commit(PageCommit(sitemap, cap_ids[0], items=items[:2]))
    w.commit(PageCommit(listing, cap_ids[1], items=items[2:]))
    w.mark_item_gone(ItemKind.VIDEO, "4")
    with case.store.session() as s:
        imp = AudienceImport(file_name=f"visits{XSS}.csv", sha256="c" * 64, layout="monthly", rows=4)
        s.add(imp)
        s.flush()
        for month, visits in (("2024-01", 100), ("2024-02", 900), ("2024-03", 800), ("2024-04", 700)):
            s.add(AudienceVisits(import_id=imp.id, domain="127.0.0.1", month=month, visits=visits))
        s.add(
            AudienceCountry(import_id=imp.id, domain="127.0.0.1", period="2024-04", country="US", share=0.4)
        )
    record_public_figures(case.store, [f"Ana Vel{XSS}"])  # the investigator's list names Ana


class _Refs(HTMLParser):
    """Every tag, every URL-bearing attribute, and the text of <style> and style attributes."""

    URL_ATTRS = {
        "src",
        "href",
        "xlink:href",
        "action",
        "formaction",
        "poster",
        "srcset",
        "data",
        "background",
    }

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.urls: list[str] = []
        self.styles: list[str] = []
        self.ids: set[str] = set()
        self.meta: list[dict[str, str | None]] = []
        self._in_style = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self._in_style = tag == "style"
        for name, value in attrs:
            if name in self.URL_ATTRS and value is not None:
                self.urls.append(value)
            if name == "style" and value:
                self.styles.append(value)
            if name == "id" and value:
                self.ids.add(value)
        if tag == "meta":
            self.meta.append(dict(attrs))

    def handle_endtag(self, tag: str) -> None:
        self._in_style = False

    def handle_data(self, data: str) -> None:
        if self._in_style:
            self.styles.append(data)


def _parse(text: str) -> _Refs:
    refs = _Refs()
    refs.feed(text)
    return refs


def _external(url: str) -> bool:
    return bool(re.match(r"\s*(https?:|//|ftp:|wss?:)", url, re.IGNORECASE))


def test_report_is_self_contained_escaped_and_complete(case: Case) -> None:
    load_hostile_case(case)
    assert load_results(case.store) == {}  # no `unmask analyze` before the report
    path = write_report(case, case.root / "report.html")
    text = path.read_text(encoding="utf-8")
    refs = _parse(text)

    # nothing to load from anywhere: no script, no external URL in attributes or CSS; the only absolute
    # links are those a reader follows to replay a capture in `unmask evidence serve` on loopback
    assert "script" not in refs.tags and "img" not in refs.tags and "iframe" not in refs.tags
    external = [u for u in refs.urls if _external(u)]
    assert external and all(re.fullmatch(r"http://127\.0\.0\.1:8642/capture/\d+", u) for u in external)
    assert all(f'<a href="{u}">replay</a>' in text for u in external)
    css_urls = [u for style in refs.styles for u in re.findall(r"url\(\s*['\"]?([^'\")]*)", style)]
    assert [u for u in css_urls if not u.startswith("data:")] == []
    assert "@import" not in text
    csp = [
        m["content"] for m in refs.meta if (m.get("http-equiv") or "").lower() == "content-security-policy"
    ]
    assert csp == [
        f"default-src 'none'; style-src 'unsafe-inline'; img-src data:; script-src {script_csp_source()}"
    ]

    # hostile values appear only escaped
    assert XSS not in text and ATTR not in text and "<img src=x>" not in text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text
    assert "&quot;&#x27;&gt;&lt;img src=x&gt;" in text

    # every section whose stage ran, the others named as not included; charts as inline SVG
    assert {s.key for s in SECTIONS if s.needs in (None, "census", "audience")} | {"summary"} <= refs.ids
    assert "infrastructure" not in refs.ids and "owners" not in refs.ids
    assert "unmask infra scan DOMAIN" in text and "unmask owners import FILE" in text
    assert text.count("<svg") >= 6  # uploads, catalogue, views per year, durations, visits, world map
    assert "Gini" in text and "best three months" in text and "40.0 %" in text
    assert "<td>United States</td><td>US</td>" in text

    # pseudonyms by default; public figures by name
    assert "Bo Rin" not in text and pseudonym("Bo Rin", case.config.secret) in text
    assert "Ana Vel&lt;script&gt;" in text

    # evidence: figures cite stable references (capture, URL, time, SHA-256) in the appendix, each with a
    # relative link to its WARC record; the full list of captures is a file beside the report
    warc = [u for u in refs.urls if ".warc.gz" in u]
    assert "evidence/warc/t-1.warc.gz#offset=0" in warc
    assert {"cap-1", "evidence", "runs"} <= refs.ids
    assert all(u[1:] in refs.ids for u in refs.urls if u.startswith("#"))
    appendix = text[text.index('id="cap-1"') :]
    assert (
        "a" * 64 in appendix[:2000] and "sitemap.xml?q=&quot;&#x27;&gt;&lt;img src=x&gt;" in appendix[:2000]
    )
    listing = full_list_path(path).read_text(encoding="utf-8").splitlines()
    assert listing[0].startswith("capture_id,kind,url,requested_at,status,sha256")
    assert [line.split(",")[:2] for line in listing[1:]] == [["1", "sitemap"], ["2", "listing"]]
    assert "full list" in text and "report.evidence.csv" in refs.urls

    # methodology from the case: run, frontier kinds, settings, limitations
    assert "sitemap: 1 done" in text and "listing: 1 done" in text
    assert "robots.txt obeyed" in text and "never read on their own page" in text
    assert "Items marked removed: 1." in text


def test_the_full_evidence_list_hides_names_in_urls(case: Case) -> None:
    """A capture's URL may spell a depicted person's name: the list beside the report shows the pseudonym."""
    load_hostile_case(case)
    with case.store.session() as s:
        s.execute(update(Capture).where(Capture.id == 2).values(url=f"{BASE}/model/bo-rin?page=1"))
        s.commit()
    report = write_report(case, case.root / "reports" / "r.html")
    listing = full_list_path(report).read_text(encoding="utf-8")
    assert "bo-rin" not in listing.lower() and pseudonym("Bo Rin", case.config.secret) in listing
    assert full_list_path(report).stat().st_mode & 0o077 == 0  # inside the case: private like its files


def test_real_names_on_request_and_links_relative_to_the_report(case: Case, tmp_path: Path) -> None:
    load_hostile_case(case)
    path = write_report(case, tmp_path / "out" / "r.html", real_names=True)
    text = path.read_text(encoding="utf-8")
    assert "Bo Rin" in text and pseudonym("Bo Rin", case.config.secret) not in text
    assert 'href="../case/evidence/warc/t-1.warc.gz#offset=0"' in text


def _cli() -> typer.Typer:
    app = typer.Typer()
    app.command()(report)
    return app


@pytest.mark.slow
def test_cli_writes_the_report_and_prints_json(case: Case, tmp_path: Path) -> None:
    load_hostile_case(case)
    out = tmp_path / "report.html"
    res = CliRunner().invoke(_cli(), ["--case", str(case.root), "-o", str(out), "--json"])
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    assert data == {
        "report": str(out),
        "bytes": out.stat().st_size,
        "evidence": str(tmp_path / "report.evidence.csv"),
    }
    assert pseudonym("Bo Rin", case.config.secret) in out.read_text(encoding="utf-8")
    res = CliRunner().invoke(_cli(), ["--case", str(case.root), "-o", str(out), "--real-names"])
    assert res.exit_code == 0, res.output
    assert "Bo Rin" in out.read_text(encoding="utf-8")
    assert CliRunner().invoke(_cli(), ["--case", str(case.root)]).exit_code != 0  # -o is required


@pytest.mark.slow
def test_growth_shows_the_web_archive_curve_beside_the_census(case: Case) -> None:
    load_hostile_case(case)
    text = write_report(case, case.root / "before.html").read_text(encoding="utf-8")
    assert "No web-archive history in this case" in text
    assert "size in web-archive captures (unmask history URL)" in text  # named as not examined

    with case.store.session() as s:
        for n, (day, counts) in enumerate(
            [
                (dt.date(2019, 3, 1), {"videos": 900, "photos": 40}),
                (dt.date(2019, 3, 20), {"videos": 1200}),  # same month: the larger count
                (dt.date(2020, 7, 2), {"last_page": 30, "page_size": 40}),  # pagination: 1,200 listed
            ],
            start=1,
        ):
            ts = day.strftime("%Y%m%d") + "000000"
            s.add(ArchiveCapture(id=n, url=BASE + "/", timestamp=ts, original=BASE + "/", status=200))
            for kind, value in counts.items():
                source = "pagination" if kind in ("last_page", "page_size") else "text"
                s.add(
                    ArchiveObservation(archive_capture_id=n, date=day, kind=kind, value=value, source=source)
                )
        s.commit()
    text = write_report(case, case.root / "after.html").read_text(encoding="utf-8")
    growth = text[text.index('id="growth"') : text.index('id="targets"')]
    assert "Catalogue size over time: web-archive captures and census" in growth
    assert "videos stated (archive)" in growth and "listed (archive pagination)" in growth
    assert "<td>2019-03</td><td class=n>1,200</td><td class=n>40</td>" in growth
    assert "<td>2020-07</td>" in growth and "1,200" in growth
    archive = growth[growth.index('id="fig-archive"') :]
    archive = archive[: archive.index("</figure>")]
    assert archive.count("mark-symbol") >= 1  # archive points are marked, not only joined
