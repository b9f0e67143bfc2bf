"""Change alerts of `unmask infra watch`: a line per change on stdout, a webhook POST, an e-mail.

Every channel configured in ``infra.alerts`` gets the changes of one round. A delivery that fails (the
webhook answers 500, the mail server refuses) is a :class:`DeliveryResult` with ``ok=False`` and the
reason, never an exception: the watch goes on and shows it.
"""

from __future__ import annotations

import datetime as dt
import smtplib
import ssl
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from email.message import EmailMessage
from typing import Any, TextIO

from unmask.core.config import AlertSettings, FetchSettings
from unmask.core.fetch.outbound import OutboundError, post_json

MAX_MAIL_LINES = 500
"""Changes listed in one e-mail at most (the rest is counted)."""


@dataclass(frozen=True)
class DeliveryResult:
    channel: str
    """stdout | webhook | email"""
    target: str
    ok: bool
    count: int
    error: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _value(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value) if value else "(none)"
    return str(value)


def change_line(change: dict[str, Any]) -> str:
    """``TIME DOMAIN KIND: OLD → NEW`` on one line."""
    return (
        f"{change.get('time', '')} {change.get('domain', '')} {change.get('kind', '')}: "
        f"{_value(change.get('old'))} → {_value(change.get('new'))}"
    ).replace("\n", " ")


def _webhook(changes: Sequence[dict[str, Any]], url: str, fetch: FetchSettings) -> DeliveryResult:
    payload = {
        "source": "unmask",
        "sent_at": dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z"),
        "count": len(changes),
        "changes": list(changes),
    }
    try:
        status = post_json(url, payload, fetch)
    except OutboundError as exc:
        return DeliveryResult("webhook", url, False, len(changes), str(exc))
    if 200 <= status < 300:
        return DeliveryResult("webhook", url, True, len(changes))
    return DeliveryResult("webhook", url, False, len(changes), f"http {status}")


def mail_message(changes: Sequence[dict[str, Any]], settings: AlertSettings) -> EmailMessage:
    domains = sorted({str(c.get("domain", "")) for c in changes})
    shown = ", ".join(domains[:3]) + (f" and {len(domains) - 3} more" if len(domains) > 3 else "")
    message = EmailMessage()
    message["Subject"] = f"unmask: {len(changes)} infrastructure change{'s' * (len(changes) != 1)} ({shown})"
    message["From"] = settings.mail_from
    message["To"] = ", ".join(settings.mail_to)
    lines = [change_line(c) for c in changes[:MAX_MAIL_LINES]]
    if len(changes) > MAX_MAIL_LINES:
        lines.append(f"… and {len(changes) - MAX_MAIL_LINES} more changes")
    body = "Infrastructure changes seen by unmask infra watch:\n\n" + "\n".join(lines) + "\n"
    message.set_content(body)
    return message


def _email(
    changes: Sequence[dict[str, Any]], settings: AlertSettings, fetch: FetchSettings
) -> DeliveryResult:
    host = settings.smtp_host or ""
    target = f"{host}:{settings.smtp_port}"
    if not settings.mail_to:
        return DeliveryResult("email", target, False, len(changes), "no recipients (infra.alerts.mail_to)")
    try:
        with smtplib.SMTP(host, settings.smtp_port, timeout=fetch.connect_timeout) as smtp:
            if settings.smtp_starttls:  # the certificate is checked unless the case turned TLS checks off
                context = (
                    ssl.create_default_context() if fetch.verify_tls else ssl._create_unverified_context()
                )
                smtp.starttls(context=context)
            if settings.smtp_user:
                smtp.login(settings.smtp_user, settings.smtp_password or "")
            refused = smtp.send_message(mail_message(changes, settings))
    except (smtplib.SMTPException, OSError, ssl.SSLError) as exc:
        reason = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
        return DeliveryResult("email", target, False, len(changes), reason[:300])
    if refused:
        return DeliveryResult("email", target, False, len(changes), f"refused recipients: {sorted(refused)}")
    return DeliveryResult("email", target, True, len(changes))


def deliver(
    changes: list[dict[str, Any]],
    settings: AlertSettings,
    fetch_settings: FetchSettings,
    *,
    stdout: TextIO | None,
) -> list[DeliveryResult]:
    """Send one round's changes to every configured channel; one result per channel (none if no change).

    ``stdout=None`` leaves the stdout channel out (e.g. when stdout carries ``--json`` output).
    """
    if not changes:
        return []
    results: list[DeliveryResult] = []
    if stdout is not None:
        try:
            for change in changes:
                stdout.write(change_line(change) + "\n")
            stdout.flush()
            results.append(DeliveryResult("stdout", "stdout", True, len(changes)))
        except OSError as exc:
            results.append(DeliveryResult("stdout", "stdout", False, len(changes), str(exc)))
    if settings.webhook_url:
        results.append(_webhook(changes, settings.webhook_url, fetch_settings))
    if settings.smtp_host:
        results.append(_email(changes, settings, fetch_settings))
    return results
