"""A case with the protect site crawled and its protected persons added (once per module)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.helpers.cli import crawl, unmask
from tests.helpers.json_server import JsonServer
from tests.protect.site import LIST_FILE, protect_site


@dataclass
class Crawled:
    case: Path
    site: JsonServer
    folder: Path


@pytest.fixture(scope="module")
def crawled(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Crawled]:
    folder = tmp_path_factory.mktemp("protect")
    case = folder / "case"
    unmask("init", str(case))
    persons = folder / "persons.txt"
    persons.write_text(LIST_FILE, encoding="utf-8")
    unmask("protect", "add", "--list", str(persons), "--case", str(case))
    unmask("protect", "add", "Orla Quennell", "--alias", "O. Quennell", "--case", str(case))  # on no page
    with protect_site() as site:
        crawl(case, site.url("/"))
        yield Crawled(case, site, folder)
