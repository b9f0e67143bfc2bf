"""What a secret looks like in text the case keeps (custody log lines, evidence headers), and how it is
replaced: one marker, one reading of passwords in URLs and secret-named query values."""

from __future__ import annotations

import re

REDACTED = "[redacted]"
"""What stands where a secret was."""

SECRET_WORDS = (
    *("token", "access_token", "api_key", "apikey", "key", "secret", "password", "passwd", "pwd", "pass"),
    *("auth", "sig", "signature", "session", "sessionid"),
)
"""Query parameter names whose values are secrets."""

_URL_PASSWORD = re.compile(r"(?P<head>[a-z][a-z0-9+.\-]*://[^:/@\s]*):(?P<secret>[^@/\s]+)@", re.IGNORECASE)
_WORDS = "|".join(SECRET_WORDS)
_QUERY_SECRET = re.compile(rf"(?P<head>[?&;](?:{_WORDS})=)(?P<secret>[^&#;\s]+)", re.IGNORECASE)


def redact_text(text: str) -> str:
    """``text`` without passwords in URLs (``scheme://user:secret@``) or secret-named query values."""
    text = _URL_PASSWORD.sub(lambda m: f"{m['head']}:{REDACTED}@", text)
    return _QUERY_SECRET.sub(lambda m: f"{m['head']}{REDACTED}", text)
