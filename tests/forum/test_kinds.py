"""Thread kinds: the section first, then the prefix, then the title's tags; each keeps its rule."""

from __future__ import annotations

import pytest

from unmask.forum.kinds import classify


@pytest.mark.parametrize(
    "section,labels,title,kind,rule",
    [
        ("Paid Requests", [], "A video", "paid_request", "section 'Paid Requests'"),
        ("Requests", [], "A video", "request", "section 'Requests'"),
        ("Requests", ["PAID"], "A video", "paid_request", "section 'Requests', prefix 'PAID'"),
        ("Requests", [], "will pay for this", "paid_request", "section 'Requests', title says 'will pay'"),
        ("Marketplace", ["WTB"], "x", "offer", "section 'Marketplace'"),
        ("General", ["WTB"], "x", "request", "prefix 'WTB'"),
        ("General", [], "[WTS] taking commissions", "offer", "title says '[WTS]'"),
        ("General", [], "[PAID] someone please", "paid_request", "title says '[PAID]'"),
        ("General", [], "Looking for an editor", "request", "title says 'Looking for'"),
        ("Off-topic", [], "Render times", "other", None),
    ],
)
def test_each_kind_keeps_the_rule_that_made_it(
    section: str, labels: list[str], title: str, kind: str, rule: str | None
) -> None:
    got = classify(section, labels, title)
    assert (got.kind, got.rule) == (kind, rule)


def test_the_section_decides_before_the_title() -> None:
    assert classify("Marketplace", [], "WTB something").kind == "offer"


def test_words_inside_other_words_do_not_count() -> None:
    assert classify("General", [], "Unrequested thoughts").kind == "other"
    assert classify("General", [], "Prerequisites for a GPU").kind == "other"
