"""The pages over a hostile case, on SQLite and PostgreSQL: every platform string escaped, persons as
every CLI output shows them, figures as `stats` computes them, items filtered and paged without loss."""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlsplit

from markupsafe import escape
from starlette.testclient import TestClient

from tests.report.test_html_report import ATTR, HOSTILE, XSS, load_hostile_case
from tests.web.conftest import ClientFactory
from unmask.analysis.figures import FigureOptions, compute_figures
from unmask.core.case import Case
from unmask.core.privacy import PrivacyPolicy, pseudonym
from unmask.web.items import ItemFilter, item_page

PAGES = (
    "/c/case/",
    "/c/case/items",
    "/c/case/items?removed=all",
    "/c/case/persons",
    "/c/case/census",
    "/c/case/history",
    "/c/case/infra",
    "/c/case/evidence",
    "/c/case/charts",
    "/c/case/charts.json",
    "/c/case/owners/graph",
    "/c/case/apps",
    "/c/case/forum",
)


def _item_pages(client: TestClient) -> list[str]:
    listing = client.get("/c/case/items?removed=all").text
    return sorted(set(re.findall(r'href="(/c/case/items/\d+)"', listing)))


def _every_page(client: TestClient) -> dict[str, str]:
    paths = [*PAGES, *_item_pages(client)]
    out = {}
    for path in paths:
        answer = client.get(path)
        assert answer.status_code == 200, (path, answer.text[:300])
        out[path] = answer.text
    return out


def test_hostile_strings_are_escaped_on_every_page(case: Case, client_for: ClientFactory) -> None:
    load_hostile_case(case)
    pages = _every_page(client_for(case.root))
    assert len(pages) > len(PAGES) + 2
    for path, text in pages.items():
        assert XSS not in text and ATTR not in text, path
        assert "<img" not in text, path
        assert "<script>" not in text, path
    shown = pages["/c/case/items?removed=all"]
    assert str(escape(HOSTILE)) in shown  # the title, as written, as text


def test_depicted_persons_are_pseudonyms_unless_public_or_real_names(
    case: Case, client_for: ClientFactory
) -> None:
    load_hostile_case(case)
    secret = case.config.secret
    pages = _every_page(client_for(case.root))
    text = "\n".join(pages.values())
    assert "Bo Rin" not in text
    assert pseudonym("Bo Rin", secret) in text
    assert str(escape(f"Ana Vel{XSS}")) in text  # on the investigator's public-figure list
    assert "Depicted persons pseudonymized" in text
    named = "\n".join(_every_page(client_for(case.root, real_names=True)).values())
    assert "Bo Rin" in named and pseudonym("Bo Rin", secret) not in named


def test_an_uploader_named_as_a_hidden_person_is_a_pseudonym_unless_real_names(
    case: Case, client_for: ClientFactory
) -> None:
    from sqlalchemy import update

    from unmask.core.store.models import Uploader

    load_hostile_case(case)
    with case.store.session() as s:
        s.execute(update(Uploader).where(Uploader.name == "u1").values(name="Bo Rin"))
    pages = ("/c/case/items?removed=all", *_item_pages(client_for(case.root)))
    shown = "\n".join(client_for(case.root).get(p).text for p in pages)
    assert "Bo Rin" not in shown and pseudonym("Bo Rin", case.config.secret) in shown
    named = "\n".join(client_for(case.root, real_names=True).get(p).text for p in pages)
    assert "Bo Rin" in named


def test_the_dashboard_shows_the_figures_stats_computes(case: Case, client_for: ClientFactory) -> None:
    load_hostile_case(case)
    figures = compute_figures(case.store, FigureOptions(privacy=PrivacyPolicy.for_case(case)))
    page = client_for(case.root).get("/c/case/").text
    row = re.search(r"<th scope=\"row\">Videos</th><td class=\"num\">([^<]+)</td>", page)
    assert row is not None and row.group(1) == f"{figures['videos']:,}"
    removed = re.search(r"<th scope=\"row\">Removed items</th><td class=\"num\">([^<]+)</td>", page)
    assert removed is not None and removed.group(1) == f"{figures['removed']:,}" == "1"
    assert str(escape(figures["verdict"])) in page


def test_an_item_page_lists_its_evidence_with_replay_links(case: Case, client_for: ClientFactory) -> None:
    load_hostile_case(case)
    client = client_for(case.root)
    port = case.config.evidence.serve_port
    page = client.get(_item_pages(client)[0]).text
    assert f'href="http://127.0.0.1:{port}/capture/' in page
    assert "a" * 64 in page or "b" * 64 in page  # the capture's SHA-256
    assert "evidence/warc/t-1.warc.gz" in page
    assert client.get("/c/case/items/999999").status_code == 404


def test_a_hidden_name_in_a_tag_never_travels_in_an_address(case: Case, client_for: ClientFactory) -> None:
    """A tag that holds a hidden name is shown redacted and is no filter link (its link would carry it)."""
    from unmask.census.model import ItemKind
    from unmask.core.store.models import Item, ItemLabel

    load_hostile_case(case)
    with case.store.session() as s:
        item = s.query(Item).filter(Item.kind == ItemKind.VIDEO.value).order_by(Item.id).first()
        assert item is not None
        s.add(ItemLabel(item_id=item.id, kind="tag", value="bo-rin-hd"))
        item_id = item.id
    page = client_for(case.root).get(f"/c/case/items/{item_id}").text
    assert "bo-rin" not in page.lower() and "Bo Rin" not in page
    assert pseudonym("Bo Rin", case.config.secret) in page


def test_keyset_pages_cover_every_item_once_in_every_sort(case: Case) -> None:
    load_hostile_case(case)
    policy = PrivacyPolicy.for_case(case)
    for sort in ("upload", "views", "seen"):
        for order in ("desc", "asc"):
            seen: list[int] = []
            after = ""
            while True:
                params = {"sort": sort, "order": order, "removed": "all", "after": after}
                page = item_page(case.store, ItemFilter.parse(params), policy, size=1)
                seen += [r.id for r in page.rows]
                if page.next_after is None:
                    break
                after = page.next_after
            assert len(seen) == len(set(seen)) == 4, (sort, order, seen)


def test_filters_narrow_the_items_and_bad_values_are_one_line_errors(
    case: Case, client_for: ClientFactory
) -> None:
    load_hostile_case(case)
    client = client_for(case.root)

    def count(query: str) -> int:
        answer = client.get(f"/c/case/items?{query}")
        assert answer.status_code == 200, answer.text
        return len(re.findall(r'href="/c/case/items/\d+"', answer.text))

    assert count("") == 3 and count("removed=all") == 4 and count("removed=removed") == 1
    assert count("kind=photo") == 1 and count("kind=video") == 2
    assert count("month=2020-02") == 1
    assert count("tag=x") == 2
    assert count("q=%3Cscript") == 1
    persons = re.findall(r'href="\?person=(\d+)"', client.get("/c/case/items").text)
    assert persons and count(f"person={persons[0]}") >= 1
    uploaders = re.findall(r'href="\?[^"]*uploader=(\d+)', client.get("/c/case/items?removed=all").text)
    assert len(set(uploaders)) == 3 and sum(count(f"uploader={u}&removed=all") for u in set(uploaders)) == 4
    for bad in ("kind=film", "month=2020-13", "person=abc", "sort=title", "after=zzz"):
        answer = client.get(f"/c/case/items?{bad}")
        assert answer.status_code == 400, bad
        assert re.search(r'<p class="error" role="alert">[^<\n]+</p>', answer.text), bad


def test_next_page_links_keep_the_filters(case: Case, client_for: ClientFactory) -> None:
    load_hostile_case(case)
    client = client_for(case.root)
    params = dict(parse_qsl(urlsplit("/c/case/items?kind=video&sort=views").query))
    flt = ItemFilter.parse(params)
    assert flt.params(after="5~1") == {"kind": "video", "sort": "views", "after": "5~1"}
    assert client.get("/c/case/items?kind=video&sort=views&order=asc").status_code == 200


def test_the_dashboard_shows_the_latest_watch_runs_and_a_failure_as_a_failure(
    case: Case, client_for: ClientFactory
) -> None:
    import datetime as dt
    import json

    from unmask.watch.tables import WatchRun

    load_hostile_case(case)
    started = dt.datetime(2026, 3, 1, 6, 0)
    with case.store.session() as s:
        s.add(
            WatchRun(
                job="census https://site.example/",
                kind="census",
                started_at=started,
                finished_at=started,
                ok=True,
                changes=json.dumps([{"kind": "new"}, {"kind": "new"}, {"kind": "removed"}]),
                alerts=json.dumps([{"channel": "webhook", "ok": True}, {"channel": "email", "ok": False}]),
            )
        )
        s.add(
            WatchRun(
                job="infra site.example",
                kind="infra",
                started_at=started + dt.timedelta(hours=1),
                finished_at=started + dt.timedelta(hours=1),
                ok=False,
                error=f"the scan failed: {XSS}",
            )
        )
    page = client_for(case.root).get("/c/case/").text
    section = page.split("<h2>Watch and alerts</h2>", 1)[1].split("</table>", 1)[0]
    rows = re.findall(r"<tr class=\"([^\"]*)\">(.*?)</tr>", section, flags=re.S)
    assert [cls for cls, _ in rows] == ["failed", ""]  # newest first; the failed run marked
    failed, done = rows[0][1], rows[1][1]
    assert "failed: the scan failed:" in failed and XSS not in page and str(escape(XSS)) in failed
    cells = re.findall(r'<td class="num">([^<]+)</td>', done)
    assert cells == ["3", "1", "1"]  # changes, alerts sent, alerts failed


def test_the_dashboard_says_when_nothing_is_watched(case: Case, client_for: ClientFactory) -> None:
    page = client_for(case.root).get("/c/case/").text
    assert "No watch run yet" in page
