"""The report's evidence appendix: a capture is cited by the evidence stage's own reference (one place
turns a capture into a reference, with the link that replays it in `unmask evidence serve`), and the
appendix says whether the evidence is sealed, what the seal covers and what came after it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from sqlalchemy import select

from tests.helpers.tsa import LocalTsa
from tests.report.newsroom_case import BASE, GENERATED, load_newsroom_case
from unmask.core.case import Case
from unmask.core.store.models import Capture
from unmask.evidence.links import reference
from unmask.evidence.seal import seal
from unmask.report.evidence import full_list_path
from unmask.report.html import write_report


def _appendix(text: str) -> str:
    return text[text.index('<section id="evidence">') :]


def test_a_cited_capture_is_the_evidence_stage_reference_with_its_replay_link(sqlite_case: Case) -> None:
    load_newsroom_case(sqlite_case)
    sqlite_case.config.evidence.serve_port = 9123
    text = write_report(sqlite_case, sqlite_case.root / "r.html", generated=GENERATED).read_text("utf-8")
    appendix = _appendix(text)
    cited = [int(n) for n in re.findall(r'<li id="cap-(\d+)">', appendix)]
    assert cited
    with sqlite_case.store.session() as s:
        rows = {c.id: c for c in s.scalars(select(Capture).where(Capture.id.in_(cited)))}
        refs = {cid: reference(rows[cid], port=9123) for cid in cited}
    for cid, ref in refs.items():
        item = appendix[appendix.index(f'<li id="cap-{cid}">') :]
        item = item[: item.index("</li>")]
        assert f'<a href="{ref.replay_url}">replay</a>' in item
        if ref.warc_file:
            assert f'<a href="{ref.warc_file}#offset={ref.warc_offset}">WARC record</a>' in item
        else:
            assert "WARC record" not in item
        assert ref.sha256 is not None and ref.sha256 in item
    assert any(ref.warc_file for ref in refs.values())
    assert "unmask evidence serve" in appendix and "http://127.0.0.1:9123/" in appendix
    listing = full_list_path(sqlite_case.root / "r.html").read_text("utf-8").splitlines()
    assert listing[0].endswith(",replay_url")
    assert all(re.search(r",http://127\.0\.0\.1:9123/capture/\d+$", line) for line in listing[1:])


@pytest.mark.slow
def test_the_appendix_says_what_the_seal_covers_and_what_came_after(
    sqlite_case: Case, tmp_path: Path
) -> None:
    load_newsroom_case(sqlite_case)
    before = _appendix(write_report(sqlite_case, sqlite_case.root / "a.html").read_text("utf-8"))
    assert "has not been sealed" in before and "unmask evidence seal" in before
    with LocalTsa(tmp_path / "tsa") as tsa:
        sealed = seal(sqlite_case, [tsa.url])
    with sqlite_case.store.session() as s:
        s.add(Capture(run_id=None, url=f"{BASE}/later", status=200, payload_sha256="9" * 64))
        s.commit()
    appendix = _appendix(write_report(sqlite_case, sqlite_case.root / "b.html").read_text("utf-8"))
    stamp = sealed.timestamps[0]
    assert stamp.ok and stamp.time
    assert f"evidence/seals/{sealed.manifest.name}" in appendix and sealed.sha256 in appendix
    assert f"{tsa.url} at " in appendix
    covered = sealed.captures
    assert (
        f'The seal covers <data value="{covered}" data-key="sealed_captures">{covered}</data> captures'
        in appendix
    )
    assert 'not covered until the next unmask evidence seal: <data value="1"' in appendix
    assert "unmask evidence verify" in appendix
    assert "recorded after the latest seal" not in appendix  # every cited capture is older than the seal
