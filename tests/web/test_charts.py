"""The charts page serves the report's own charts (growth, audience, forum prices) as Vega-Lite specs whose
data is inline (nothing to load from an address) and whose text went through the privacy policy."""

from __future__ import annotations

import json
from typing import Any

from tests.report.newsroom_case import PERSONS, PUBLIC, load_newsroom_case
from tests.web.conftest import ClientFactory
from unmask.core.case import Case


def _keys(value: Any) -> set[str]:
    if isinstance(value, dict):
        return set(value) | {k for v in value.values() for k in _keys(v)}
    if isinstance(value, list):
        return {k for v in value for k in _keys(v)}
    return set()


def test_the_charts_are_the_reports_growth_audience_and_forum_price_charts_with_inline_data(
    sqlite_case: Case, client_for: ClientFactory
) -> None:
    load_newsroom_case(sqlite_case)
    client = client_for(sqlite_case.root)
    charts = client.get("/c/case/charts.json").json()
    keys = [c["key"] for c in charts]
    assert {"uploads", "catalogue", "visits-0", "forum-prices"} <= set(keys)
    for chart in charts:
        spec = chart["spec"]
        assert "$schema" not in spec and spec["config"]["aria"] is False
        assert "url" not in _keys(spec), chart["key"]  # every data set inline
    page = client.get("/c/case/charts").text
    assert all(f'id="chart-{k}"' in page for k in keys)
    text = json.dumps(charts)
    hidden = [p for p in PERSONS if p != PUBLIC]
    assert not any(name in text for name in hidden)
