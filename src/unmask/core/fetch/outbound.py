"""Outbound deliveries (webhooks): not evidence, never to the investigated site.

Alerts and notifications leave the machine through here, with the case's proxy, timeouts, TLS
verification and User-Agent, but without the evidence recorder, politeness or robots.txt of the fetch
layer: they are the investigator's own messages to their own endpoints.
"""

from __future__ import annotations

import json
from typing import Any

import httpx

from unmask import __version__
from unmask.core.config import FetchSettings


class OutboundError(Exception):
    """The delivery got no HTTP answer: ``str(exc)`` is a short reason (``timeout``, ``connect: …``)."""


def post_json(url: str, payload: Any, settings: FetchSettings) -> int:
    """POST ``payload`` as JSON to ``url``; the HTTP status. Raises :class:`OutboundError` without one."""
    if not url.startswith(("http://", "https://")):
        raise OutboundError(f"not an http(s) URL: {url!r}")
    body = json.dumps(payload, ensure_ascii=False, default=str).encode("utf-8")
    headers = {
        "User-Agent": settings.user_agent or f"unmask/{__version__}",
        "Content-Type": "application/json; charset=utf-8",
    }
    timeout = httpx.Timeout(settings.read_timeout, connect=settings.connect_timeout)
    try:
        with httpx.Client(
            proxy=settings.proxy or None,
            verify=settings.verify_tls,
            timeout=timeout,
            follow_redirects=False,
            trust_env=False,
        ) as client:
            response = client.post(url, content=body, headers=headers)
    except httpx.TimeoutException as exc:
        raise OutboundError("timeout") from exc
    except (httpx.HTTPError, OSError) as exc:
        kind = "connect" if isinstance(exc, httpx.ConnectError | OSError) else "protocol"
        raise OutboundError(f"{kind}: {exc or type(exc).__name__}"[:200]) from exc
    return response.status_code
