"""`unmask report -o FILE.pdf`: the same report printed through WeasyPrint: A4, fonts embedded, text
searchable (pdftotext finds the summary and every section title), nothing wider than the page, and nothing
fetched. Needs Debian's poppler-utils (scripts/test-services.sh installs it)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.helpers.cli import unmask
from tests.report.newsroom_case import GENERATED, load_newsroom_case
from unmask.core.case import Case
from unmask.report.html import write_report
from unmask.report.i18n import language
from unmask.report.sections import SECTIONS

A4 = (595.28, 841.89)


def _require_poppler() -> None:
    if shutil.which("pdftotext") is None or shutil.which("pdfinfo") is None:
        message = "PDF tests need poppler-utils (pdftotext, pdfinfo): scripts/test-services.sh installs it"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)


def _run(*args: str) -> str:
    return subprocess.run(args, check=True, capture_output=True, text=True).stdout


def _words(text: str) -> str:
    return re.sub(r"\s+", " ", text)


@pytest.mark.slow
@pytest.mark.parametrize("lang", ["en", "de"])
def test_pdf_is_searchable_a4_with_every_section(sqlite_case: Case, lang: str) -> None:
    _require_poppler()
    load_newsroom_case(sqlite_case)
    pdf = write_report(sqlite_case, sqlite_case.root / "report.pdf", generated=GENERATED, lang=lang)
    assert pdf.read_bytes().startswith(b"%PDF-")
    text = _words(_run("pdftotext", "-layout", str(pdf), "-"))
    words = language(lang)
    for key in ["summary", *(s.key for s in SECTIONS)]:
        assert words.t(f"section.{key}") in text, key
    assert "Quiet Harbour Media Ltd" in text and "42–52" in text  # the summary's ownership sentence
    assert ("17,100,000" if lang == "en" else "17.100.000") in text  # numbers formatted for the language

    info = _run("pdfinfo", str(pdf))
    pages = int(re.search(r"Pages:\s+(\d+)", info).group(1))  # type: ignore[union-attr]
    width, height = (float(v) for v in re.search(r"Page size:\s+([\d.]+) x ([\d.]+)", info).groups())  # type: ignore[union-attr]
    assert (round(width), round(height)) == (round(A4[0]), round(A4[1]))
    assert (
        len(SECTIONS) + 1 <= pages <= 24
    )  # a page break before each section; was 24 pages for the demo alone
    assert "case" in _run("pdftotext", "-f", "2", "-l", "2", str(pdf), "-").splitlines()[0]  # running header
    assert f"2 / {pages}" in _run("pdftotext", "-f", "2", "-l", "2", str(pdf), "-")  # page numbers

    fonts = _run("pdffonts", str(pdf)).splitlines()[2:]
    assert fonts and all(line.split()[-5] == "yes" for line in fonts)  # every font embedded

    # nothing is wider than the page: every word lies inside the page box
    bbox = _run("pdftotext", "-bbox", str(pdf), "-")
    right = max(float(x) for x in re.findall(r'xMax="([\d.]+)"', bbox))
    assert right <= width


@pytest.mark.slow
def test_cli_writes_pdf_by_suffix_or_format(sqlite_case: Case, tmp_path: Path) -> None:
    _require_poppler()
    load_newsroom_case(sqlite_case)
    by_suffix = tmp_path / "r.pdf"
    unmask("report", "--case", str(sqlite_case.root), "-o", str(by_suffix))
    assert by_suffix.read_bytes().startswith(b"%PDF-")
    by_format = tmp_path / "r.out"
    unmask("report", "--case", str(sqlite_case.root), "-o", str(by_format), "--format", "pdf")
    assert by_format.read_bytes().startswith(b"%PDF-")
    assert (tmp_path / "r.evidence.csv").exists()
    bad = unmask("report", "--case", str(sqlite_case.root), "-o", str(by_format), "--lang", "fr", check=False)
    assert bad.returncode != 0 and len(bad.stderr.strip().splitlines()) == 1 and "--lang" in bad.stderr


def test_pdf_fetches_nothing() -> None:
    """WeasyPrint is handed a fetcher that refuses everything but inline data."""
    from unmask.report.pdf import inline_only

    fetcher = inline_only()
    for url in ("http://127.0.0.1:9/x.png", "file:///etc/passwd", "https://example.invalid/font.woff"):
        with pytest.raises(ValueError, match="disallowed protocol"):
            fetcher.fetch(url)
    assert fetcher.fetch("data:text/plain,ok").read() == b"ok"


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("unshare") is None or os.geteuid() != 0, reason="needs unshare -n as root")
def test_html_and_pdf_are_written_without_any_network(sqlite_case: Case, tmp_path: Path) -> None:
    """In a network namespace where only loopback exists, both formats are written as usual."""
    _require_poppler()
    load_newsroom_case(sqlite_case)
    import sys

    for name in ("r.html", "r.pdf"):
        out = tmp_path / name
        script = (
            f"ip link set lo up; exec {sys.executable} -m unmask report --case {sqlite_case.root} -o {out}"
        )
        proc = subprocess.run(
            ["unshare", "-n", "sh", "-c", script], capture_output=True, text=True, env=os.environ.copy()
        )
        assert proc.returncode == 0, proc.stderr
        assert out.stat().st_size > 10_000
