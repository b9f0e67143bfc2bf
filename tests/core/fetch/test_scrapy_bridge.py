"""Scrapy is configured deliberately: every default that matters is set, nothing risky is on."""

from __future__ import annotations

from scrapy.settings import default_settings

from unmask.core.config import DEFAULT_USER_AGENT, CrawlSettings, FetchSettings
from unmask.core.fetch.scrapy_bridge import redirect_target, scrapy_settings


def settings(**fetch: object) -> dict[str, object]:
    config = FetchSettings(**fetch)  # type: ignore[arg-type]
    return scrapy_settings(config, delay=1.5, concurrency=3, max_url_length=CrawlSettings().max_url_length)


def test_remote_control_telnet_and_other_extensions_are_off() -> None:
    s = settings()
    assert s["REMOTE_CONTROL_ENABLED"] is False and s["TELNETCONSOLE_ENABLED"] is False
    extensions = {**s["EXTENSIONS_BASE"], **s["EXTENSIONS"]}  # type: ignore[dict-item]
    assert not [name for name in extensions if "remote_control" in name or "telnet" in name]
    assert not [name for name in extensions if "feedexport" in name or "memdebug" in name]
    assert s["HTTPCACHE_ENABLED"] is False and s["FEEDS"] == {}
    assert set(s["DOWNLOAD_HANDLERS"]) == {"http", "https"} and s["DOWNLOAD_HANDLERS_BASE"] == {}  # type: ignore[arg-type]
    middlewares = s["DOWNLOADER_MIDDLEWARES_BASE"]
    for off in (
        "useragent",
        "httpproxy",
        "httpcompression",
        "httpauth",
        "httpcache",
        "MetaRefresh",
        "retry.Retry",
    ):
        assert not [name for name in middlewares if off in name], off  # type: ignore[union-attr]


def test_every_default_that_matters_is_set_explicitly() -> None:
    s = settings(max_response_bytes=1234567, retries=4, obey_robots=True)
    assert s["ROBOTSTXT_OBEY"] is True
    assert s["DOWNLOAD_DELAY"] == 1.5 and s["DOWNLOAD_DELAY_JITTER"] == 0.5
    assert s["CONCURRENT_REQUESTS_PER_DOMAIN"] == 3
    assert s["DOWNLOAD_MAXSIZE"] == s["DOWNLOAD_WARNSIZE"] == 1234567
    assert s["RETRY_TIMES"] == 4 and 429 in s["RETRY_HTTP_CODES"]  # type: ignore[operator]
    assert s["URLLENGTH_LIMIT"] == CrawlSettings().max_url_length
    assert s["COMPRESSION_ENABLED"] is False and s["METAREFRESH_ENABLED"] is False
    assert s["DEFAULT_REQUEST_HEADERS"] == {}  # the case's headers go to the site only, from the Transport
    assert settings()["AUTOTHROTTLE_ENABLED"] is True


def test_no_setting_is_unknown_or_deprecated() -> None:
    known = {name for name in dir(default_settings) if name.isupper()}
    unknown = set(settings()) - known  # the Transport travels on the crawler, not in the settings
    assert not unknown, unknown
    assert "RANDOMIZE_DOWNLOAD_DELAY" not in settings()  # deprecated in Scrapy 2.19: DOWNLOAD_DELAY_JITTER


def test_the_user_agent_is_an_ordinary_browser() -> None:
    s = settings()
    assert s["USER_AGENT"] == s["ROBOTSTXT_USER_AGENT"] == DEFAULT_USER_AGENT
    assert DEFAULT_USER_AGENT.startswith("Mozilla/5.0 (") and "Chrome/" in DEFAULT_USER_AGENT
    for tell in ("unmask", "research", "census", "bot", "crawl", "scrapy"):
        assert tell not in DEFAULT_USER_AGENT.lower()
    assert settings(user_agent="Custom/1.0")["USER_AGENT"] == "Custom/1.0"


def test_redirect_targets_are_read_as_scrapy_reads_them() -> None:
    base = "https://invented-tube.test/video/1"
    assert redirect_target(base, b"//other.test/x") == "https://other.test/x"
    assert redirect_target(base, b"/v/2") == "https://invented-tube.test/v/2"
    assert (
        redirect_target(base, b"http://invented-tube.test@other.test/")
        == "http://invented-tube.test@other.test/"
    )
    assert redirect_target(base, "/caf\u00e9".encode()) == "https://invented-tube.test/caf%C3%A9"


def test_the_per_page_debug_lines_are_not_made_when_the_log_level_drops_them() -> None:
    """Scrapy makes its "Crawled"/"Scraped" lines (formatting the item) before its handler drops them."""
    from scrapy import Request, Spider
    from scrapy.http import HtmlResponse
    from scrapy.utils.test import get_crawler

    from unmask.core.fetch.scrapy_bridge import QuietLogFormatter

    request = Request("http://site.test/v/1")
    response = HtmlResponse(request.url, body=b"<html></html>", request=request)
    spider = Spider("t")
    for log, expected in [({"LOG_LEVEL": "INFO"}, False), ({"LOG_LEVEL": "DEBUG"}, True), ({}, True)]:
        crawler = get_crawler(settings_dict={**settings(), "LOG_ENABLED": True, **log})
        formatter = QuietLogFormatter.from_crawler(crawler)
        assert (formatter.crawled(request, response, spider) is not None) is expected
        assert (formatter.scraped({"title": "x"}, response, spider) is not None) is expected
    quiet = get_crawler(settings_dict=settings())  # the fetch layer's own settings: no log at all
    assert QuietLogFormatter.from_crawler(quiet).scraped({"title": "x"}, response, spider) is None
