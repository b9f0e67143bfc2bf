"""Errors that end a command with one clear line and a non-zero exit.

Failures *inside* a job that goes on (a dead URL, a refused DNS answer) are results and are
recorded, never raised as these.
"""

from __future__ import annotations


class UnmaskError(Exception):
    """A problem the user can fix: bad argument, unreadable file, missing case."""

    exit_code = 2

    def __init__(self, message: str, *, where: str | None = None) -> None:
        self.where = where
        super().__init__(f"{where}: {message}" if where else message)


class CaseError(UnmaskError):
    """No case, or a case that cannot be opened."""


class ConfigError(UnmaskError):
    """A malformed configuration or adapter file."""


class FetchRefused(Exception):
    """The fetch layer refused a URL or a response (media, size, scheme, robots).

    Not a user error: the crawl records it as a result and goes on.
    """

    def __init__(self, reason: str, url: str) -> None:
        self.reason = reason
        self.url = url
        super().__init__(f"{url}: refused ({reason})")
