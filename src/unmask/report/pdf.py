"""The report as PDF through WeasyPrint: the same HTML, printed with its print stylesheet (A4, a running
header with the case's name and the date, page numbers, a page break before each section). Fonts are
embedded (subsets) and the text is searchable. Nothing is fetched: every resource of the page is inline,
and WeasyPrint's fetcher refuses anything but ``data:`` URIs (:func:`inline_only`).
"""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Any

from unmask.core.errors import UnmaskError
from unmask.core.output import atomic_write


def preload() -> None:
    """Import WeasyPrint (about a second: it loads pango) while the report is still being gathered."""
    with contextlib.suppress(ImportError, OSError):  # write_pdf says what is missing
        import weasyprint  # noqa: F401


def inline_only() -> Any:
    """WeasyPrint's URL fetcher for the report: ``data:`` URIs only, never a file or the network."""
    from weasyprint.urls import URLFetcher

    return URLFetcher(allowed_protocols=("data",), allow_redirects=False, timeout=1)


def write_pdf(html: str, path: Path, *, private: bool = False) -> None:
    try:
        from weasyprint import HTML
    except (ImportError, OSError) as exc:  # OSError: the pango library is missing
        raise UnmaskError(
            f"PDF needs WeasyPrint and the pango library (Debian: libpango-1.0-0 libpangoft2-1.0-0): {exc}",
            where=str(path),
        ) from None
    document = HTML(string=html, url_fetcher=inline_only(), base_url=str(path.parent)).render()
    with atomic_write(path, private=private) as tmp:
        document.write_pdf(tmp)
