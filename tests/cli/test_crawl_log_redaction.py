"""Crawl logs hide the names the case knows: a record about a person's page names the pseudonym."""

from __future__ import annotations

import logging

import pytest

from unmask.cli.census import redacted_logs
from unmask.core.privacy import PrivacyPolicy, name_key, pseudonym


def test_log_records_made_during_a_crawl_are_redacted(caplog: pytest.LogCaptureFixture) -> None:
    policy = PrivacyPolicy(secret="k", depicted=frozenset({name_key("Janet Doerwald")}))
    log = logging.getLogger("scrapy.core.scraper")
    with caplog.at_level(logging.INFO), redacted_logs(policy):
        log.error("Spider error processing <GET %s>", "http://127.0.0.1:1/model/janet-doerwald?page=3")
    log.error("after the crawl: %s", "janet-doerwald")
    first, after = (r.getMessage() for r in caplog.records)
    assert (
        first
        == f"Spider error processing <GET http://127.0.0.1:1/model/{pseudonym('Janet Doerwald', 'k')}?page=3>"
    )
    assert after.endswith("janet-doerwald")  # the factory is restored afterwards
