"""Outbound deliveries (webhooks, timestamp requests): not evidence, never to the investigated site.

Alerts, notifications and requests to a timestamp authority leave the machine through here, with the
case's proxy, timeouts, TLS verification and User-Agent, but without the evidence recorder, politeness or
robots.txt of the fetch layer: they are the investigator's own messages to their own endpoints.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any

import httpx

from unmask import __version__
from unmask.core.config import FetchSettings


class OutboundError(Exception):
    """No usable HTTP answer: ``str(exc)`` is a short reason (``timeout``, ``connect: …``)."""


@dataclass(frozen=True)
class Reply:
    status: int
    content_type: str
    """The media type, lower case, without parameters ("" when none was given)."""
    body: bytes


def post(
    url: str,
    body: bytes,
    content_type: str,
    settings: FetchSettings,
    *,
    timeout: float | None = None,
    max_reply_bytes: int = 64 * 1024,
) -> Reply:
    """POST ``body`` to ``url`` with the case's proxy, TLS verification and User-Agent; the reply, read up to
    ``max_reply_bytes`` and within ``timeout`` seconds in all (default: the fetch settings' read timeout).
    Raises :class:`OutboundError` without an answer, for a longer reply or past the deadline."""
    if not url.startswith(("http://", "https://")):
        raise OutboundError(f"not an http(s) URL: {url!r}")
    total = settings.read_timeout if timeout is None else timeout
    deadline = time.monotonic() + total
    headers = {"User-Agent": settings.user_agent or f"unmask/{__version__}", "Content-Type": content_type}
    try:
        with (
            httpx.Client(
                proxy=settings.proxy or None,
                verify=settings.verify_tls,
                timeout=httpx.Timeout(total, connect=min(settings.connect_timeout, total)),
                follow_redirects=False,
                trust_env=False,
            ) as client,
            client.stream("POST", url, content=body, headers=headers) as response,
        ):
            reply = bytearray()
            for chunk in response.iter_bytes():
                reply += chunk
                if len(reply) > max_reply_bytes:
                    raise OutboundError(f"reply longer than {max_reply_bytes} bytes")
                if time.monotonic() > deadline:
                    raise OutboundError(f"no complete reply within {total:g} s")
            kind = response.headers.get("content-type", "").split(";")[0].strip().lower()
            return Reply(response.status_code, kind, bytes(reply))
    except httpx.TimeoutException as exc:
        raise OutboundError(f"no reply within {total:g} s") from exc
    except (httpx.HTTPError, OSError) as exc:
        kind = "connect" if isinstance(exc, httpx.ConnectError | OSError) else "protocol"
        raise OutboundError(f"{kind}: {exc or type(exc).__name__}"[:200]) from exc


def post_json(url: str, payload: Any, settings: FetchSettings) -> int:
    """POST ``payload`` as JSON to ``url``; the HTTP status. Raises :class:`OutboundError` without one."""
    body = json.dumps(payload, ensure_ascii=False, default=str).encode("utf-8")
    return post(url, body, "application/json; charset=utf-8", settings).status
