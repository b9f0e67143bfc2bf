"""`census crawl --sites FILE`: many platforms in one case, one after the other or over shared workers.

The case's store already keys runs and items by platform (``platform``, ``crawl_run.platform_id``,
``item.platform_id``), so every site goes into the one store as its own platform with its own runs; `stats
--platform URL` gives one site's figures, `stats` all of them. The file has one site a line::

    # start URL         settings (each optional)
    https://a.example/  adapter=NAME delay=1.5 concurrency=2 max_requests=50000
    https://b.example/videos

Blank lines and ``#`` comments are skipped; the command's own ``--adapter``, ``--delay``, ``--concurrency``
and ``--max-requests`` are the defaults of every line. The whole file is read and checked before anything
starts: a bad line is one error naming ``FILE:LINE``. Without ``--workers`` the sites are crawled one
after the other (:func:`crawl_sites`: each site's `census crawl URL` in a process of its own, since
Scrapy's reactor runs once per process); with it, all at once over the workers
(``census.distributed.sites``).
"""

from __future__ import annotations

import json
import math
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from unmask.census.extract.adapter import load_extractor
from unmask.census.runner import CrawlSummary
from unmask.core.case import Case
from unmask.core.crawl.runner import INTERRUPTED_EXIT, CrawlOptions, base_of
from unmask.core.errors import UnmaskError

MAX_SITES = 10_000
"""Sites one file may list (a bound on the work one command takes on)."""
MAX_LINE = 4_000
MAX_BYTES = 16 * 2**20
"""The largest sites file read (it is read whole, before anything starts)."""

SETTINGS: dict[str, Callable[[str], Any]] = {
    "adapter": str,
    "delay": float,
    "concurrency": int,
    "max_requests": int,
}
"""What a line may set after its URL (``name=value``), as the command's options of the same names."""


@dataclass(frozen=True)
class Site:
    """One line of the sites file: where it is (``FILE:LINE``) and the crawl it asks for."""

    where: str
    options: CrawlOptions

    @property
    def url(self) -> str:
        return self.options.url

    @property
    def name(self) -> str:
        """The platform's host (and port), as `stats`, the metrics and the web UI name the site."""
        return urlsplit(base_of(self.url)).netloc


def _setting(name: str, text: str) -> Any:
    try:
        value = SETTINGS[name](text)
    except ValueError:
        raise ValueError(f"{name}={text!r} is not a number") from None
    if name == "adapter":
        if not value:
            raise ValueError("adapter= needs a name or a file")
        return value
    if not math.isfinite(value) or value < (0 if name == "delay" else 1):
        raise ValueError(f"{name} must be {'≥ 0' if name == 'delay' else '≥ 1'}")
    return value


def parse_line(text: str, defaults: CrawlOptions) -> CrawlOptions | None:
    """One line's crawl (None for a blank line or a comment); ValueError says what is wrong with it."""
    words: list[str] = []
    for word in text.split():
        if word.startswith("#"):
            break  # a comment: the rest of the line
        words.append(word)
    if not words:
        return None
    url, *settings = words
    base_of(url)  # an http(s) URL with a host, or the command's own error
    given: dict[str, Any] = {}
    for word in settings:
        name, eq, value = word.partition("=")
        if not eq:
            raise ValueError(f"{word!r}: settings are name=value ({', '.join(SETTINGS)})")
        if name not in SETTINGS:
            raise ValueError(f"unknown setting {name!r} (known: {', '.join(SETTINGS)})")
        if name in given:
            raise ValueError(f"{name} given twice")
        given[name] = _setting(name, value)
    return replace(defaults, url=url, **given)


def read_sites(path: Path, defaults: CrawlOptions) -> list[Site]:
    """Every site of the file, checked (URL, settings, adapter, no platform twice) before any starts."""
    try:
        if path.stat().st_size > MAX_BYTES:
            raise UnmaskError(f"more than {MAX_BYTES // 2**20} MiB: one start URL a line", where=str(path))
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise UnmaskError(f"cannot read it ({exc.__class__.__name__})", where=str(path)) from exc
    sites: list[Site] = []
    seen: dict[str, str] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        where = f"{path}:{number}"
        if len(line) > MAX_LINE:
            raise UnmaskError(f"a line of more than {MAX_LINE:,} characters", where=where)
        try:
            options = parse_line(line, defaults)
            if options is None:
                continue
            base = base_of(options.url)
            load_extractor(options.adapter, base_url=base)
        except (ValueError, UnmaskError) as exc:
            raise UnmaskError(_message(exc), where=where) from None
        if base in seen:
            raise UnmaskError(f"{base} is already on line {seen[base]}", where=where)
        seen[base] = str(number)
        sites.append(Site(where, options))
        if len(sites) > MAX_SITES:
            raise UnmaskError(f"more than {MAX_SITES:,} sites", where=where)
    if not sites:
        raise UnmaskError("no site in it (one start URL a line)", where=str(path))
    return sites


def _message(exc: Exception) -> str:
    """The error's own words without a location it already names (the file's line replaces it)."""
    where = getattr(exc, "where", None)
    text = str(exc)
    return text.removeprefix(f"{where}: ") if where else text


@dataclass
class SiteOutcome:
    """What became of one site: its census session's summary, or why it did not run."""

    site: Site
    summary: CrawlSummary | None = None
    error: str | None = None
    """The start page could not be fetched at all (the single crawl's exit 1)."""

    @property
    def status(self) -> str:
        if self.summary is not None:
            return self.summary.status
        return "failed" if self.error else "not_started"

    def line(self) -> str:
        """The outcome for a person: the site, its status and figures, its verdict."""
        s = self.summary
        if s is None:
            return f"{self.site.name}: {self.status.replace('_', ' ')}. {self.as_dict()['verdict']}"
        figures = f"{s.items_present:,} items present, {s.requests:,} requests, {s.failed:,} failed"
        return f"{self.site.name}: {s.status} ({figures}). {s.verdict}"

    def as_dict(self) -> dict[str, Any]:
        head = {"url": self.site.url, "site": self.site.name, "line": self.site.where}
        if self.summary is not None:
            return {**head, **self.summary.as_dict()}
        reason = self.error or "not started: the command was interrupted before this site"
        verdict = f"This census did not run: {reason}."
        return {
            **head,
            "run": None,
            "status": self.status,
            "complete": False,
            "incomplete_reasons": [reason],
            "verdict": verdict,
            "error": self.error,
        }


Say = Callable[[str], None] | None
"""Where a line for a person goes as sites start and end (None: nowhere; ``--json`` and ``--quiet``)."""

TOTALS = ("requests", "pages", "items", "new_items", "items_present", "removed", "failed", "refused", "gone")
"""The figures of the per-site summaries that add up over sites."""


@dataclass
class SitesSummary:
    """The command's summary: one census summary per site (the single crawl's shape) and the totals."""

    outcomes: list[SiteOutcome]
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)

    @property
    def status(self) -> str:
        """interrupted (exit 130) | failed (a site could not be reached: exit 1) | complete | incomplete"""
        statuses = {o.status for o in self.outcomes}
        if statuses & {"interrupted", "not_started"}:
            return "interrupted"
        if "failed" in statuses:
            return "failed"
        return "complete" if statuses == {"complete"} else "incomplete"

    def totals(self) -> dict[str, Any]:
        counted: dict[str, Any] = {"sites": len(self.outcomes)}
        for status in ("complete", "incomplete", "interrupted", "failed", "not_started"):
            counted[f"sites_{status}"] = sum(1 for o in self.outcomes if o.status == status)
        for key in TOTALS:
            counted[key] = sum(int(getattr(o.summary, key)) for o in self.outcomes if o.summary)
        counted["seconds"] = round(self.seconds, 2)
        return counted

    def redact(self, redact: Callable[[str], str]) -> None:
        self.notes = [redact(n) for n in self.notes]
        for outcome in self.outcomes:
            if outcome.summary is not None:
                outcome.summary.notes = [redact(n) for n in outcome.summary.notes]

    def as_dict(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "complete": self.status == "complete",
            "sites": [o.as_dict() for o in self.outcomes],
            "totals": self.totals(),
            "notes": list(self.notes),
        }


class Forwarded:
    """Ctrl-C and SIGTERM while the sites run one after the other: each is passed on to the site's crawl
    (a process group of its own, so a terminal's Ctrl-C reaches it once, through here) and no site starts
    after it."""

    SIGNALS = (signal.SIGINT, signal.SIGTERM)

    def __init__(self) -> None:
        self.received = 0
        self.child: subprocess.Popen[str] | None = None
        self._previous: dict[int, Any] = {}

    def __enter__(self) -> Forwarded:
        for signum in self.SIGNALS:
            self._previous[signum] = signal.signal(signum, self._handle)
        return self

    def __exit__(self, *exc: object) -> None:
        for signum, handler in self._previous.items():
            signal.signal(signum, handler)

    def _handle(self, signum: int, frame: object) -> None:
        self.received += 1
        child = self.child
        if child is not None and child.poll() is None:
            child.send_signal(signum)


def crawl_args(case: Case, options: CrawlOptions) -> list[str]:
    """The `census crawl` command line of one site (the options a line may set, and robots.txt's)."""
    args = ["census", "crawl", options.url, "--case", str(case.root), "--json", "--quiet"]
    for flag, value in (
        ("--adapter", options.adapter),
        ("--delay", options.delay),
        ("--concurrency", options.concurrency),
        ("--max-requests", options.max_requests),
    ):
        if value is not None:
            args += [flag, str(value)]
    if options.obey_robots is False:
        args.append("--ignore-robots")
    return args


def crawl_in_child(case: Case, site: Site, signals: Forwarded) -> SiteOutcome:
    """One site's `census crawl` in a process of its own (Scrapy's reactor runs once per process); its
    summary is the site's outcome, its one line of error (the start page could not be fetched) the
    site's failure."""
    command = [sys.executable, "-m", "unmask", *crawl_args(case, site.options)]
    proc = subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        text=True,
        start_new_session=True,
    )
    signals.child = proc
    try:
        out, err = proc.communicate()
    finally:
        signals.child = None
    if proc.returncode in (0, INTERRUPTED_EXIT) and out.strip():
        return SiteOutcome(site, CrawlSummary(**json.loads(out)))
    lines = [line.strip() for line in err.splitlines() if line.strip()]
    error = lines[-1].removeprefix("unmask: error: ") if lines else f"exit {proc.returncode}"
    return SiteOutcome(site, error=error[:MAX_LINE])


def crawl_sites(case: Case, sites: Sequence[Site], say: Say = None) -> SitesSummary:
    """The sites one after the other, each in a process of its own; an interrupted site ends the command
    (the same command resumes it, and then crawls the sites after it). ``say``: a line for a person as
    each site starts and ends."""
    started = time.monotonic()
    outcomes: list[SiteOutcome] = []
    with Forwarded() as signals:
        for number, site in enumerate(sites, start=1):
            if signals.received:
                outcomes.append(SiteOutcome(site))
                continue
            if say is not None:
                say(f"{site.name}: crawling (site {number:,} of {len(sites):,})")
            outcomes.append(crawl_in_child(case, site, signals))
            if say is not None:
                say(outcomes[-1].line())
    return SitesSummary(outcomes, time.monotonic() - started)


def summary_lines(summary: SitesSummary) -> list[str]:
    """The summary for a person: a line per site (its verdict), then the totals."""
    lines = [outcome.line() for outcome in summary.outcomes]
    t = summary.totals()
    lines.append(
        f"{t['sites']:,} sites: {t['sites_complete']:,} complete, {t['sites_incomplete']:,} incomplete, "
        f"{t['sites_failed']:,} could not be reached, "
        f"{t['sites_interrupted'] + t['sites_not_started']:,} interrupted or "
        f"not started; {t['items_present']:,} items present, {t['requests']:,} requests "
        f"in {t['seconds']:.1f} s"
    )
    return lines
