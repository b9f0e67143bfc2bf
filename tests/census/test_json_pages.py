"""An adapter reads a JSON API's answers with the same selectors as HTML (format: json), within bounds."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from unmask.census.extract.adapter import MAX_JSON_NODES, json_document, load_adapter
from unmask.census.model import ItemKind, PageKind
from unmask.core.errors import ConfigError

BASE = "http://127.0.0.1:1"
ADAPTER = """
name: api
start: ['/api/items?page=1']
items:
  video: '^/watch/(?P<id>\\d+)$'
pages:
  - type: listing
    url: '^/api/items'
    format: json
    kind: video
    cards: 'results > item'
    record:
      url: 'url'
      fields:
        title: 'title'
        views: {css: 'stats > viewcount', parse: int}
        tags: 'tags > item'
      persons: {each: 'cast > item', name: 'name'}
    next: 'json > next'
"""


def test_a_json_listing_gives_records_links_and_its_next_page(tmp_path: Path) -> None:
    path = tmp_path / "api.yaml"
    path.write_text(ADAPTER)
    adapter = load_adapter(path, base_url=BASE)
    body = {
        "results": [
            {"url": "/watch/7", "title": "Invented seven", "stats": {"viewCount": 1234},
             "tags": ["a", "b"], "cast": [{"name": "Vel Anor"}]},
            {"url": "https://elsewhere.example/watch/8", "title": "Off-site"},
        ],
        "next": "/api/items?page=2",
    }  # fmt: skip
    result = adapter.extract(
        PageKind.LISTING,
        f"{BASE}/api/items?page=1",
        json.dumps(body).encode(),
        encoding=None,
        fetched_at=dt.datetime(2025, 1, 1),
    )
    (record,) = result.items
    assert (record.kind, record.platform_id, record.title, record.views) == (
        ItemKind.VIDEO,
        "7",
        "Invented seven",
        1234,
    )
    assert record.tags == ["a", "b"] and [p.name for p in record.persons] == ["Vel Anor"]
    assert result.next_page == f"{BASE}/api/items?page=2"


def test_json_keys_become_lower_case_elements_and_their_key_is_kept() -> None:
    doc = json_document(b'{"viewCount": 3, "a b": {"1x": true}, "n": null}', BASE + "/api", site=BASE)
    assert [(e.tag, e.get("key"), e.text) for e in doc.root] == [
        ("viewcount", "viewCount", "3"),
        ("a_b", "a b", None),
        ("n", "n", None),
    ]
    assert doc.root[1][0].tag == "_1x" and doc.root[1][0].text == "true"


@pytest.mark.parametrize(
    "body",
    [
        b"<html>not json</html>",
        b"[" * 100_000 + b"]" * 100_000,  # nesting deeper than the parser will go
        b'{"a": ' * 70 + b"1" + b"}" * 70,  # deeper than the tree keeps
    ],
)
def test_hostile_json_gives_a_bounded_tree(body: bytes) -> None:
    doc = json_document(body, BASE + "/api", site=BASE)
    assert sum(1 for _ in doc.root.iter()) <= 66


@pytest.mark.slow
def test_a_huge_json_answer_is_cut_at_the_node_limit() -> None:
    body = json.dumps([{"k": i} for i in range(MAX_JSON_NODES)]).encode()
    doc = json_document(body, BASE + "/api", site=BASE)
    assert sum(1 for _ in doc.root.iter()) == MAX_JSON_NODES + 1  # + the root


def test_a_page_format_other_than_html_or_json_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(ADAPTER.replace("format: json", "format: xml"))
    with pytest.raises(ConfigError, match="'xml' is not one of: html, json"):
        load_adapter(path)
