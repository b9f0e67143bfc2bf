"""TLS handshakes to a given address with a given SNI: what certificate a server presents.

Nothing is verified (an investigation records what is served: expired, self-signed and mismatched
certificates included), and old protocol versions and weak keys are accepted. The handshake goes
to ``address`` (the scan's own DNS answer, or an origin candidate) with SNI ``host``; with a proxy
(the case's ``fetch.proxy``: ``http://`` CONNECT or ``socks5://``/``socks5h://``) the tunnel is opened
to ``address`` so the investigator's own address is not shown to the server, as for HTTP.

Python 3.11's ``ssl`` gives the leaf certificate of an unverified connection; the rest of the
presented chain comes from ``SSLObject.get_unverified_chain`` (public from Python 3.13, present but
private in 3.11 and 3.12) when the running Python has it, else the chain is just the leaf.

Failures raise :class:`TlsError` whose text is short and stable (``tls: timeout``,
``tls: connection refused``, ``tls: handshake failed (…)`` …): it becomes a scan ``Failure``.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import errno
import ipaddress
import ssl
import struct
from dataclasses import dataclass, field
from functools import cache
from typing import Any
from urllib.parse import unquote, urlsplit

from unmask.infra.base import LookupFailed


class TlsError(LookupFailed):
    """A handshake that did not give a certificate; ``str(exc)`` is the short stable message."""


@dataclass(frozen=True, slots=True)
class TlsHandshake:
    """What one handshake showed."""

    address: str
    port: int
    server_name: str
    leaf: bytes
    """The DER leaf certificate."""
    chain: list[bytes] = field(default_factory=list)
    """The presented chain in order, leaf first (just the leaf when Python cannot tell more)."""
    version: str | None = None
    cipher: str | None = None


@cache
def _context() -> ssl.SSLContext:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    ctx.minimum_version = ssl.TLSVersion.MINIMUM_SUPPORTED
    with contextlib.suppress(ssl.SSLError):  # accept weak keys and old ciphers: we only look
        ctx.set_ciphers("ALL:@SECLEVEL=0")
    return ctx


def server_name(host: str) -> str | None:
    """The SNI for ``host``: its IDNA (punycode) form; None for an IP literal (no SNI is sent)."""
    host = host.strip().rstrip(".")
    try:
        ipaddress.ip_address(host.strip("[]"))
        return None
    except ValueError:
        pass
    try:
        return host.encode("idna").decode("ascii").lower()
    except UnicodeError:
        raise TlsError("tls: bad host name") from None


def _os_error(exc: OSError) -> TlsError:
    known = {
        errno.ECONNREFUSED: "connection refused",
        errno.ECONNRESET: "connection reset",
        errno.EHOSTUNREACH: "host unreachable",
        errno.ENETUNREACH: "network unreachable",
        errno.ETIMEDOUT: "timeout",
        errno.EPIPE: "connection reset",
    }
    if exc.errno in known:
        return TlsError(f"tls: {known[exc.errno]}")
    return TlsError(f"tls: connection failed ({type(exc).__name__})")


def _ssl_error(exc: ssl.SSLError) -> TlsError:
    reason = getattr(exc, "reason", None) or type(exc).__name__
    return TlsError(f"tls: handshake failed ({reason})")


def _presented_chain(sslobj: Any) -> list[bytes]:
    getter = getattr(sslobj, "get_unverified_chain", None) or getattr(
        getattr(sslobj, "_sslobj", None), "get_unverified_chain", None
    )
    if getter is None:
        return []
    try:
        certs = getter() or []
        der = getattr(ssl, "_ssl").ENCODING_DER  # noqa: B009 - private constant, same module
        return [c if isinstance(c, bytes) else c.public_bytes(der) for c in certs]
    except Exception:  # a private API: any surprise means "no chain", never a failed handshake
        return []


async def _open(
    address: str, port: int, proxy: str | None
) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    if not proxy:
        return await asyncio.open_connection(address, port)
    parts = urlsplit(proxy)
    if parts.hostname is None or parts.port is None:
        raise TlsError("tls: bad proxy address")
    reader, writer = await asyncio.open_connection(parts.hostname, parts.port)
    tunnel = Tunnel(address, port, parts.username, parts.password)
    try:
        if parts.scheme in ("socks5", "socks5h"):
            await _socks5(reader, writer, tunnel)
        elif parts.scheme in ("http", "https"):
            await _http_connect(reader, writer, tunnel)
        else:
            raise TlsError(f"tls: unsupported proxy scheme {parts.scheme}")
    except BaseException:
        writer.close()
        raise
    return reader, writer


@dataclass(frozen=True, slots=True)
class Tunnel:
    """Where a proxy is asked to connect, and the proxy's credentials (from its URL)."""

    address: str
    port: int
    user: str | None
    password: str | None


async def _socks5(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, tunnel: Tunnel) -> None:
    address, port, user, password = tunnel.address, tunnel.port, tunnel.user, tunnel.password
    methods = b"\x00\x02" if user is not None else b"\x00"
    writer.write(b"\x05" + bytes([len(methods)]) + methods)
    ver, method = await reader.readexactly(2)
    if ver != 5 or method not in methods:
        raise TlsError("tls: proxy refused (socks5 method)")
    if method == 2:
        u, p = unquote(user or "").encode(), unquote(password or "").encode()
        writer.write(b"\x01" + bytes([len(u)]) + u + bytes([len(p)]) + p)
        if (await reader.readexactly(2))[1] != 0:
            raise TlsError("tls: proxy refused (socks5 authentication)")
    ip = ipaddress.ip_address(address)
    atyp = b"\x01" if ip.version == 4 else b"\x04"
    writer.write(b"\x05\x01\x00" + atyp + ip.packed + struct.pack("!H", port))
    head = await reader.readexactly(4)
    if head[1] != 0:
        raise TlsError(f"tls: proxy refused (socks5 reply {head[1]})")
    skip = {1: 4, 4: 16}.get(head[3])
    if skip is None:  # a domain name as bound address
        skip = (await reader.readexactly(1))[0]
    await reader.readexactly(skip + 2)


async def _http_connect(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, tunnel: Tunnel) -> None:
    address, port, user, password = tunnel.address, tunnel.port, tunnel.user, tunnel.password
    target = f"[{address}]:{port}" if ":" in address else f"{address}:{port}"
    lines = [f"CONNECT {target} HTTP/1.1", f"Host: {target}"]
    if user is not None:
        token = base64.b64encode(f"{unquote(user)}:{unquote(password or '')}".encode()).decode()
        lines.append(f"Proxy-Authorization: Basic {token}")
    writer.write(("\r\n".join(lines) + "\r\n\r\n").encode())
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except (asyncio.IncompleteReadError, asyncio.LimitOverrunError):
        raise TlsError("tls: proxy refused (bad CONNECT answer)") from None
    status = head.split(b" ", 2)[1:2]
    if not status or not status[0].startswith(b"2"):
        raise TlsError(
            f"tls: proxy refused (CONNECT {status[0].decode(errors='replace') if status else '?'})"
        )


async def tls_handshake(
    host: str, port: int, address: str, timeout: float, *, proxy: str | None = None
) -> TlsHandshake:
    """Handshake with ``address``:``port`` presenting SNI ``host``; the certificates it showed."""
    sni = server_name(host)
    try:
        addr = str(ipaddress.ip_address(address.strip().strip("[]")))
    except ValueError:
        raise TlsError("tls: not an IP address") from None
    writer: asyncio.StreamWriter | None = None
    try:
        async with asyncio.timeout(timeout):
            _reader, writer = await _open(addr, port, proxy)
            await writer.start_tls(_context(), server_hostname=sni, ssl_handshake_timeout=timeout)
            sslobj = writer.get_extra_info("ssl_object")
            leaf = sslobj.getpeercert(binary_form=True) if sslobj is not None else None
            if not leaf:
                raise TlsError("tls: no certificate")
            chain = _presented_chain(sslobj) or [leaf]
            cipher = sslobj.cipher()
            return TlsHandshake(
                address=addr,
                port=port,
                server_name=sni or "",
                leaf=leaf,
                chain=chain,
                version=sslobj.version(),
                cipher=cipher[0] if cipher else None,
            )
    except TimeoutError:
        raise TlsError("tls: timeout") from None
    except ssl.SSLError as exc:
        raise _ssl_error(exc) from None
    except asyncio.IncompleteReadError:
        raise TlsError("tls: connection closed") from None
    except OSError as exc:
        raise _os_error(exc) from None
    finally:
        if writer is not None:
            writer.close()
            with contextlib.suppress(Exception):
                async with asyncio.timeout(1):
                    await writer.wait_closed()


async def tls_certificate(
    host: str, port: int, address: str, timeout: float, *, proxy: str | None = None
) -> bytes:
    """The DER leaf certificate ``address`` presents for SNI ``host``; raises :class:`TlsError`."""
    return (await tls_handshake(host, port, address, timeout, proxy=proxy)).leaf
