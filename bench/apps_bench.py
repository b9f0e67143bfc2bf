"""App-route benchmarks: APK analysis of a large APK, tracker matching over 100k class names, analysis of a
10,000-word policy, and the paragraph classifier's per-category scores on the held-out policies.

    .venv/bin/python bench/apps_bench.py [--apk-mb 50] [--classes 100000] [--words 10000] [--repeat 3]

The large APK is a real fixture (tests/fixtures/apks/exodus-instapaper.apk: its manifest, signature and
dex) with a second dex of ``--classes`` generated class names and stored (uncompressible) assets up to
``--apk-mb``: the analysis reads the zip, the manifest, every certificate and every dex, and matches the
trackers. The class names for the matching benchmark are the real ones of both Exodus fixtures, repeated
under generated package prefixes up to ``--classes``. The policy is the held-out English policy's
paragraphs repeated (shuffled) to ``--words``. Each timing is the best of ``--repeat`` runs (other work on
the shared machine only slows a run down). Targets: APK < 10 s, matching < 1 s, policy < 2 s.
"""

from __future__ import annotations

import argparse
import io
import os
import random
import sys
import time
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.apps import hostile_apks  # noqa: E402

from unmask.apps.apk import analyse_bounded  # noqa: E402
from unmask.apps.dex import DexTables  # noqa: E402
from unmask.apps.policy.analyze import analyse_text  # noqa: E402
from unmask.apps.policy.evaluate import corpus, scores  # noqa: E402
from unmask.apps.policy.text import language  # noqa: E402
from unmask.apps.trackers import match, shipped  # noqa: E402
from unmask.core.config import AppsSettings  # noqa: E402

T = TypeVar("T")
FIXTURES = ROOT / "tests" / "fixtures"
APKS = FIXTURES / "apks"


def best(repeat: int, fn: Callable[[], T]) -> tuple[float, T]:
    times = []
    for _ in range(max(1, repeat)):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return min(times), result


def real_classes() -> list[str]:
    names: list[str] = []
    for apk in ("exodus-instapaper.apk", "exodus-blooddonation.apk"):
        with zipfile.ZipFile(APKS / apk) as z:
            names += list(DexTables.parse(z.read("classes.dex")).class_names(10**7))
    return names


def many_classes(count: int, rng: random.Random) -> list[str]:
    base = real_classes()
    out = list(base)
    while len(out) < count:
        root, word = rng.choice(["com", "org", "net", "io"]), rng.choice(["acme", "vend", "kit", "lab"])
        prefix = f"{root}/{word}{rng.randrange(10**4)}"
        out += [f"{prefix}/{name}" for name in base[: count - len(out)]]
    return out[:count]


def big_apk(megabytes: int, classes: int, rng: random.Random) -> bytes:
    base = (APKS / "exodus-instapaper.apk").read_bytes()
    extra = hostile_apks.dex([f"com/generated/p{i % 997}/C{i}" for i in range(classes)])
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(base)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            dst.writestr(info, src.read(info.filename))
        dst.writestr("classes2.dex", extra)
        n = 0
        while out.tell() < megabytes * 1024 * 1024:
            info = zipfile.ZipInfo(f"assets/blob{n}.bin")
            info.compress_type = zipfile.ZIP_STORED
            dst.writestr(info, os.urandom(4 * 1024 * 1024))
            n += 1
    return out.getvalue()


def long_policy(words: int, rng: random.Random) -> str:
    paragraphs = [
        p.text
        for p in corpus(FIXTURES / "policies" / "heldout")
        if not any("\u4e00" <= c <= "\u9fff" for c in p.text)
    ]
    out: list[str] = []
    count = 0
    while count < words:
        para = rng.choice(paragraphs)
        out.append(para)
        count += len(para.split())
    return "\n\n".join(out)


def print_scores(title: str, result: dict[str, dict[str, float]]) -> None:
    print(f"\n{title}")
    print(f"  {'label':40s} {'P':>5s} {'R':>5s} {'F1':>5s} {'n':>3s}")
    for label, s in result.items():
        print(f"  {label:40s} {s['precision']:5.2f} {s['recall']:5.2f} {s['f1']:5.2f} {int(s['support']):3d}")
    macro = sum(s["f1"] for s in result.values()) / len(result)
    print(f"  macro F1 {macro:.2f}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--apk-mb", type=int, default=50)
    parser.add_argument("--classes", type=int, default=100_000)
    parser.add_argument("--words", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    trackers = shipped()

    apk = big_apk(args.apk_mb, args.classes, rng)
    seconds, report = best(
        args.repeat, lambda: analyse_bounded(apk, AppsSettings(), trackers, where="bench.apk")
    )
    size = f"{len(apk) / 1e6:.1f} MB"
    found_in = (
        f"{report.classes:,} classes, {len(report.trackers)} trackers, {len(report.signers)} certificates"
    )
    print(f"APK analysis: {size}, {found_in}: {seconds:.2f} s (target < 10 s)")

    names = many_classes(args.classes, rng)
    seconds, found = best(args.repeat, lambda: match(names, trackers))
    print(
        f"tracker matching: {len(names):,} class names, {len(found)} trackers: {seconds:.2f} s (target < 1 s)"
    )

    text = long_policy(args.words, rng)
    seconds, analysis = best(args.repeat, lambda: analyse_text(text, language(text)))
    print(
        f"policy analysis: {len(text.split()):,} words, {len(analysis.segments)} paragraphs, "
        f"{len(analysis.signals)} signals: {seconds:.2f} s (target < 2 s)"
    )

    held = corpus(FIXTURES / "policies" / "heldout")
    tune = corpus(FIXTURES / "policies" / "tune")
    print_scores(f"held-out policies ({len(held)} paragraphs): OPP-115 categories", scores(held))
    print_scores("held-out policies: data types", scores(held, types=True))
    print_scores(f"tuning policies ({len(tune)} paragraphs): OPP-115 categories", scores(tune))


if __name__ == "__main__":
    main()
