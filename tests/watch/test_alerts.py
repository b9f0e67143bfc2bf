"""Alert delivery: stdout, a real webhook receiver and a real aiosmtpd SMTP server, all on loopback."""

from __future__ import annotations

import datetime as dt
import io
import ssl
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import Message
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.smtp import AuthResult, LoginPassword
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from tests.helpers.json_server import JsonServer, Reply
from tests.helpers.ports import SocketController, listening_socket, port_of, refused_port
from unmask.core.config import AlertSettings, FetchSettings
from unmask.core.fetch.outbound import OutboundError, post_json
from unmask.watch.alerts import DeliveryResult, change_line, deliver, mail_message

CHANGES: list[dict[str, Any]] = [
    {
        "time": "2026-11-25T10:00:00Z",
        "domain": "invented-tube.test",
        "kind": "ip",
        "old": ["192.0.2.10"],
        "new": ["198.51.100.7"],
    },
    {
        "time": "2026-11-25T10:00:00Z",
        "domain": "invented-tube.test",
        "kind": "title",
        "old": None,
        "new": "Tube",
    },
    {
        "time": "2026-11-25T10:00:01Z",
        "domain": "sister-site.test",
        "kind": "linking_id",
        "old": [],
        "new": ["ga4:G-X1"],
    },
]


def _fetch() -> FetchSettings:
    return FetchSettings(connect_timeout=3.0, read_timeout=3.0, user_agent="unmask-test")


def test_change_line() -> None:
    assert change_line(CHANGES[0]) == "2026-11-25T10:00:00Z invented-tube.test ip: 192.0.2.10 → 198.51.100.7"
    assert change_line(CHANGES[1]).endswith("title: — → Tube")
    assert change_line(CHANGES[2]).endswith("linking_id: (none) → ga4:G-X1")


def test_nothing_to_say_sends_nothing() -> None:
    out = io.StringIO()
    assert deliver([], AlertSettings(webhook_url="http://127.0.0.1:9/"), _fetch(), stdout=out) == []
    assert out.getvalue() == ""


def test_stdout_and_webhook() -> None:
    with JsonServer({"/hook": Reply(204), "/broken": Reply(500, "oops")}) as server:
        out = io.StringIO()
        settings = AlertSettings(webhook_url=server.url("/hook"))
        results = deliver(CHANGES, settings, _fetch(), stdout=out)
        assert results == [
            DeliveryResult("stdout", "stdout", True, 3),
            DeliveryResult("webhook", server.url("/hook"), True, 3),
        ]
        assert out.getvalue().splitlines()[0] == change_line(CHANGES[0])
        (request,) = server.requests
        assert request.method == "POST" and request.headers["user-agent"] == "unmask-test"
        assert request.headers["content-type"].startswith("application/json")
        body = request.json()
        assert body["count"] == 3 and body["changes"] == CHANGES and body["source"] == "unmask"

        (bad,) = deliver(CHANGES, AlertSettings(webhook_url=server.url("/broken")), _fetch(), stdout=None)
        assert (bad.ok, bad.error) == (False, "http 500")


def test_webhook_unreachable_is_a_result() -> None:
    with refused_port() as port:
        url = f"http://127.0.0.1:{port}/hook"
        (result,) = deliver(CHANGES, AlertSettings(webhook_url=url), _fetch(), stdout=None)
    assert not result.ok and result.error is not None and result.error.startswith("connect")
    with pytest.raises(OutboundError, match="not an http"):
        post_json("ftp://x/", {}, _fetch())


# ---------------------------------------------------------------------------------- SMTP


@dataclass
class Inbox:
    messages: list[tuple[str, list[str], Message]] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(
            (
                envelope.mail_from,
                list(envelope.rcpt_tos),
                message_from_bytes(envelope.content, policy=policy.default),
            )
        )
        return "250 OK"


def _tls_context(tmp_path: Path) -> ssl.SSLContext:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=30))
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert_path, key_path)
    return context


def _authenticator(server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any) -> AuthResult:
    ok = isinstance(auth_data, LoginPassword) and (auth_data.login, auth_data.password) == (
        b"watcher",
        b"s3cret",
    )
    return AuthResult(success=ok, handled=False)  # handled=False: the server answers 235 or 535


@pytest.fixture
def smtp_plain() -> Iterator[tuple[Inbox, int]]:
    inbox = Inbox()
    sock = listening_socket()
    port = port_of(sock)
    controller = SocketController(inbox, sock)
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()


@pytest.fixture
def smtp_tls(tmp_path: Path) -> Iterator[tuple[Inbox, int]]:
    inbox = Inbox()
    sock = listening_socket()
    port = port_of(sock)
    controller = SocketController(
        inbox,
        sock,
        tls_context=_tls_context(tmp_path),
        require_starttls=True,
        authenticator=_authenticator,
        auth_required=True,
    )
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()


def test_email_plain(smtp_plain: tuple[Inbox, int]) -> None:
    inbox, port = smtp_plain
    settings = AlertSettings(
        smtp_host="127.0.0.1", smtp_port=port, mail_from="watch@invented.test", mail_to=["desk@invented.test"]
    )
    (result,) = deliver(CHANGES, settings, _fetch(), stdout=None)
    assert result == DeliveryResult("email", f"127.0.0.1:{port}", True, 3)
    ((sender, recipients, message),) = inbox.messages
    assert (sender, recipients) == ("watch@invented.test", ["desk@invented.test"])
    assert (
        str(message["Subject"]).strip()
        == "unmask: 3 infrastructure changes (invented-tube.test, sister-site.test)"
    )
    body = message.get_content()  # type: ignore[attr-defined]
    assert change_line(CHANGES[0]) in body and change_line(CHANGES[2]) in body


def test_email_starttls_and_auth(smtp_tls: tuple[Inbox, int]) -> None:
    inbox, port = smtp_tls
    settings = AlertSettings(
        smtp_host="127.0.0.1",
        smtp_port=port,
        smtp_starttls=True,
        smtp_user="watcher",
        smtp_password="s3cret",
        mail_to=["desk@invented.test"],
    )
    trusting = _fetch()
    trusting.verify_tls = False  # the test server's certificate is self-signed
    (result,) = deliver(CHANGES, settings, trusting, stdout=None)
    assert result.ok, result.error
    assert len(inbox.messages) == 1

    (checked,) = deliver(CHANGES, settings, _fetch(), stdout=None)  # verification on: refused, as a result
    assert not checked.ok and checked.error is not None and "CERTIFICATE_VERIFY_FAILED" in checked.error

    settings.smtp_password = "wrong"
    (denied,) = deliver(CHANGES, settings, trusting, stdout=None)
    assert not denied.ok and denied.error is not None and "Authentication" in denied.error
    settings.smtp_starttls = False
    settings.smtp_password = "s3cret"
    (plain,) = deliver(CHANGES, settings, trusting, stdout=None)
    assert not plain.ok  # the server requires STARTTLS
    assert len(inbox.messages) == 1


def test_email_failures_are_results() -> None:
    with refused_port() as port:
        down = AlertSettings(smtp_host="127.0.0.1", smtp_port=port, mail_to=["desk@invented.test"])
        (result,) = deliver(CHANGES, down, _fetch(), stdout=None)
    assert not result.ok and "ConnectionRefused" in (result.error or "")
    nobody = AlertSettings(smtp_host="127.0.0.1", smtp_port=25)
    (result,) = deliver(CHANGES, nobody, _fetch(), stdout=None)
    assert result.error == "no recipients (infra.alerts.mail_to)"


def test_mail_lists_at_most_max_lines() -> None:
    many = [dict(CHANGES[0], domain=f"d{i}.test") for i in range(600)]
    message = mail_message(many, AlertSettings(mail_to=["a@invented.test"]))
    assert "and 597 more" in str(message["Subject"])
    assert "… and 100 more changes" in message.get_content()
