"""The NGO's own report (`unmask protect report`): matches with the protected names and the notices'
status. It is for the user alone and says so at the top of every page; the public report never has it.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from pathlib import Path

from unmask.core.output import html_text
from unmask.protect.notices import NoticeRecord, load_notices
from unmask.protect.scan import Match, load_matches
from unmask.protect.watchlist import Watchlist

PRIVATE = "PRIVATE — for the protecting organisation alone. Names protected persons. Do not publish or share."

STYLE = """
@page { size: A4; margin: 22mm 16mm 18mm 16mm;
  @top-center { content: "PRIVATE — for the protecting organisation alone. Do not publish or share.";
    font: bold 9pt sans-serif; color: #a00; }
  @bottom-right { content: counter(page) " / " counter(pages); font: 8pt sans-serif; } }
body { font: 10pt/1.4 sans-serif; color: #111; margin: 0 1em; }
.private { position: sticky; top: 0; background: #a00; color: #fff; padding: .4em .8em; font-weight: bold; }
@media print { .private { position: static; } }
table { border-collapse: collapse; width: 100%; margin: .5em 0 1.5em; }
th, td { border-bottom: 1px solid #ccc; padding: .25em .4em; text-align: left; vertical-align: top; }
td.url { word-break: break-all; font-size: 9pt; }
"""


def _row(cells: list[str]) -> str:
    return "<tr>" + "".join(cells) + "</tr>"


def _matches_section(person: str, matches: list[Match]) -> str:
    rows = [
        _row(
            [
                f"<td>{html_text(m.field)}</td>",
                f"<td>{html_text(m.text)}</td>",
                f'<td class="url"><a href="{html_text(m.url)}">{html_text(m.url)}</a></td>',
                f"<td>{'removed' if m.removed else 'online'}</td>",
                f"<td>{html_text(m.first_seen[:10])}</td>",
            ]
        )
        for m in matches
    ]
    head = "<tr><th>field</th><th>text</th><th>URL</th><th>state</th><th>first seen</th></tr>"
    return (
        f"<h2>{html_text(person)}: {len(matches)} matches</h2>"
        f"<table>{head}{''.join(rows) or '<tr><td colspan=5>none found</td></tr>'}</table>"
    )


def _notices_section(notices: list[NoticeRecord]) -> str:
    if not notices:
        return "<h2>Notices</h2><p>No notice drafted yet (<code>unmask takedown draft</code>).</p>"
    rows = [
        _row(
            [
                f"<td>{html_text(n.id)}</td>",
                f"<td>{html_text(n.recipient_kind)}: {html_text(n.recipient)}</td>",
                f"<td>{html_text(', '.join(n.persons))}</td>",
                f"<td>{len(n.urls)}</td>",
                f"<td>{html_text(n.drafted_at[:10])}</td>",
                f"<td>{html_text((n.sent_at or '—')[:10])}</td>",
                f"<td>{html_text(n.deadline[:10])}</td>",
                f"<td>{html_text(n.status)}</td>",
            ]
        )
        for n in notices
    ]
    head = (
        "<tr><th>notice</th><th>recipient</th><th>about</th><th>URLs</th><th>drafted</th><th>sent</th>"
        "<th>deadline</th><th>status</th></tr>"
    )
    return f"<h2>Notices</h2><table>{head}{''.join(rows)}</table>"


def render_html(root: Path, case_name: str) -> str:
    persons = Watchlist(root).persons
    by_person: dict[str, list[Match]] = defaultdict(list)
    for match in load_matches(root):
        by_person[match.person].append(match)
    today = dt.date.today().isoformat()
    sections = [_matches_section(p.name, by_person.get(p.name, [])) for p in persons]
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        f"<title>PRIVATE protect report — {html_text(case_name)}</title><style>{STYLE}</style></head><body>"
        f'<div class="private">{html_text(PRIVATE)}</div>'
        f"<h1>Protected persons: matches and notices</h1><p>Case {html_text(case_name)}, {today}. "
        f"{len(persons)} protected persons. Matches as of the latest <code>unmask protect scan</code>.</p>"
        + "".join(sections)
        + _notices_section(load_notices(root))
        + f'<div class="private">{html_text(PRIVATE)}</div></body></html>'
    )
