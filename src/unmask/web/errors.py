"""Errors the pages raise, answered by the application's handlers (unmask.web.app)."""

from __future__ import annotations


class BadRequest(ValueError):
    """Bad input from a form or an address: a one-line error page (400)."""
