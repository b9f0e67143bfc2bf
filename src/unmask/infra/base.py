"""The shape every infrastructure data source shares (bbot-style: one short class per source).

A scan of one domain runs the registered sources in order over a shared :class:`ScanContext`.
Each source reads what earlier sources observed (``ctx.values("dns.a")``) and yields
:class:`Observation` values; a look-up that fails is a :class:`Failure`, recorded and shown,
and the scan goes on. Sources never talk to the store, never open their own HTTP client and
never resolve names themselves: DNS goes through ``ctx.resolve``, HTTP through ``ctx.fetch``
(which pins connections to the addresses the scan's resolver gave, and records evidence), and
TLS handshakes through ``ctx.tls_certificate``.

What the base owns, so that no source repeats it:

* **Options.** A source declares its options as a frozen dataclass, the type argument of
  ``Source[...]``: typed fields with defaults and one line of help each (:func:`option`). They are
  set in ``case.yaml`` under ``infra.sources.<name>`` and listed by ``unmask infra sources``
  (:func:`unmask.infra.registry.source_options` validates them like every other setting).
* **Asking.** :meth:`Source.ask` awaits one look-up. A look-up that fails (:data:`LOOKUP_ERRORS`:
  a fetch error, a refused fetch, a TLS error, an unusable answer) comes back as the source's one
  :class:`Failure` with the one text :func:`failure_text` gives, whatever source asked. With a
  ``key``, a look-up is asked once per scan and its answer shared by every domain (the same
  address behind many domains is one RDAP query).
* **Giving up.** A source that asks a third-party data service (``service``: RDAP, certificate
  transparency) stops asking it for the rest of the scan after ``give_up_after`` look-ups in a row
  that it did not answer at all; the look-ups it skips are failures too (never "no records").
* **Time.** :meth:`Source.collect` runs a source over one domain within ``timeout`` seconds; a
  timeout or a crash of the source is one failure of that domain, never the end of the scan.

Observation kinds are dotted names (``dns.a``, ``net.asn``, ``masking``, ``cert.sha256``,
``web.title``, ``linking_id``, ``rdap.registrar`` …). The change report maps them onto the
contract's change kinds (``ip``, ``asn``, ``country``, ``masking``, ``nameserver``,
``certificate``, ``linking_id`` …) in one table (unmask.infra.changes).
"""

from __future__ import annotations

import abc
import asyncio
import typing
from collections.abc import AsyncIterator, Awaitable, Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar, Generic, Protocol, TypeVar

from unmask.core.errors import FetchRefused, UnmaskError
from unmask.core.fetch.client import Fetcher
from unmask.core.fetch.exchange import FetchResponse
from unmask.core.fetch.transport import FetchError

MAX_FAILURE_TEXT = 300


@dataclass(frozen=True, slots=True)
class Observation:
    """One fact seen in a scan: ``subject`` (a hostname or an IP) has ``kind`` = ``value``.

    Values of one kind form a set per subject (several A records, several linking IDs).
    """

    kind: str
    value: str
    subject: str
    source: str
    detail: Mapping[str, Any] | None = None
    """JSON-able extras (TTL, certificate fields, where an ID was found, the matched range)."""
    capture_id: int | None = None
    """The evidence capture (WARC record) this came from, when it came over HTTP."""


@dataclass(frozen=True, slots=True)
class Failure:
    """A look-up that did not answer: a result, not an error of the scan."""

    source: str
    subject: str
    error: str
    """Short and stable: ``NXDOMAIN``, ``SERVFAIL``, ``REFUSED``, ``timeout``, ``tls: …``, ``http 404``."""


@dataclass(frozen=True)
class ScanOptions:
    dns_only: bool = False
    """DNS and offline look-ups alone: no connection to any resolved address, no data service."""
    active: bool = False
    """Allow sources that contact servers other than the site and its data sources (origin probing)."""
    resolver: str | None = None
    """HOST:PORT; None uses case.yaml's infra.resolver, then the system resolver."""


# -- failures -------------------------------------------------------------------------------------


class LookupFailed(Exception):
    """A look-up that gave no usable answer: ``str(exc)`` is the short, stable failure text.

    ``unreachable`` marks an answer that says nothing about the question (the service is down,
    busy or rate-limiting): such failures count toward giving up on a data service.
    """

    def __init__(self, text: str, *, unreachable: bool = False) -> None:
        super().__init__(text)
        self.unreachable = unreachable


LOOKUP_ERRORS: tuple[type[Exception], ...] = (LookupFailed, FetchError, FetchRefused)
"""What a look-up may raise that is a result (recorded as a Failure), not a bug of the source."""


def failure_text(exc: BaseException) -> str:
    """The one text of a failed look-up, the same whichever source asked."""
    if isinstance(exc, FetchRefused):
        text = f"refused: {exc.reason}"
    elif isinstance(exc, FetchError):
        text = "timeout" if exc.kind == "timeout" else f"{exc.kind}: {exc.detail}"
    else:
        text = str(exc) or type(exc).__name__
    return text[:MAX_FAILURE_TEXT]


def unanswered(exc: BaseException) -> bool:
    """The server gave no answer at all (no connection, a timeout, 5xx, 429); a body that could not be
    decoded is an answer, if a bad one."""
    if isinstance(exc, FetchError):
        return exc.kind != "decode"
    return isinstance(exc, LookupFailed) and exc.unreachable


def http_failure(status: int) -> LookupFailed:
    """An answer other than 200 from a data service: ``http 404``; 5xx and 429 say nothing of the question."""
    return LookupFailed(f"http {status}", unreachable=status >= 500 or status == 429)


# -- options --------------------------------------------------------------------------------------


def option(default: Any, help: str, *, minimum: int | None = None, maximum: int | None = None) -> Any:
    """One option of a source: its default, one line of help, optional bounds for a number."""
    metadata = {"help": help, "minimum": minimum, "maximum": maximum}
    if isinstance(default, list | dict | set):
        return field(default_factory=lambda: type(default)(default), metadata=metadata)
    return field(default=default, metadata=metadata)


@dataclass(frozen=True)
class NoOptions:
    """A source without options."""


OptionsT = TypeVar("OptionsT")


# -- the context and the source -------------------------------------------------------------------


class DnsAnswer(Protocol):
    records: list[str]
    error: str | None


class ScanContext(Protocol):
    """What a source may use. Implemented by unmask.infra.context."""

    domain: str
    options: ScanOptions
    observations: list[Observation]
    failures: list[Failure]
    earlier_addresses: Sequence[str]
    """Every address the domain's own name had before this scan (earlier scans, passive DNS); filled
    only in an ``--active`` scan (origin discovery compares with them)."""

    @property
    def data_fetcher(self) -> Fetcher | None:
        """The case's fetcher, unpinned, for the scan's data sources (RDAP, certificate transparency);
        None in a --dns-only scan."""
        ...

    def values(self, kind: str, subject: str | None = None) -> list[str]:
        """Distinct values observed so far of one kind (optionally for one subject), in order seen."""
        ...

    async def resolve(self, name: str, rdtype: str) -> DnsAnswer:
        """A DNS query through the scan's resolver; failures come back in ``error``, never raised."""
        ...

    async def fetch(self, url: str, *, favicon: bool = False, address: str | None = None) -> FetchResponse:
        """GET through the case's fetch layer, connecting to ``address`` (default: the scan's own answer
        for the URL's host) with the URL's Host and SNI. Raises FetchError/FetchRefused on failure."""
        ...

    async def tls_certificate(self, host: str, port: int = 443, *, address: str | None = None) -> bytes:
        """The DER certificate the server presents for SNI ``host`` (chain not verified: we record it).
        Raises a LookupFailed (``tls: …``) on failure."""
        ...


T = TypeVar("T")
DEFAULT_TIMEOUT = 120.0
DEFAULT_GIVE_UP_AFTER = 5


@dataclass(frozen=True, slots=True)
class _Failed:
    text: str


class Source(abc.ABC, Generic[OptionsT]):
    """A data source of the infrastructure scan. Subclasses are short: a name, options and ``run``.

    ``class LiveCertificate(Source[CertificateOptions])`` declares the source's options; an instance
    holds them in ``options`` (the defaults when none are given). One instance serves every domain of
    one scan, so what it shares across domains (answers asked with a key, giving up) lasts one scan.
    """

    name: ClassVar[str]
    after: ClassVar[tuple[str, ...]] = ()
    """Names of sources whose observations this one reads; the scan runs those first."""
    connects: ClassVar[bool] = False
    """Talks to the investigated servers (HTTP/TLS): skipped with ``--dns-only``."""
    service: ClassVar[str | None] = None
    """The third-party data service this source asks (RDAP, certificate transparency), if any: skipped
    with ``--dns-only``; given up for the rest of a scan when it stops answering."""
    active: ClassVar[bool] = False
    """Talks to servers other than the site and its data sources: runs only with ``--active``."""
    Options: ClassVar[type[Any]] = NoOptions
    """The options dataclass (the type argument of ``Source[...]``)."""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        for base in cls.__dict__.get("__orig_bases__", ()):
            if typing.get_origin(base) is Source:
                (declared,) = typing.get_args(base)
                if isinstance(declared, type):
                    cls.Options = declared

    def __init__(
        self,
        options: OptionsT | None = None,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        give_up_after: int = DEFAULT_GIVE_UP_AFTER,
    ) -> None:
        self.options: OptionsT = options if options is not None else self.Options()
        self.timeout = timeout
        """Longest time the source may take for one domain."""
        self.give_up_after = give_up_after
        """Unanswered look-ups in a row after which a data service is not asked again (0: never)."""
        self._unanswered = 0
        self._gave_up: str | None = None
        self._answers: dict[Hashable, asyncio.Future[Any]] = {}

    def prepare(self) -> None:
        """Check what can be checked before a scan starts (files named in options…); raise ConfigError."""

    def endpoints(self, scan: ScanOptions) -> list[str]:
        """Base URLs of the data services this source may ask in a scan (the fetch scope admits them);
        the scanned domains themselves are always in scope."""
        return []

    @abc.abstractmethod
    def run(self, ctx: ScanContext) -> AsyncIterator[Observation | Failure]:
        """Yield observations and failures for ``ctx.domain`` (an async generator)."""
        ...

    async def ask(
        self, subject: str, look_up: Callable[[], Awaitable[T]], *, key: Hashable | None = None
    ) -> T | Failure:
        """Await one look-up about ``subject``: its answer, or this source's Failure for it.

        With ``key``, the look-up runs once per scan and every caller with the same key gets its answer
        (or its failure). A source that has given up answers with a failure without asking.
        """
        if key is None:
            outcome = await self._attempt(look_up)
        else:
            future = self._answers.get(key)
            if future is None:
                future = asyncio.ensure_future(self._attempt(look_up))
                self._answers[key] = future
            outcome = await asyncio.shield(future)
        if isinstance(outcome, _Failed):
            return Failure(self.name, subject, outcome.text)
        return outcome

    async def _attempt(self, look_up: Callable[[], Awaitable[T]]) -> T | _Failed:
        if self._gave_up is not None:
            return _Failed(self._gave_up)
        try:
            answer = await look_up()
        except LOOKUP_ERRORS as exc:
            text = failure_text(exc)
            if not unanswered(exc):
                self._unanswered = 0  # an answer, if not the one hoped for: the service is there
            elif self.service is not None:
                self._unanswered += 1
                if self.give_up_after and self._unanswered >= self.give_up_after:
                    self._gave_up = f"gave up after {self._unanswered} unanswered look-ups ({text})"[
                        :MAX_FAILURE_TEXT
                    ]
            return _Failed(text)
        self._unanswered = 0
        return answer

    async def collect(self, ctx: ScanContext, add: Callable[[Observation | Failure], None]) -> None:
        """Run over one domain within ``timeout``; every item goes to ``add``. A timeout, or a source
        that breaks, is one Failure of the domain; a user error (UnmaskError) ends the scan."""
        try:
            async with asyncio.timeout(self.timeout):
                async for item in self.run(ctx):
                    add(item)
        except TimeoutError:
            add(Failure(self.name, ctx.domain, "timeout"))
        except UnmaskError:
            raise
        except Exception as exc:  # a broken source is a result of this domain, never the end of the scan
            add(Failure(self.name, ctx.domain, f"error: {type(exc).__name__}: {exc}"[:MAX_FAILURE_TEXT]))
