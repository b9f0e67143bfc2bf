"""Scrapy is configured deliberately: every default that matters is set, nothing risky is on."""

from __future__ import annotations

from scrapy.settings import default_settings

from unmask.core.config import DEFAULT_USER_AGENT, CrawlSettings, FetchSettings
from unmask.core.fetch import Scope, Transport
from unmask.core.fetch.scrapy_bridge import TRANSPORT_SETTING, redirect_target, scrapy_settings


def settings(**fetch: object) -> dict[str, object]:
    config = FetchSettings(**fetch)  # type: ignore[arg-type]
    transport = Transport(config, None, scope=Scope.for_site("https://invented-tube.test/"))
    return scrapy_settings(
        config, transport, delay=1.5, concurrency=3, max_url_length=CrawlSettings().max_url_length
    )


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
    unknown = set(settings()) - known - {TRANSPORT_SETTING}
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
