"""`unmask demo --protect` (issue 18): invented names on the case's watchlist, the scan finding them, the
public report naming none of them in any spelling, the NGO's own report private (0600)."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest

from tests.helpers.cli import unmask
from unmask.core.text import fold

pytestmark = pytest.mark.slow  # end-to-end: crawls, child processes or a browser


def test_the_protect_demo_finds_the_protected_and_the_report_names_none(tmp_path: Path) -> None:
    case = tmp_path / "demo"
    out = json.loads(unmask("demo", "--case", str(case), "--scale", "0.005", "--protect", "--json").stdout)
    found = out["protect"]
    assert found["persons"] == 3 and found["matches"] > 0 and found["public_report_mentions"] == 0
    assert {"person", "url"} <= set(found["fields"])
    private = Path(found["private_report"])
    assert stat.S_IMODE(private.stat().st_mode) == 0o600
    persons = json.loads(unmask("protect", "list", "--case", str(case), "--json").stdout)["persons"]
    names = {n for p in persons for n in [p["name"], *p["aliases"]]}
    assert any(n.isupper() for n in names) and len(names) > 3  # written as an NGO might, with aliases
    private_text = fold(private.read_text(encoding="utf-8"))
    assert any(fold(p["name"]) in private_text for p in persons)  # the NGO's own report names them
    public = fold(Path(out["report"]).read_text(encoding="utf-8"))
    for name in names:
        assert fold(name) not in public, name
        assert "-".join(fold(name).split()) not in public, name  # nor as a URL slug
    threads = fold(unmask("forum", "threads", "--case", str(case), "--json", "--real-names").stdout)
    for name in names:
        assert fold(name) not in threads, name
