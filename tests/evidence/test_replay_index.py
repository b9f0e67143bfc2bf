"""The replay's index: built when first asked for (not at start), brought up to date with the captures
recorded since (merged in by capture id, the rest not read again), built again whole when the store no
longer matches it; the replay server refuses what its ``allow`` check refuses (the web workbench's token)."""

from __future__ import annotations

import io
import re
from typing import Any

import pytest
from sqlalchemy import delete

from tests.evidence.conftest import captures, record_pages
from tests.evidence.test_serve import _get
from unmask.core.case import Case
from unmask.core.store.models import Capture
from unmask.evidence import serve
from unmask.evidence.index import write_cdxj
from unmask.evidence.serve import ReplayServer


def _whole(case: Case) -> bytes:
    out = io.BytesIO()
    write_cdxj(case, out)
    return out.getvalue()


def _source(page: bytes) -> str:
    found = re.search(rb"source='([^']+)'", page)
    assert found is not None
    return found.group(1).decode()


def test_the_index_is_built_on_first_use_and_takes_in_captures_recorded_later(
    case: Case, monkeypatch: pytest.MonkeyPatch
) -> None:
    indexed = record_pages(case, 3)
    asked: list[dict[str, Any]] = []
    real = serve.write_cdxj

    def spy(*args: Any, **kwargs: Any) -> int:
        asked.append({k: v for k, v in kwargs.items() if k != "merged"})
        return real(*args, **kwargs)

    monkeypatch.setattr(serve, "write_cdxj", spy)
    with ReplayServer(case, port=0) as server:
        assert not server.index.path.exists() and asked == []  # nothing indexed at start
        first = captures(case)[0]
        _, page = _get(server.url, f"/capture/{first.id}")
        source = _source(page)
        _, index = _get(server.url, source)
        assert index == _whole(case) and len(index.splitlines()) == 3
        assert len(asked) == 1  # built once, then asked again: nothing new, nothing written

        later = record_pages(case, 2, start=10)  # a crawl beside the server: a new WARC file
        _, page = _get(server.url, f"/capture/{later[-1]}")
        newer = _source(page)
        assert newer != source  # a browser that loaded the old index loads this one
        _, index = _get(server.url, newer)
        assert index == _whole(case) and len(index.splitlines()) == 5  # sorted as a whole build is
        assert asked[-1] == {"after": max(indexed), "upto": later[-1]}
        assert len(asked) == 2  # merged in: the three indexed captures were not read again
        warc = captures(case)[-1].warc_file
        response, _ = _get(server.url, f"/archive/{newer.split('/')[2]}/{str(warc).rsplit('/', 1)[-1]}")
        assert response.status == 200  # a WARC file written after the server started

        with case.store.session() as s:
            s.execute(delete(Capture).where(Capture.id == first.id))
        _, index = _get(server.url, "/archive/index.cdxj")
        assert index == _whole(case) and len(index.splitlines()) == 4  # no longer matching: built whole
        assert "after" not in asked[-1]


def test_the_replay_refuses_what_its_allow_check_refuses(sqlite_case: Case) -> None:
    record_pages(sqlite_case, 1)
    allow = lambda headers: headers.get("authorization") == "Bearer sesame"  # noqa: E731
    with ReplayServer(sqlite_case, port=0, allow=allow) as server:
        for path in ("/", "/capture/1", "/archive/index.cdxj", "/ui.js"):
            assert _get(server.url, path)[0].status == 403
        assert _get(server.url, "/", headers={"Authorization": "Bearer sesame"})[0].status == 200
