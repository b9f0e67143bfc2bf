"""Offline APK analysis on real APKs, checked against independent tools: Debian's apksigner for every
signing scheme's certificate (and the v3 rotation lineage), Debian's dexdump with Exodus's own class
extraction and the shipped signatures for trackers."""

from __future__ import annotations

import re
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest

from tests.apps import hostile_apks
from unmask.apps.apk import ApkReport, analyse_bounded
from unmask.apps.archive import ApkInputError
from unmask.apps.trackers import MIN_SIGNATURE, shipped
from unmask.core.config import AppsSettings

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "apks"
ALL = sorted(p.name for p in FIXTURES.glob("*.apk"))
needs_apksigner = pytest.mark.skipif(shutil.which("apksigner") is None, reason="Debian's apksigner")
needs_dexdump = pytest.mark.skipif(shutil.which("dexdump") is None, reason="Debian's dexdump")
SDK_RANGES = {  # apksigner verifies only the scheme a platform range uses
    "v1": ["--max-sdk-version", "23"],
    "v2": ["--min-sdk-version", "24", "--max-sdk-version", "27"],
    "v3": ["--min-sdk-version", "28"],
}


def analyse(name: str, **settings: object) -> ApkReport:
    return analyse_bounded((FIXTURES / name).read_bytes(), AppsSettings(**settings), shipped(), where=name)  # type: ignore[arg-type]


def apksigner_digests(path: Path, *args: str) -> list[str]:
    out = subprocess.run(
        ["apksigner", *args, str(path)]
        if args[0] == "lineage"
        else ["apksigner", "verify", "--print-certs", *args, str(path)],
        capture_output=True,
        text=True,
        timeout=120,
    ).stdout
    return re.findall(r"certificate SHA-256 digest: ([0-9a-f]{64})", out)


@pytest.mark.slow
@needs_apksigner
@pytest.mark.parametrize("name", ALL)
def test_each_schemes_certificate_is_the_one_apksigner_verifies(name: str) -> None:
    report = analyse(name)
    assert report.signers, "every fixture is signed"
    for scheme, sdk in SDK_RANGES.items():
        ours = [c.sha256 for c in report.certificates(scheme)]
        if ours:
            assert apksigner_digests(FIXTURES / name, *sdk) == ours, scheme


@needs_apksigner
def test_key_rotation_keeps_the_old_and_new_certificate_and_the_lineage_apart() -> None:
    report = analyse("rotated-v1v2v3-lineage.apk")
    old = report.certificates("v1")[0]
    new = report.certificates("v3")[0]
    assert report.certificates("v2")[0].sha256 == old.sha256
    assert old.sha256 != new.sha256
    assert [c.sha256 for c in report.certificates("lineage")] == [old.sha256, new.sha256]
    assert apksigner_digests(FIXTURES / "rotated-v1v2v3-lineage.apk", "lineage", "--print-certs", "--in") == [
        old.sha256,
        new.sha256,
    ]
    assert old.subject == "CN=rsa-2048" and new.subject == "CN=rsa-2048_2"


def dexdump_classes(path: Path, tmp_path: Path) -> set[str]:
    """Exodus's own extraction: dexdump over every classes*.dex, class names by its regular expression."""
    found: set[str] = set()
    with zipfile.ZipFile(path) as apk:
        for info in apk.infolist():
            if re.search(r"classes.*\.dex", info.filename):
                target = apk.extract(info, tmp_path)
                out = subprocess.run(["dexdump", target], capture_output=True, timeout=120).stdout
                found |= set(re.findall(r"[A-Z]+((?:\w+\/)+\w+)", out.decode(errors="ignore")))
    return found


@needs_dexdump
@pytest.mark.parametrize(
    "name", ["exodus-instapaper.apk", "exodus-blooddonation.apk", "com.politedroid_4.apk"]
)
@pytest.mark.slow
def test_trackers_are_what_dexdump_and_the_exodus_signatures_find(name: str, tmp_path: Path) -> None:
    classes = dexdump_classes(FIXTURES / name, tmp_path)
    expected = {
        t.name
        for t in shipped().trackers
        if len(t.code_signature) >= MIN_SIGNATURE and any(re.search(t.code_signature, c) for c in classes)
    }
    assert {t.name for t in analyse(name).trackers} == expected


@pytest.mark.slow
def test_known_trackers_of_the_exodus_fixtures() -> None:
    assert {t.name for t in analyse("exodus-blooddonation.apk").trackers} == {"Google AdMob"}
    instapaper = analyse("exodus-instapaper.apk")
    assert {t.name for t in instapaper.trackers} >= {"Facebook Analytics", "Google CrashLytics"}
    assert all("/" in t.example_class for t in instapaper.trackers)


def test_a_domain_in_the_code_is_only_a_domain_not_a_tracker() -> None:
    report = analyse("exodus-blooddonation.apk")
    assert "a.tile.openstreetmap.org" in report.domains
    assert "OpenStreetMap" not in {t.name for t in report.trackers}


def test_manifest_facts() -> None:
    report = analyse("com.politedroid_4.apk")
    assert (report.package, report.version_name, report.version_code) == ("com.politedroid", "1.3", "4")
    assert report.min_sdk == 3
    assert report.permissions and all(p.startswith("android.permission.") for p in report.permissions)
    assert report.activities == ["com.politedroid.Preferences"]


def test_trackers_in_a_nested_apk_are_found() -> None:
    inner = (FIXTURES / "exodus-blooddonation.apk").read_bytes()
    report = analyse_bounded(hostile_apks.nested(inner), AppsSettings(), shipped(), where="nested.apk")
    assert report.package == "com.politedroid"
    assert "Google AdMob" in {t.name for t in report.trackers}


# -- bad input --------------------------------------------------------------------------------------


def bounded(data: bytes, **settings: object) -> ApkReport:
    return analyse_bounded(data, AppsSettings(**settings), shipped(), where="bad.apk", timeout=60)  # type: ignore[arg-type]


def test_a_truncated_apk_is_a_one_line_error() -> None:
    with pytest.raises(ApkInputError, match=r"bad.apk: not a readable APK") as err:
        bounded(hostile_apks.truncated())
    assert "\n" not in str(err.value)


def test_an_apk_that_is_really_html_is_named_as_such() -> None:
    with pytest.raises(ApkInputError, match=r"bad\.apk: not an APK: an HTML page"):
        bounded(hostile_apks.html_page())


def test_a_zip_bomb_in_the_code_is_not_read_and_the_result_says_so() -> None:
    bomb = hostile_apks.zip_bomb("classes2.dex", 64 * 1024 * 1024)
    report = bounded(bomb, max_entry_bytes=8 * 1024 * 1024)
    assert report.package == "com.politedroid"
    assert any("classes2.dex" in n and "expands past" in n for n in report.notes)


def test_a_zip_bomb_as_the_manifest_is_a_one_line_error() -> None:
    with pytest.raises(ApkInputError, match=r"AndroidManifest\.xml.*expands past"):
        bounded(hostile_apks.zip_bomb("AndroidManifest.xml", 16 * 1024 * 1024))


def test_a_dex_claiming_millions_of_classes_it_does_not_hold_costs_nothing() -> None:
    lying = hostile_apks.dex(["com/example/One", "com/example/Two"], claim=5_000_000)
    report = bounded(hostile_apks.with_dex(lying))
    assert any("outside the file" in n for n in report.notes)
    assert report.classes == 10  # the base app's own classes.dex still counts


def test_a_dex_with_more_classes_than_the_cap_is_read_up_to_the_cap() -> None:
    many = hostile_apks.dex([f"com/example/C{i}" for i in range(5000)])
    report = bounded(hostile_apks.with_dex(many), max_classes=1000)
    assert report.classes == 1000
    assert any("apps.max_classes" in n for n in report.notes)


def test_a_manifest_with_entity_expansion_is_never_expanded() -> None:
    report = bounded(hostile_apks.rebuilt({"AndroidManifest.xml": hostile_apks.BILLION_LAUGHS}))
    assert report.package is None
    assert any(n.startswith("AndroidManifest.xml: unreadable") for n in report.notes)


def test_an_apk_over_the_size_cap_is_refused_before_it_is_opened() -> None:
    with pytest.raises(ApkInputError, match=r"over apps\.max_apk_bytes"):
        bounded((FIXTURES / "com.politedroid_4.apk").read_bytes(), max_apk_bytes=1000)
