"""Fetch scopes for tests whose servers live on loopback (the scope is what the caller decides)."""

from __future__ import annotations

from unmask.core.fetch.scope import Scope, SiteDomain


def lab_scope() -> Scope:
    """The nginx lab: names under ``unmask.test`` pinned to its loopback addresses (private allowed)."""
    return Scope([SiteDomain("unmask.test")], allow_private=True)


def loopback_scope() -> Scope:
    """Every port of 127.0.0.1 as the site (tests that serve the site and its sources there)."""
    return Scope([SiteDomain("127.0.0.1")])
