"""The ordered registry of infrastructure sources, by dotted path, and their options.

A source whose module is not importable (not installed, not written yet) is skipped; the order is
topological by each source's ``after`` (ties keep the registry's order). Each source's options come
from ``case.yaml`` (``infra.sources.<name>``), checked like every other setting: an unknown source,
an unknown option or a wrong type is one line naming the key.
"""

from __future__ import annotations

import dataclasses
import importlib
import typing
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from unmask.core.config import InfraSettings, from_dict
from unmask.core.errors import ConfigError
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
OPTIONS_WHERE = "case.yaml.infra.sources"
"""How option errors name the key (``case.yaml.infra.sources.certificate.https_port: …``)."""


@dataclass(frozen=True)
class Skipped:
    path: str
    reason: str


def load_class(path: str) -> type[Source[Any]] | None:
    module_name, _, attr = path.partition(":")
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name is not None and module_name.startswith(exc.name):
            return None  # the module itself is missing: not written or not installed
        raise
    cls = getattr(module, attr, None)
    return cls if isinstance(cls, type) and issubclass(cls, Source) else None


def available(paths: tuple[str, ...] = SOURCES) -> Iterator[tuple[str, type[Source[Any]] | None]]:
    """(path, class or None when not installed) of every registered source, in the registry's order."""
    for path in paths:
        yield path, load_class(path)


def ordered(classes: list[type[Source[Any]]]) -> list[type[Source[Any]]]:
    """Topological order by ``after``; names not present are ignored; a cycle keeps the given order."""
    present = {c.name for c in classes}
    done: set[str] = set()
    result: list[type[Source[Any]]] = []
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


# -- options ----------------------------------------------------------------------------------------


def source_options(cls: type[Source[Any]], raw: Mapping[str, Any] | None) -> Any:
    """The source's options from its ``case.yaml`` mapping: unknown keys, wrong types and numbers out of
    bounds are a ConfigError naming the key."""
    where = f"{OPTIONS_WHERE}.{cls.name}"
    options = from_dict(cls.Options, dict(raw or {}), where)
    for spec in dataclasses.fields(options):
        value = getattr(options, spec.name)
        low, high = spec.metadata.get("minimum"), spec.metadata.get("maximum")
        if not isinstance(value, int) or isinstance(value, bool):
            continue
        if (low is not None and value < low) or (high is not None and value > high):
            bounds = f"between {low} and {high}" if high is not None else f"at least {low}"
            raise ConfigError(f"must be {bounds}, got {value}", where=f"{where}.{spec.name}")
    return options


def check_source_names(configured: Mapping[str, Any], known: set[str]) -> None:
    unknown = sorted(set(configured) - known)
    if unknown:
        raise ConfigError(
            f"unknown source {unknown[0]!r} (known: {', '.join(sorted(known))})", where=OPTIONS_WHERE
        )


def sources(
    options: ScanOptions,
    settings: InfraSettings | None = None,
    paths: tuple[str, ...] = SOURCES,
) -> tuple[list[Source[Any]], list[Skipped]]:
    """Instances of the sources this scan runs, in order, with their options, and those it skips (with
    why). Every configured source's options are checked, also those of sources this scan skips."""
    settings = settings or InfraSettings()
    classes: list[type[Source[Any]]] = []
    skipped: list[Skipped] = []
    built: dict[str, Any] = {}
    for path, cls in available(paths):
        if cls is None:
            skipped.append(Skipped(path, "not available"))
            continue
        built[cls.name] = source_options(cls, settings.sources.get(cls.name))
        if (cls.connects or cls.service is not None) and options.dns_only:
            skipped.append(Skipped(path, "--dns-only"))
        elif cls.active and not options.active:
            skipped.append(Skipped(path, "needs --active"))
        else:
            classes.append(cls)
    check_source_names(settings.sources, set(built))
    chain = [
        cls(built[cls.name], timeout=settings.source_timeout, give_up_after=settings.give_up_after)
        for cls in ordered(classes)
    ]
    return chain, skipped


# -- describing them (`unmask infra sources`) -------------------------------------------------------


def type_name(tp: Any) -> str:
    """``int``, ``str | None``, ``list[str]`` … as written in the options class."""
    if isinstance(tp, type) and not typing.get_args(tp):
        return tp.__name__
    text = str(tp).replace("typing.", "")
    return text.replace("NoneType", "None")


def describe(settings: InfraSettings | None = None, paths: tuple[str, ...] = SOURCES) -> list[dict[str, Any]]:
    """Every registered source with what it does, when it runs and its options (default and current
    value from ``settings``)."""
    settings = settings or InfraSettings()
    found: list[dict[str, Any]] = []
    known: set[str] = set()
    for path, cls in available(paths):
        if cls is None:
            found.append({"name": None, "path": path, "available": False, "options": []})
            continue
        known.add(cls.name)
        current = source_options(cls, settings.sources.get(cls.name))
        defaults = cls.Options()
        hints = typing.get_type_hints(cls.Options)
        doc = (cls.__doc__ or "").strip().split("\n\n", 1)[0]
        found.append(
            {
                "name": cls.name,
                "path": path,
                "available": True,
                "description": " ".join(doc.replace("``", "").split()),
                "after": list(cls.after),
                "connects_to_site": cls.connects,
                "asks_service": cls.service,
                "needs_active": cls.active,
                "runs_with_dns_only": not (cls.connects or cls.service is not None),
                "options": [
                    {
                        "name": spec.name,
                        "type": type_name(hints[spec.name]),
                        "default": getattr(defaults, spec.name),
                        "value": getattr(current, spec.name),
                        "set": spec.name in settings.sources.get(cls.name, {}),
                        "help": spec.metadata.get("help", ""),
                    }
                    for spec in dataclasses.fields(current)
                ],
            }
        )
    check_source_names(settings.sources, known)
    return found
