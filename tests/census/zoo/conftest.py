"""Running the real `unmask` against zoo sites, with a random seed each time (replay one with ZOO_SEED)."""

from __future__ import annotations

import json
import os
import random
from pathlib import Path
from typing import Any

import yaml

from tests.census.zoo.common import ZooSite
from tests.helpers.cli import unmask
from unmask.core.urls import is_media

ADAPTERS = Path(__file__).parent / "adapters"
MEDIA_PREFIXES = ("/contents/", "/get_file/", "/img/", "/thumbs/", "/data/", "/static/media/")


def fresh_seed() -> int:
    """ZOO_SEED if set (to replay a failure), else a new random seed."""
    given = os.environ.get("ZOO_SEED")
    return int(given) if given else random.SystemRandom().randrange(1, 2**31)


def make_case(tmp_path: Path, site: ZooSite, name: str = "case") -> Path:
    case = tmp_path / name
    unmask("init", str(case))
    settings = site.case_settings()
    if settings:
        path = case / "case.yaml"
        data = yaml.safe_load(path.read_text())
        for section, values in settings.items():
            data.setdefault(section, {}).update(values)
        path.write_text(yaml.safe_dump(data))
    return case


def census(case: Path, site: ZooSite, *, adapter: bool, check: bool = True) -> dict[str, Any]:
    """`unmask census crawl` of the site, generically or with its adapter; the JSON summary."""
    args = ["census", "crawl", site.base + "/", "--case", str(case), "--delay", "0", "--concurrency", "4"]
    if adapter:
        assert site.adapter is not None
        args += ["--adapter", str(ADAPTERS / site.adapter)]
    proc = unmask(*args, "--json", check=False, timeout=240)
    assert "Traceback" not in proc.stderr, f"seed {site.seed} ({site.name}): {proc.stderr[-3000:]}"
    if check:
        assert proc.returncode == 0, f"seed {site.seed} ({site.name}): {proc.stderr[-3000:]}"
    if proc.returncode != 0:
        return {"exit": proc.returncode, "stderr": proc.stderr}
    summary: dict[str, Any] = json.loads(proc.stdout)
    return summary


def figures(case: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(unmask("stats", "--case", str(case), "--json").stdout)
    return data


def media_asked(hits: dict[str, int]) -> list[str]:
    return [p for p in hits if p.startswith(MEDIA_PREFIXES) or is_media("http://x" + p)]


def said(site: ZooSite, mode: str, summary: dict[str, Any]) -> str:
    """What a failing assertion prints: how to replay it, and what the crawl said."""
    keep = ("status", "incomplete_reasons", "requests", "items_present", "removed", "failed", "notes")
    return f"ZOO_SEED={site.seed} ({site.name}, {mode}): " + json.dumps({k: summary.get(k) for k in keep})
