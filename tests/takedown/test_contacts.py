"""The hoster's abuse contact from a loopback RDAP server in each registry's shape; stored look-ups first."""

from __future__ import annotations

import pytest

from tests.helpers.json_server import JsonServer, Reply
from tests.takedown.rdap_shapes import SHAPES
from unmask.core.case import Case
from unmask.takedown.contacts import hoster_contacts, platform_contact


@pytest.mark.parametrize("registry", sorted(SHAPES))
def test_the_abuse_contact_in_every_registrys_shape(sqlite_case: Case, registry: str) -> None:
    answer, abuse, holder = SHAPES[registry]
    with JsonServer({"/ip/127.0.0.1": Reply(200, answer, content_type="application/rdap+json")}) as rdap:
        sqlite_case.config.infra.sources = {"rdap": {"base_url": rdap.base}}
        contact = hoster_contacts(sqlite_case, ["127.0.0.1"])["127.0.0.1"]
        assert (contact.email, contact.name, contact.problem) == (abuse, holder, None)
        assert "127.0.0.1" in contact.source
        assert [r.path for r in rdap.requests] == ["/ip/127.0.0.1"]


def test_an_unanswered_look_up_is_a_result(case: Case) -> None:
    with JsonServer({}) as rdap:  # every path answers 404
        case.config.infra.sources = {"rdap": {"base_url": rdap.base}}
        contact = hoster_contacts(case, ["127.0.0.1"])["127.0.0.1"]
    assert contact.email is None and contact.problem and "failed" in contact.problem
    case.config.infra.sources = {}  # the public registries: never asked about a private address
    no_server = hoster_contacts(case, ["10.1.2.3"])["10.1.2.3"]
    assert no_server.problem == "10.1.2.3 is not a public address"


def test_the_platforms_contact_comes_from_the_case(case: Case) -> None:
    case.config.takedown.contacts = {"site.example": {"email": "dsa@site.example", "name": "Site"}}
    found = platform_contact(case, "www.site.example")
    assert (found.email, found.name) == ("dsa@site.example", "Site")
    missing = platform_contact(case, "other.example")
    assert missing.email is None and "takedown.contacts" in (missing.problem or "")
