"""Alerts: a line per change on stdout, apprise URLs (``watch.notify``: e-mail, webhooks, Matrix, ntfy
and the rest), and the infra watch's own webhook POST and e-mail (``infra.alerts``).

One job run with changes is one message (its change set); a failed run is a message of its own, never
"no change". Every message passes the case's privacy policy (no hidden or protected name goes out) and
says counts for protect scans, never who or where. A delivery that fails (the webhook answers 500, the
mail server refuses) is a :class:`DeliveryResult` with ``ok=False`` and the reason, never an exception:
the watch goes on, records and shows it.
"""

from __future__ import annotations

import datetime as dt
import smtplib
import ssl
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from email.message import EmailMessage
from typing import TYPE_CHECKING, Any, TextIO

from unmask.core.config import AlertSettings, FetchSettings
from unmask.core.fetch.outbound import OutboundError, post_json

if TYPE_CHECKING:
    from unmask.core.case import Case
    from unmask.watch.schedule import Outcome

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
    server = MailServer(
        host, settings.smtp_port, settings.smtp_starttls, settings.smtp_user, settings.smtp_password
    )
    error = send_mail(mail_message(changes, settings), server, fetch)
    return DeliveryResult("email", target, error is None, len(changes), error)


@dataclass(frozen=True)
class MailServer:
    host: str
    port: int = 25
    starttls: bool = False
    user: str | None = None
    password: str | None = None


def send_mail(message: EmailMessage, server: MailServer, fetch: FetchSettings) -> str | None:
    """Send one message; None when the server took it for every recipient, else why not (never raises)."""
    try:
        with smtplib.SMTP(server.host, server.port, timeout=fetch.connect_timeout) as smtp:
            if server.starttls:  # the certificate is checked unless the case turned TLS checks off
                context = (
                    ssl.create_default_context() if fetch.verify_tls else ssl._create_unverified_context()
                )
                smtp.starttls(context=context)
            if server.user:
                smtp.login(server.user, server.password or "")
            refused = smtp.send_message(message)
    except (smtplib.SMTPException, OSError, ssl.SSLError) as exc:
        reason = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
        return reason[:300]
    return f"refused recipients: {sorted(refused)}" if refused else None


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


MAX_MESSAGE_LINES = 200
"""Changes listed in one apprise message at most (the rest is counted)."""


def outcome_message(outcome: Outcome) -> tuple[str, str]:
    """(title, body) of one job run's alert."""
    if not outcome.ok:
        return (
            f"unmask watch: FAILED {outcome.job}",
            f"The run failed: {outcome.error}\nNothing was compared.",
        )
    n = len(outcome.changes)
    lines = [str(c.get("summary") or change_line(c)) for c in outcome.changes[:MAX_MESSAGE_LINES]]
    if n > MAX_MESSAGE_LINES:
        lines.append(f"… and {n - MAX_MESSAGE_LINES} more changes")
    return f"unmask watch: {outcome.job}: {n} change{'s' * (n != 1)}", "\n".join(lines)


def notify(outcome: Outcome, case: Case) -> list[DeliveryResult]:
    """The run's message to every apprise URL of ``watch.notify`` (one result per URL)."""
    urls = case.config.watch.notify
    if not urls:
        return []
    import apprise

    from unmask.core.privacy import PrivacyPolicy

    policy = PrivacyPolicy.for_case(case)
    title, body = (policy.redact(part) or "" for part in outcome_message(outcome))
    kind = apprise.NotifyType.FAILURE if not outcome.ok else apprise.NotifyType.INFO
    results: list[DeliveryResult] = []
    for url in urls:
        target = url.split("://", 1)[0] + "://…"  # the URL may hold a token or a password
        sender = apprise.Apprise()
        if not sender.add(url):
            results.append(
                DeliveryResult("apprise", target, False, len(outcome.changes), "not an apprise URL")
            )
            continue
        try:
            ok = bool(sender.notify(title=title, body=body, notify_type=kind))
        except Exception as exc:  # a plugin's own failure: a result, the watch goes on
            results.append(DeliveryResult("apprise", target, False, len(outcome.changes), str(exc)[:300]))
            continue
        error = None if ok else "not delivered (see the service's answer)"
        results.append(DeliveryResult("apprise", target, ok, len(outcome.changes), error))
    return results


def deliver_outcome(outcome: Outcome, case: Case, *, stdout: TextIO | None) -> list[DeliveryResult]:
    """A run's alert: its lines on ``stdout`` (unless None) and the apprise URLs."""
    results: list[DeliveryResult] = []
    if stdout is not None:
        from unmask.core.output import display_text

        title, body = outcome_message(outcome)
        try:
            stdout.write(
                display_text(title) + "\n" + "".join(f"  {display_text(b)}\n" for b in body.splitlines())
            )
            stdout.flush()
            results.append(DeliveryResult("stdout", "stdout", True, len(outcome.changes)))
        except OSError as exc:
            results.append(DeliveryResult("stdout", "stdout", False, len(outcome.changes), str(exc)))
    return results + notify(outcome, case)
