"""The entity graph explorer: neighbours with each link's source, effective ownership, paths between two
entities, all through the owners stage's queries; hostile names travel as JSON text; bad IDs are errors."""

from __future__ import annotations

from markupsafe import escape
from starlette.testclient import TestClient

from tests.owners.build import Builder
from tests.report.test_html_report import XSS
from tests.web.conftest import ClientFactory
from unmask.core.case import Case


def build(case: Case) -> Builder:
    """platform ← opco (100 %) ← holdco (60 %) ← a person; holdco's director; a hostile name."""
    b = Builder(case, path="register.csv")
    b.entity("platform", "Tube Site", schema="Company")
    b.entity("opco", f"Opco{XSS}", schema="Company")
    b.entity("holdco", "Holdco Ltd", schema="Company")
    b.entity("owner", "Cara Nox", schema="Person")
    b.entity("director", "Dee Fen", schema="Person")
    b.edge("opco", "platform", 100.0)
    b.edge("holdco", "opco", 100.0)
    b.edge("owner", "holdco", 60.0)
    b.edge("director", "holdco", kind="directorship", role="director")
    return b


def key(client: TestClient, ref: str) -> str:
    answer = client.get("/c/case/owners/node.json", params={"id": ref})
    assert answer.status_code == 200, answer.text
    return str(answer.json()["key"])


def test_a_node_answers_its_neighbours_and_each_links_source(case: Case, client_for: ClientFactory) -> None:
    b = build(case)
    client = client_for(case.root)
    data = client.get("/c/case/owners/node.json", params={"id": f"#{b.ids['holdco']}"}).json()
    assert data["key"] == f"#{b.ids['holdco']}"
    names = {n["name"] for n in data["nodes"]}
    assert {"Holdco Ltd", f"Opco{XSS}", "Cara Nox", "Dee Fen"} <= names
    kinds = {(e["from"], e["to"], e["kind"]) for e in data["edges"]}
    assert (f"#{b.ids['owner']}", f"#{b.ids['holdco']}", "ownership") in kinds
    assert (f"#{b.ids['holdco']}", f"#{b.ids['opco']}", "ownership") in kinds
    assert all(e["source"].startswith("register.csv:") for e in data["edges"])
    assert {e["share"] for e in data["edges"] if e["kind"] == "ownership"} == {"60 %", "100 %"}


def test_the_selected_entitys_effective_ownership_and_paths_between_two(
    case: Case, client_for: ClientFactory
) -> None:
    b = build(case)
    client = client_for(case.root)
    owners = client.get("/c/case/owners/owners.json", params={"id": f"#{b.ids['platform']}"}).json()
    shares = {o["name"]: o["share"] for o in owners["owners"]}
    assert shares["Cara Nox"] == "60.00 %"
    found = client.get(
        "/c/case/owners/path.json", params={"a": f"#{b.ids['director']}", "b": f"#{b.ids['platform']}"}
    ).json()
    assert found["paths"] and found["paths"][0]["length"] == 3
    path = found["paths"][0]
    assert path["nodes"][0]["key"] == f"#{b.ids['director']}"
    assert all(e["source"] for e in path["edges"])


def test_unknown_ids_are_json_errors_and_the_page_escapes_names(
    case: Case, client_for: ClientFactory
) -> None:
    b = build(case)
    client = client_for(case.root)
    for path in ("node.json?id=nothing-here", "owners.json?id=nothing-here", "path.json?a=nothing&b=x"):
        answer = client.get(f"/c/case/owners/{path}")
        assert answer.status_code == 404 and answer.json()["error"], path
    page = client.get("/c/case/owners/graph", params={"q": f"#{b.ids['opco']}"}).text
    assert f'data-start="#{b.ids["opco"]}"' in page
    assert XSS not in page
    missing = client.get("/c/case/owners/graph", params={"q": XSS}).text
    assert XSS not in missing and 'class="error"' in missing
    assert str(escape(XSS)) in missing or "no entity" in missing.lower()


def test_an_owner_who_is_a_hidden_depicted_person_is_a_pseudonym_in_every_answer(
    case: Case, client_for: ClientFactory
) -> None:
    from tests.report.test_html_report import load_hostile_case
    from unmask.core.privacy import pseudonym

    load_hostile_case(case)  # depicts Bo Rin, who is no public figure
    b = build(case)
    b.entity("bo", "Bo Rin", schema="Person")
    b.edge("bo", "holdco", 40.0)
    client = client_for(case.root)
    answers = [
        client.get("/c/case/owners/node.json", params={"id": f"#{b.ids['holdco']}"}).text,
        client.get("/c/case/owners/owners.json", params={"id": f"#{b.ids['platform']}"}).text,
        client.get("/c/case/owners/path.json", params={"a": f"#{b.ids['bo']}", "b": "platform"}).text,
    ]
    for text in answers:
        assert "Bo Rin" not in text
        assert pseudonym("Bo Rin", case.config.secret) in text
