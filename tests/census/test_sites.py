"""Reading a sites file (census.sites): a line's URL and settings, the command's options as defaults,
comments, and the bounds on what one file may ask."""

from __future__ import annotations

from pathlib import Path

import pytest

from unmask.census import sites
from unmask.census.sites import parse_line, read_sites
from unmask.core.crawl.runner import CrawlOptions
from unmask.core.errors import UnmaskError

DEFAULTS = CrawlOptions(
    url="", adapter="demo", delay=1.0, concurrency=None, max_requests=None, progress=False
)


def test_a_line_sets_what_it_names_and_keeps_the_commands_options_for_the_rest() -> None:
    got = parse_line("  https://a.example/videos   delay=0.5 max_requests=900  # a first look", DEFAULTS)
    assert got == CrawlOptions(
        url="https://a.example/videos", adapter="demo", delay=0.5, concurrency=None, max_requests=900,
        progress=False,
    )  # fmt: skip
    assert parse_line("https://b.example/ adapter=generic concurrency=2", DEFAULTS) == CrawlOptions(
        url="https://b.example/", adapter="generic", delay=1.0, concurrency=2, progress=False
    )
    assert parse_line("# a comment", DEFAULTS) is None
    assert parse_line("   ", DEFAULTS) is None


def test_the_file_gives_each_site_with_its_line_and_name(tmp_path: Path) -> None:
    path = tmp_path / "sites.txt"
    path.write_text("# two\nhttps://a.example/\n\nhttp://127.0.0.1:8765/ delay=0\n", encoding="utf-8")
    listed = read_sites(path, DEFAULTS)
    assert [(s.where, s.name, s.options.delay) for s in listed] == [
        (f"{path}:2", "a.example", 1.0),
        (f"{path}:4", "127.0.0.1:8765", 0.0),
    ]


def test_a_file_too_large_or_too_long_is_refused_before_it_is_read_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "sites.txt"
    path.write_text("".join(f"https://s{i}.example/\n" for i in range(4)), encoding="utf-8")
    monkeypatch.setattr(sites, "MAX_SITES", 3)
    with pytest.raises(UnmaskError, match=r"sites.txt:4: more than 3 sites"):
        read_sites(path, DEFAULTS)
    monkeypatch.setattr(sites, "MAX_BYTES", 10)
    with pytest.raises(UnmaskError, match="MiB"):
        read_sites(path, DEFAULTS)
