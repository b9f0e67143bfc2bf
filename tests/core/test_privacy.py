"""The privacy policy: roles, public-figure lists, one pseudonym per person, names found in any spelling."""

from __future__ import annotations

from pathlib import Path

import pytest

from unmask.core.case import Case
from unmask.core.errors import UnmaskError
from unmask.core.privacy import (
    NameMatcher,
    PrivacyPolicy,
    RedactingFilter,
    Role,
    name_key,
    pseudonym,
    read_public_figures,
    record_public_figures,
    recorded_public_figures,
)

JANET = pseudonym("Janet Doerwald", "k")
ZOE = pseudonym("Zoë Ångström", "k")


def _policy(**kw: object) -> PrivacyPolicy:
    depicted = frozenset(map(name_key, ["Janet Doerwald", "Zoë Ångström", "Bo Rin", "Mirela Kostadinova"]))
    return PrivacyPolicy(secret="k", depicted=depicted, **kw)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("/model/janet-doerwald?page=3", f"/model/{JANET}?page=3"),
        ("zo%C3%AB-%C3%A5ngstr%C3%B6m", ZOE),
        ("/m/zo%25C3%25AB%2520%C3%A5ngstr%C3%B6m/", f"/m/{ZOE}/"),
        ("zoe-angstrom", ZOE),
        ("ZOË ÅNGSTRÖM", ZOE),
        ("JanetDoerwald_HD", f"{JANET}_HD"),
        ("#JanetDoerwald", f"#{JANET}"),
        ("janet.doerwald & JANET  DOERWALD", f"{JANET} & {JANET}"),
        ("ＪａｎｅｔＤｏｅｒｗａｌｄ", JANET),
        ("JanetDoerwaldFan", f"{JANET}Fan"),
        ("xXjanetdoerwaldXx", f"xX{JANET}Xx"),
        ("Bo Rin, BoRin2 and bo_rin", f"{pseudonym('Bo Rin', 'k')}, {pseudonym('Bo Rin', 'k')}2 and "
         f"{pseudonym('Bo Rin', 'k')}"),
        ("boring robin", "boring robin"),  # a short name only as whole words
        ("nothing to hide", "nothing to hide"),
    ],
)  # fmt: skip
def test_hidden_names_are_found_in_any_spelling(text: str, shown: str) -> None:
    assert _policy().redact(text) == shown


def test_depicted_persons_are_pseudonyms_unless_on_the_investigators_list() -> None:
    policy = _policy(public_figures=frozenset({name_key("Mirela Kostadinova")}))
    assert policy.name("Janet Doerwald", Role.DEPICTED) == JANET
    assert policy.name("Mirela Kostadinova", Role.DEPICTED) == "Mirela Kostadinova"
    assert policy.redact("Mirela Kostadinova and Janet Doerwald") == f"Mirela Kostadinova and {JANET}"
    assert policy.is_public("mirela-kostadinova") and not policy.is_public("Janet Doerwald")


def test_an_uploader_handle_with_a_hidden_name_gets_its_own_pseudonym() -> None:
    policy = _policy()
    assert policy.name("JanetDoerwaldFan", Role.UPLOADER) == pseudonym(
        "JanetDoerwaldFan", "k", prefix="Uploader"
    )
    assert policy.name("newsdesk", Role.UPLOADER) == "newsdesk"


def test_owners_are_named_unless_they_are_also_hidden_depicted_persons() -> None:
    policy = _policy(public_figures=frozenset({name_key("Mirela Kostadinova")}))
    assert policy.name("Gideon Farrowmere", Role.OWNER) == "Gideon Farrowmere"
    assert policy.name("janet doerwald", Role.OWNER) == JANET  # the same pseudonym as in the census
    assert policy.name("Mirela Kostadinova", Role.OWNER) == "Mirela Kostadinova"


def test_real_names_opt_out_but_protected_persons_stay_hidden() -> None:
    policy = _policy(pseudonymize=False, protected=frozenset({name_key("Ava Protected")}))
    assert policy.name("Janet Doerwald", Role.DEPICTED) == "Janet Doerwald"
    assert policy.name("JanetDoerwaldFan", Role.UPLOADER) == "JanetDoerwaldFan"
    assert policy.name("Ava Protected", Role.DEPICTED).startswith("Person-")
    assert policy.name("Ava Protected", Role.OWNER).startswith("Person-")
    assert "Ava" not in (policy.redact("see ava-protected here") or "")


def test_one_pseudonym_per_person_in_every_spelling_and_case_specific() -> None:
    assert (
        len(
            {
                pseudonym(n, "k")
                for n in ("Zoë Ångström", "zoe angstrom", "ZOE-ANGSTROM", "zo%C3%AB%20angstrom")
            }
        )
        == 1
    )
    assert pseudonym("Bo Rin", "a") != pseudonym("Bo Rin", "b")
    assert _policy().fingerprint != _policy(pseudonymize=False).fingerprint


def test_the_public_figure_list_is_read_and_recorded(case: Case, tmp_path: Path) -> None:
    csv = tmp_path / "pf.csv"
    csv.write_text(" Name ,ALIASES\nMirela Kostadinova,M. Kostadinova|Mira K;MK\n", encoding="utf-8")
    names = read_public_figures(csv)
    assert names == ["Mirela Kostadinova", "M. Kostadinova", "Mira K", "MK"]
    record_public_figures(case.store, names)
    record_public_figures(case.store, ["Other Name"])
    assert set(recorded_public_figures(case.store)) == {*names, "Other Name"}
    policy = PrivacyPolicy.for_case(case)
    assert policy.is_public("mira k") and policy.is_public("Other Name")
    with pytest.raises(UnmaskError, match="no `name` column"):
        (tmp_path / "bad.csv").write_text("who\nx\n", encoding="utf-8")
        read_public_figures(tmp_path / "bad.csv")


def test_the_matcher_is_one_automaton_and_a_log_filter_uses_it() -> None:
    import logging

    matcher = NameMatcher({"janetdoerwald": "P-1"})
    assert matcher.replace("GET /model/janet-doerwald") == "GET /model/P-1" and not NameMatcher({})
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "crawled %s", ("/model/janet-doerwald",), None)
    RedactingFilter(_policy()).filter(record)
    assert record.getMessage() == f"crawled /model/{JANET}"


def test_the_matcher_names_a_pseudonym_only_for_a_name_it_finds() -> None:
    asked: list[str] = []

    def label(key: str) -> str:
        asked.append(key)
        return f"P-{len(asked)}"

    matcher = NameMatcher([f"invented{n:05d}person" for n in range(50_000)], label)
    assert matcher.replace("no name in here") == "no name in here" and asked == []
    assert matcher.replace("GET /model/invented00042-person, invented00042person") == "GET /model/P-1, P-1"
    assert asked == ["invented00042person"]
