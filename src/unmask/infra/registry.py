"""The ordered registry of infrastructure sources, by dotted path.

A source whose module is not importable (not installed, not written yet) is skipped; the order is
topological by each source's ``after`` (ties keep the registry's order).
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from unmask.infra.base import ScanOptions, Source

SOURCES: tuple[str, ...] = (
    "unmask.infra.dns:DnsRecords",
    "unmask.infra.linking:TxtLinkingIds",
    "unmask.infra.networks:Networks",
    "unmask.infra.web:WebFingerprint",
    "unmask.infra.certs:LiveCertificate",
    "unmask.infra.rdap:RdapLookup",
    "unmask.infra.ct:CertificateTransparency",
    "unmask.infra.masking:Masking",
    "unmask.infra.origin:OriginDiscovery",
)


@dataclass(frozen=True)
class Skipped:
    path: str
    reason: str


def load_class(path: str) -> type[Source] | None:
    module_name, _, attr = path.partition(":")
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name is not None and module_name.startswith(exc.name):
            return None  # the module itself is missing: not written or not installed
        raise
    cls = getattr(module, attr, None)
    return cls if isinstance(cls, type) and issubclass(cls, Source) else None


def ordered(classes: list[type[Source]]) -> list[type[Source]]:
    """Topological order by ``after``; names not present are ignored; a cycle keeps the given order."""
    present = {c.name for c in classes}
    done: set[str] = set()
    result: list[type[Source]] = []
    pending = list(classes)
    while pending:
        for cls in pending:
            if all(dep in done or dep not in present or dep == cls.name for dep in cls.after):
                break
        else:
            cls = pending[0]
        pending.remove(cls)
        done.add(cls.name)
        result.append(cls)
    return result


def sources(
    options: ScanOptions,
    settings: Mapping[str, Any] | None = None,
    paths: tuple[str, ...] = SOURCES,
) -> tuple[list[Source], list[Skipped]]:
    """Instances of the sources this scan runs, in order, and those it skips (with why)."""
    classes: list[type[Source]] = []
    skipped: list[Skipped] = []
    for path in paths:
        cls = load_class(path)
        if cls is None:
            skipped.append(Skipped(path, "not available"))
        elif cls.connects and options.dns_only:
            skipped.append(Skipped(path, "--dns-only"))
        elif cls.active and not options.active:
            skipped.append(Skipped(path, "needs --active"))
        else:
            classes.append(cls)
    return [cls(settings=dict(settings or {})) for cls in ordered(classes)], skipped
