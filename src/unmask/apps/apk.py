"""Offline analysis of one APK with bounded work: package, versions, permissions, activities, every
signing scheme's certificates (v1, v2, v3, v3.1 and the v3 rotation lineage), class names from every dex
(nested APKs included), trackers by Exodus's method, and the URLs and domains in the dex strings.

Everything an APK holds is hostile. The zip is read with caps (``archive``): an entry that expands past
``apps.max_entry_bytes``, or entries that together expand past ``apps.max_expanded_bytes``, are not read
and the result says so; the manifest and the signature files are checked that way before androguard
reads them. Dex tables are read with bounds on every count (``dex``). The analysis runs in a child
process with a memory limit and a time limit (:func:`analyse_bounded`), so a parser that loops or grows
on a crafted file costs at most that, and Ctrl-C ends it at once.
"""

from __future__ import annotations

import hashlib
import logging
import multiprocessing
import re
import resource
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from unmask.apps.archive import ApkInputError, Archive, EntryTooLarge
from unmask.apps.certificates import Certificate, certificate, lineage
from unmask.apps.dex import DexError, DexTables
from unmask.apps.trackers import TrackerList, match
from unmask.core.config import AppsSettings
from unmask.core.domains import normalize_host

MANIFEST = "AndroidManifest.xml"
RESOURCES = "resources.arsc"
MAX_META_BYTES = 8 * 1024 * 1024
"""Cap for the manifest and each signature file (real ones are kilobytes)."""
MAX_URLS = 5000
MAX_STRINGS = 5_000_000
DEX_NAME = re.compile(r"classes\d*\.dex$")
URL = re.compile(r"\b(?:https?|wss?)://[^\s\"'<>\\^`{|}]{1,2000}", re.IGNORECASE)
ANDROID_NS = "{http://schemas.android.com/apk/res/android}"


@dataclass(frozen=True, slots=True)
class Signer:
    scheme: str
    """v1 | v2 | v3 | v31 | lineage"""
    position: int
    certificate: Certificate


@dataclass(frozen=True, slots=True)
class FoundTracker:
    id: int
    name: str
    categories: tuple[str, ...]
    example_class: str
    matches: int


@dataclass
class ApkReport:
    sha256: str
    size: int
    package: str | None = None
    version_name: str | None = None
    version_code: str | None = None
    min_sdk: int | None = None
    target_sdk: int | None = None
    label: str | None = None
    permissions: list[str] = field(default_factory=list)
    activities: list[str] = field(default_factory=list)
    deep_links: list[str] = field(default_factory=list)
    signers: list[Signer] = field(default_factory=list)
    classes: int = 0
    trackers: list[FoundTracker] = field(default_factory=list)
    urls: list[str] = field(default_factory=list)
    domains: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def certificates(self, scheme: str) -> list[Certificate]:
        return [s.certificate for s in self.signers if s.scheme == scheme]


def _quiet_androguard() -> None:
    from loguru import logger

    logger.disable("androguard")


# -- the manifest ---------------------------------------------------------------------------------


def _int(value: object) -> int | None:
    try:
        return int(str(value), 0) if value not in (None, "") else None
    except ValueError:
        return None


def _manifest_from_apkinspector(data: bytes) -> Any:
    """A tampered manifest androguard refuses, decoded by apkInspector and parsed without entities."""
    import io

    from apkInspector.axml import ManifestStruct
    from lxml import etree

    text = ManifestStruct.parse(io.BytesIO(data)).get_manifest()
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)
    return etree.fromstring(text.encode("utf-8"), parser)


def _read_manifest(report: ApkReport, apk: Any, archive: Archive) -> None:
    if apk.is_valid_APK():
        report.package = apk.get_package() or None
        report.version_name = apk.get_androidversion_name() or None
        report.version_code = apk.get_androidversion_code() or None
        report.min_sdk = _int(apk.get_min_sdk_version())
        report.target_sdk = _int(apk.get_target_sdk_version())
        report.permissions = sorted(set(apk.get_permissions()))
        report.activities = sorted(set(apk.get_activities()))
        xml = apk.get_android_manifest_xml()
    else:
        try:
            xml = _manifest_from_apkinspector(archive.read(MANIFEST, MAX_META_BYTES))
        except Exception as exc:
            report.notes.append(f"{MANIFEST}: unreadable ({type(exc).__name__})")
            return
        report.notes.append(f"{MANIFEST}: tampered binary XML, read with apkInspector")
        report.package = xml.get("package")
        report.version_name = xml.get(ANDROID_NS + "versionName") or xml.get("versionName")
        report.version_code = xml.get(ANDROID_NS + "versionCode") or xml.get("versionCode")
        names = [el.get(ANDROID_NS + "name") or el.get("name") for el in xml.iter("uses-permission")]
        report.permissions = sorted({n for n in names if n})
        acts = [el.get(ANDROID_NS + "name") or el.get("name") for el in xml.iter("activity")]
        report.activities = sorted({a for a in acts if a})
    report.deep_links = _deep_links(xml)


def _deep_links(xml: Any) -> list[str]:
    """scheme://host/path of every ``<data>`` in an intent filter that names a scheme."""
    if xml is None:
        return []
    links: set[str] = set()
    for data in xml.iter("data"):
        attrs = {k.replace(ANDROID_NS, ""): v for k, v in data.attrib.items()}
        scheme = attrs.get("scheme")
        if not scheme:
            continue
        host = attrs.get("host", "")
        path = attrs.get("path") or attrs.get("pathPrefix") or attrs.get("pathPattern") or ""
        links.add(f"{scheme}://{host}{path}")
    return sorted(links)[:MAX_URLS]


# -- signatures -----------------------------------------------------------------------------------


def _signers(report: ApkReport, apk: Any, archive: Archive) -> None:
    v1_names = [n for n in apk.get_signature_names()]
    for name in v1_names:  # androguard reads them whole: check each against the cap first
        sf = name.rsplit(".", 1)[0] + ".SF"
        try:
            archive.read(name, MAX_META_BYTES)
            archive.read(sf, MAX_META_BYTES)
        except (EntryTooLarge, KeyError) as exc:
            report.notes.append(f"v1 signature {name}: not read ({exc})")
            v1_names = []
            break
    for n, name in enumerate(v1_names):
        try:
            der = apk.get_certificate_der(name)
        except Exception as exc:
            report.notes.append(f"v1 signature {name}: unreadable ({type(exc).__name__})")
            continue
        if der:
            report.signers.append(Signer("v1", n, certificate(der)))
    for scheme, getter in (
        ("v2", apk.get_certificates_der_v2),
        ("v3", apk.get_certificates_der_v3),
        ("v31", apk.get_certificates_der_v31),
    ):
        try:
            ders = getter() if _signed(apk, scheme) else []
        except Exception as exc:  # a broken signing block is a result
            report.notes.append(f"{scheme} signing block: unreadable ({type(exc).__name__}: {exc})"[:300])
            continue
        for n, der in enumerate(ders):
            report.signers.append(Signer(scheme, n, certificate(der)))
    try:
        signers = apk._v3_signing_data or [] if _signed(apk, "v3") else []
        for signer in signers:
            for n, der in enumerate(lineage(signer.signed_data.additional_attributes or b"")):
                report.signers.append(Signer("lineage", n, certificate(der)))
    except Exception as exc:
        report.notes.append(f"v3 lineage: unreadable ({type(exc).__name__})")


def _signed(apk: Any, scheme: str) -> bool:
    try:
        return bool({"v2": apk.is_signed_v2, "v3": apk.is_signed_v3, "v31": apk.is_signed_v31}[scheme]())
    except Exception:
        return False


# -- code -----------------------------------------------------------------------------------------


def _dex_files(
    archive: Archive, settings: AppsSettings, report: ApkReport, depth: int, prefix: str = ""
) -> Iterator[DexTables]:
    for name in archive.names():
        label = prefix + name
        if DEX_NAME.search(name):
            try:
                yield DexTables.parse(archive.read(name, settings.max_entry_bytes))
            except (EntryTooLarge, DexError) as exc:
                report.notes.append(f"{label}: not read ({exc})")
        elif name.lower().endswith(".apk"):
            if depth >= settings.max_nesting:
                report.notes.append(
                    f"{label}: nested APK deeper than {settings.max_nesting} levels, not opened"
                )
                continue
            try:
                inner = Archive.open(
                    archive.read(name, settings.max_entry_bytes), budget=archive.budget, where=label
                )
            except (EntryTooLarge, ApkInputError) as exc:
                report.notes.append(f"{label}: not read ({exc})")
                continue
            yield from _dex_files(inner, settings, report, depth + 1, prefix=label + "!")
            archive.budget = inner.budget


def _code(report: ApkReport, archive: Archive, settings: AppsSettings, trackers: TrackerList) -> None:
    classes: list[str] = []
    urls: set[str] = set()
    strings_left = MAX_STRINGS
    for dex in _dex_files(archive, settings, report, 0):
        room = settings.max_classes - len(classes)
        if dex.class_defs_size > room:
            report.notes.append(
                f"a dex holds {dex.class_defs_size} classes; read up to apps.max_classes "
                f"({settings.max_classes})"
            )
        classes.extend(dex.class_names(max(room, 0)))
        for text in dex.strings(strings_left):
            strings_left -= 1
            if "://" in text and len(urls) < MAX_URLS:
                urls.update(m.group(0).rstrip(".,;:)]") for m in URL.finditer(text))
    report.classes = len(classes)
    report.trackers = [
        FoundTracker(m.tracker.id, m.tracker.name, m.tracker.categories, m.example_class, m.matches)
        for m in match(classes, trackers)
    ]
    report.urls = sorted(urls)[:MAX_URLS]
    hosts = {normalize_host(urlsplit(u).hostname or "") for u in report.urls if _has_host(u)}
    report.domains = sorted(h for h in hosts if h and "." in h)


def _has_host(url: str) -> bool:
    try:
        return bool(urlsplit(url).hostname)
    except ValueError:
        return False


# -- the whole analysis ---------------------------------------------------------------------------


def _check_size(data: bytes, settings: AppsSettings, where: str) -> None:
    if len(data) > settings.max_apk_bytes:
        cap = settings.max_apk_bytes
        raise ApkInputError(f"{len(data)} bytes is over apps.max_apk_bytes ({cap})", where=where)


def analyse(data: bytes, settings: AppsSettings, trackers: TrackerList, *, where: str) -> ApkReport:
    """Analyse an APK's bytes in this process (see :func:`analyse_bounded` for hostile input)."""
    from androguard.core.apk import APK

    _quiet_androguard()
    _check_size(data, settings, where)
    report = ApkReport(sha256=hashlib.sha256(data).hexdigest(), size=len(data))
    archive = Archive.open(data, budget=settings.max_expanded_bytes, where=where)
    if MANIFEST not in archive.entries:
        raise ApkInputError(f"not an APK: a zip without {MANIFEST}", where=where)
    try:
        archive.read(MANIFEST, MAX_META_BYTES)  # androguard reads it whole: only once it is known small
    except EntryTooLarge as exc:
        raise ApkInputError(f"{MANIFEST}: {exc}", where=where) from None
    try:
        apk = APK(data, raw=True)
    except Exception as exc:
        raise ApkInputError(f"not a readable APK ({type(exc).__name__}: {exc})"[:300], where=where) from None
    _read_manifest(report, apk, archive)
    _label(report, apk, archive)
    _signers(report, apk, archive)
    _code(report, archive, settings, trackers)
    report.notes.extend(archive.tampered)
    return report


def _label(report: ApkReport, apk: Any, archive: Archive) -> None:
    if RESOURCES in archive.entries:
        try:
            archive.read(RESOURCES, MAX_META_BYTES * 8)
        except EntryTooLarge as exc:
            report.notes.append(f"{RESOURCES}: not read ({exc})")
            return
    try:
        report.label = apk.get_app_name() or None
    except Exception:
        report.label = None


def _child(
    conn: Any, data: bytes, settings: AppsSettings, trackers: TrackerList, where: str, memory: int
) -> None:
    logging.disable(logging.CRITICAL)  # apkInspector and androguard log every oddity of a hostile file
    try:
        resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
        conn.send(("ok", analyse(data, settings, trackers, where=where)))
    except ApkInputError as exc:
        conn.send(("error", str(exc).split(": ", 1)[-1] if exc.where else str(exc)))
    except MemoryError:
        conn.send(("error", f"the analysis needed more than {memory // (1024 * 1024)} MiB; stopped"))
    except RecursionError:
        conn.send(("error", "structures nested too deep to read"))
    except Exception as exc:
        conn.send(("error", f"not a readable APK ({type(exc).__name__}: {exc})"[:300]))
    finally:
        conn.close()


def analyse_bounded(
    data: bytes,
    settings: AppsSettings,
    trackers: TrackerList,
    *,
    where: str,
    timeout: float = 120.0,
    memory: int = 4 * 1024**3,
) -> ApkReport:
    """:func:`analyse` in a forked child with an address-space limit and a time limit.

    A crafted APK that makes a parser loop or grow ends as one ApkInputError naming ``where``."""
    _check_size(data, settings, where)
    from androguard.core.apk import APK  # noqa: F401  (imported once here, not in every child)

    _quiet_androguard()
    ctx = multiprocessing.get_context("fork")
    parent, child = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_child, args=(child, data, settings, trackers, where, memory), daemon=True)
    proc.start()
    child.close()
    deadline = time.monotonic() + timeout
    try:
        while not parent.poll(0.1):
            if not proc.is_alive() and not parent.poll(0):
                raise ApkInputError(
                    f"the analysis ended without a result (exit {proc.exitcode})", where=where
                )
            if time.monotonic() > deadline:
                raise ApkInputError(f"the analysis took longer than {timeout:g} s; stopped", where=where)
        try:
            kind, value = parent.recv()
        except EOFError:
            raise ApkInputError("the analysis ended without a result", where=where) from None
    finally:
        if proc.is_alive():
            proc.kill()
        proc.join(5)
        parent.close()
    if kind == "error":
        raise ApkInputError(str(value), where=where)
    assert isinstance(value, ApkReport)
    return value
