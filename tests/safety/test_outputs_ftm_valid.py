"""Every FtM line the product writes validates with FollowTheMoney's own model, and every link has both ends.

Aleph loads an entity only when its id is one FtM accepts; a link whose end FtM drops (an id such as
``http://127.0.0.1:8080``) loses its subject. The export is read back through ``followthemoney``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from followthemoney import model
from followthemoney.types import registry

from tests.owners.build import Builder
from unmask.core.case import Case
from unmask.owners.export import export_graph, ftm_id


def assert_valid_ftm(lines: list[str]) -> list[Any]:
    """Each line loads through FtM's model with no value dropped; every link's ends are entities of it."""
    proxies = []
    for line in lines:
        data = json.loads(line)
        proxy = model.get_proxy(data, cleaned=False)  # FtM cleans (validates) every value here
        assert registry.entity.validate(proxy.id), proxy.id
        for prop, values in data["properties"].items():
            assert sorted(proxy.get(prop, quiet=True)) == sorted(values), (proxy.id, prop)
        proxies.append(proxy)
    ids = {p.id for p in proxies}
    for proxy in proxies:
        if proxy.schema.edge:
            ends = proxy.get(proxy.schema.edge_source) + proxy.get(proxy.schema.edge_target)
            assert len(ends) == 2 and set(ends) <= ids, (proxy.id, ends)
    return proxies


def test_platform_registry_and_odd_ids_become_valid_ftm_ids(case: Case, tmp_path: Path) -> None:
    b = Builder(case)
    b.entity("http://127.0.0.1:8080", "The Platform", "Platform", website="http://127.0.0.1:8080")
    b.entity("127.0.0.1", "127.0.0.1", "Domain")
    b.entity("GB/0123456", "Registered Invented Ltd", jurisdiction="gb")
    b.entity("bods_statement:ä/1", "Quiet Harbour Media Ltd")
    b.entity("P 1", "Gideon Farrowmere", "Person")
    b.edge("http://127.0.0.1:8080", "127.0.0.1", kind="platform", role="served_from")
    b.edge("GB/0123456", "http://127.0.0.1:8080", kind="platform", role="operator")
    b.edge("bods_statement:ä/1", "GB/0123456", 75)
    b.edge("P 1", "bods_statement:ä/1", 100)
    b.edge("P 1", "GB/0123456", kind="directorship", role="director")
    out = tmp_path / "graph.ftm.json"
    result = export_graph(case, "ftm", out)
    proxies = assert_valid_ftm(out.read_text(encoding="utf-8").splitlines())
    assert (result.nodes, result.edges) == (5, 5) == (len(proxies) - 5, 5)
    platform = next(p for p in proxies if p.get("name") == ["The Platform"])
    assert platform.id == ftm_id("http://127.0.0.1:8080") and platform.id.startswith("http-127-0-0-1-8080-")
    link = next(p for p in proxies if p.get("role", quiet=True) == ["served_from"])
    assert link.get("subject") == [platform.id]
    assert ftm_id("GB/0123456") != ftm_id("GB-0123456")  # different keys stay different ids
    assert ftm_id("OK-id.1") == "OK-id.1"
