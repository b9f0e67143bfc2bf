"""Policy analysis: text out of a page, language, paragraphs, categories on the tuning set, the
controller, versions diffed, `unmask policy analyze` as the contract gives it, bounded input."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers.cli import unmask, unmask_json
from tests.helpers.json_server import JsonServer, Reply
from unmask.apps.policy.analyze import analyse_text
from unmask.apps.policy.evaluate import corpus, scores
from unmask.apps.policy.text import language, main_text, paragraphs

POLICIES = Path(__file__).resolve().parents[1] / "fixtures" / "policies"
OPP115 = {
    "First Party Collection/Use",
    "Third Party Sharing/Collection",
    "User Choice/Control",
    "User Access, Edit and Deletion",
    "Data Retention",
    "Data Security",
    "Policy Change",
    "Do Not Track",
    "International and Specific Audiences",
    "Other",
}
PAGE = """<!doctype html><html><head><title>Privacy</title></head><body>
<nav><a href="/">Home</a> <a href="/pricing">Pricing</a> <a href="/login">Log in</a></nav>
<main><article><h1>Privacy Policy</h1>
<p>This service is operated by Mirage Vision Technology (Shenzhen) Co., Ltd. ("we", "us"), the data
controller of your information.</p>
<p>We collect the photos you upload and the facial features in them in order to produce your videos.</p>
<p>Personal information collected within the PRC is stored on servers located in mainland China.</p>
<p>We use the images you upload to train and improve our AI models.</p>
</article></main>
<footer>© 2026 Mirage Vision · <a href="/terms">Terms</a> · Cookie settings</footer></body></html>"""


@pytest.mark.slow
def test_the_tuning_set_scores_every_category() -> None:
    result = scores(corpus(POLICIES / "tune"))
    assert set(result) <= OPP115
    assert all(s["f1"] >= 0.8 for s in result.values()), result


def test_main_text_drops_navigation_and_footer() -> None:
    text = main_text(PAGE)
    assert "facial features" in text and "Pricing" not in text and "Cookie settings" not in text


def test_language_of_english_and_chinese_policies() -> None:
    assert language((POLICIES / "tune" / "faceforge-en.txt").read_text(encoding="utf-8")) == "en"
    assert language((POLICIES / "tune" / "huanjing-zh.txt").read_text(encoding="utf-8")) == "zh"


def test_a_heading_joins_its_paragraph() -> None:
    assert paragraphs("Data retention\n\nWe keep photos for 30 days.\n\nSecurity\n\nWe encrypt data.") == [
        "Data retention We keep photos for 30 days.",
        "Security We encrypt data.",
    ]


def test_the_controller_named_in_english_and_chinese() -> None:
    en = analyse_text(main_text(PAGE), "en")
    assert en.controller == "Mirage Vision Technology (Shenzhen) Co., Ltd."
    zh_text = (
        "本政策适用于深圳市幻镜视觉科技有限公司（以下简称“我们”）提供的幻镜App。我们会收集您上传的照片。"
    )
    assert analyse_text(zh_text, "zh").controller == "深圳市幻镜视觉科技有限公司"


@pytest.mark.slow
def test_policy_analyze_has_the_contract_shape_and_keeps_versions(new_case: Path, tmp_path: Path) -> None:
    first = tmp_path / "v1.html"
    first.write_text(PAGE, encoding="utf-8")
    data = unmask_json("policy", "analyze", str(first), "--app", "com.mirage.vision", "--case", str(new_case))
    assert data["language"] == "en"
    assert all(set(s) >= {"text", "categories", "data_types"} for s in data["segments"])
    assert all(set(s["categories"]) <= OPP115 for s in data["segments"])
    kinds = {s["kind"]: s for s in data["signals"]}
    assert {"china_controller", "china_storage", "biometric", "model_training"} <= kinds.keys()
    assert all(isinstance(s["weight"], float) and s["negated"] is False for s in data["signals"])
    assert data["changes"] is None
    later = tmp_path / "v2.html"
    later.write_text(
        PAGE.replace("We use the images you upload to train", "We never use the images you upload to train"),
        encoding="utf-8",
    )
    again = unmask_json(
        "policy", "analyze", str(later), "--app", "com.mirage.vision", "--case", str(new_case)
    )
    changes = again["changes"]
    assert [s["negated"] for s in changes["signals_added"] if s["kind"] == "model_training"] == [True]
    assert [s["negated"] for s in changes["signals_removed"] if s["kind"] == "model_training"] == [False]
    shown = unmask_json("apps", "show", "com.mirage.vision", "--case", str(new_case))
    assert len(shown["policies"]) == 2


@pytest.mark.slow
def test_a_policy_url_is_fetched_into_the_evidence(new_case: Path) -> None:
    with JsonServer({"/privacy": Reply(200, PAGE, content_type="text/html; charset=utf-8")}) as server:
        data = unmask_json("policy", "analyze", server.url("/privacy"), "--case", str(new_case))
    assert any(s["kind"] == "biometric" for s in data["signals"])


@pytest.mark.slow
def test_bad_policy_sources_are_one_line_errors(new_case: Path) -> None:
    for source, text in (("missing.html", "cannot read"), ("ftp://x.example/p", "not an http(s) URL")):
        proc = unmask("policy", "analyze", source, "--case", str(new_case), check=False)
        assert proc.returncode != 0
        assert len(proc.stderr.strip().splitlines()) == 1 and text in proc.stderr


@pytest.mark.slow
def test_a_huge_policy_is_read_up_to_the_cap(new_case: Path, tmp_path: Path) -> None:
    big = tmp_path / "big.txt"
    big.write_text("We collect your email address.\n\n" * 300_000, encoding="utf-8")
    data = unmask_json("policy", "analyze", str(big), "--case", str(new_case))
    assert data["truncated"] is True
