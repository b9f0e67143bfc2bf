"""Every policy signal in English and Chinese, asserted and negated, and what looks like a signal and is
not (a company called Pipl is not the PIPL; rights of PRC residents are not a transfer)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from unmask.apps.policy.analyze import analyse_text
from unmask.apps.policy.text import language

CASES: list[dict[str, Any]] = yaml.safe_load(
    (Path(__file__).resolve().parents[1] / "fixtures" / "policies" / "signals.yaml").read_text(
        encoding="utf-8"
    )
)


@pytest.mark.parametrize("case", CASES, ids=[f"{c['kind']}-{n}" for n, c in enumerate(CASES)])
def test_each_signal_and_its_negation(case: dict[str, Any]) -> None:
    analysis = analyse_text(case["text"], language(case["text"]))
    kinds = {s.kind: s for s in analysis.signals}
    if case["kind"] is None:
        assert not {"china_law", "transfer", "china_controller"} & kinds.keys(), analysis.signals
        return
    assert case["kind"] in kinds, analysis.signals
    assert kinds[case["kind"]].negated is case["negated"]
    assert kinds[case["kind"]].sentence == case["text"]


def test_every_signal_kind_is_tested_in_both_languages_both_ways() -> None:
    import re

    seen = {
        (c["kind"], bool(re.search(r"[\u4e00-\u9fff]", c["text"])), c["negated"]) for c in CASES if c["kind"]
    }
    kinds = {k for k, _, _ in seen}
    assert {
        "china_law",
        "china_storage",
        "china_controller",
        "state_access",
        "biometric",
        "model_training",
        "transfer",
    } <= kinds
    for kind in kinds:
        for chinese in (False, True):
            for neg in (False, True):
                assert (kind, chinese, neg) in seen, (kind, chinese, neg)
