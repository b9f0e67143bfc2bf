"""`unmask takedown draft` on a crawled loopback site: one package per recipient with every DSA Art. 16(2)
element and each URL's evidence (JSON, EML, PDF read back with pdftotext); the hoster from a loopback
RDAP server; a real SMTP server (aiosmtpd) that receives nothing without --send and a yes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from email import message_from_bytes, policy
from pathlib import Path

import pytest
import yaml

from tests.helpers.cli import UNMASK, unmask, unmask_json
from tests.helpers.json_server import JsonServer, Reply
from tests.protect.conftest import Crawled
from tests.protect.site import ITEMS, item_path, protected_names_in
from tests.takedown.rdap_shapes import RIPE
from tests.watch.test_alerts import Inbox

NOTIFIER = {"name": "Invented Support Network", "email": "notices@support-ngo.test"}


def _configure(case: Path, rdap: str, smtp_port: int) -> None:
    path = case / "case.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["notifier"] = NOTIFIER
    data["mail"] = {"host": "127.0.0.1", "port": smtp_port}
    data["takedown"] = {"contacts": {"127.0.0.1": {"email": "dsa@platform.test", "name": "The platform"}}}
    data["infra"]["sources"] = {"rdap": {"base_url": rdap}}
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")


def _draft(*args: str, answer: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*UNMASK, "takedown", "draft", *args],
        input=answer,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
        stdin=None if answer is not None else subprocess.DEVNULL,
    )


@pytest.mark.slow
def test_draft_packages_send_only_when_confirmed(
    crawled: Crawled, smtp_plain: tuple[Inbox, int], tmp_path: Path
) -> None:
    inbox, port = smtp_plain
    case = str(crawled.case)
    with JsonServer({"/ip/127.0.0.1": Reply(200, RIPE, content_type="application/rdap+json")}) as rdap:
        _configure(crawled.case, rdap.base, port)
        out = tmp_path / "notices"
        proc = _draft("--person", "Janet Doerwald", "-o", str(out), "--case", case, "--json")
        assert proc.returncode == 0, proc.stderr
        result = json.loads(proc.stdout)
    packages = {p["kind"]: p for p in result["packages"]}
    assert sorted(p["kind"] for p in result["packages"]) == ["hoster", "platform", "search", "search"]
    assert packages["platform"]["email"] == "dsa@platform.test"
    assert packages["hoster"]["email"] == "abuse@invented-hosting.test"
    assert result["sent"] == [] and inbox.messages == []  # nothing leaves without --send

    expected = sorted(crawled.site.url(item_path(i)) for i in ITEMS if i.id in (101, 102, 107))
    hoster = Path(packages["hoster"]["folder"])
    notice = json.loads((hoster / "notice.json").read_text(encoding="utf-8"))
    assert sorted(notice["urls"]) == expected
    assert notice["notifier"] == NOTIFIER and "bona fide" in notice["good_faith"] and notice["reasons"]
    assert notice["recipient"]["source"].startswith("RDAP abuse contact of 127.0.0.1")
    for evidence in notice["evidence"]:
        assert len(evidence["sha256"]) == 64 and evidence["warc_file"].startswith("evidence/warc/")
        assert evidence["captured_at"].endswith("Z") and evidence["warc_offset"] >= 0

    eml = message_from_bytes((hoster / "notice.eml").read_bytes(), policy=policy.default)
    assert eml["To"] == "abuse@invented-hosting.test" and NOTIFIER["email"] in str(eml["From"])
    body = eml.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    pdf = subprocess.run(
        ["pdftotext", str(hoster / "notice.pdf"), "-"], capture_output=True, text=True, check=True
    )
    pdf_text = " ".join(pdf.stdout.split())
    for url in expected:
        assert (url in body and url in pdf_text.replace(" ", "")) or url in pdf.stdout
    for element in ("Art. 16(2)(a)", "Art. 16(2)(b)", "Art. 16(2)(c)", "Art. 16(2)(d)", NOTIFIER["name"]):
        assert element in body and element in pdf_text
    assert notice["evidence"][0]["sha256"] in pdf.stdout.replace("\n", "")
    for text in (json.dumps(notice, ensure_ascii=False), body, pdf.stdout.replace("\n", "")):
        assert protected_names_in(text, except_in=expected) == set()  # the URLs are the only trace of a name

    search = next(p for p in result["packages"] if p["kind"] == "search")
    form = json.loads((Path(search["folder"]) / "notice.json").read_text(encoding="utf-8"))["form_fields"]
    assert sorted(form["urls"]) == expected and form["notifier_email"] == NOTIFIER["email"]

    with JsonServer({"/ip/127.0.0.1": Reply(200, RIPE, content_type="application/rdap+json")}) as rdap:
        _configure(crawled.case, rdap.base, port)
        declined = _draft(
            "--person", "Janet Doerwald", "-o", str(out), "--send", "--case", case, answer="n\n"
        )
        assert declined.returncode == 0 and "nothing sent" in declined.stderr and inbox.messages == []
        no_terminal = _draft("--person", "Janet Doerwald", "-o", str(out), "--send", "--case", case)
        assert no_terminal.returncode == 0 and inbox.messages == []
        sent = _draft("--person", "Janet Doerwald", "-o", str(out), "--send", "--case", case, answer="y\n")
        assert sent.returncode == 0, sent.stderr
    recipients = sorted(r for _sender, rcpts, _m in inbox.messages for r in rcpts)
    assert recipients == ["abuse@invented-hosting.test", "dsa@platform.test"]
    for _sender, _rcpts, message in inbox.messages:
        assert message["X-Unmask-Notice"] and str(message["Subject"]).startswith("Notice under Article 16")

    log = [
        json.loads(line) for line in (crawled.case / "evidence" / "custody.jsonl").read_text().splitlines()
    ]
    takedown_lines = [e for e in log if e["action"] == "takedown draft"]
    assert any(
        "sent " in e["note"] and "abuse@invented-hosting.test (3 URLs)" in e["note"] for e in takedown_lines
    )
    for entry in takedown_lines:
        assert "Janet Doerwald" not in json.dumps(entry, ensure_ascii=False)
        assert entry["command"][entry["command"].index("--person") + 1] == "[redacted]"

    report = tmp_path / "private.html"
    unmask("protect", "report", "-o", str(report), "--case", case)
    assert "sent" in report.read_text(encoding="utf-8")


@pytest.mark.slow
def test_urls_from_a_file_and_the_check_after_the_deadline(crawled: Crawled, tmp_path: Path) -> None:
    case = str(crawled.case)
    gone, kept = ITEMS[0], ITEMS[1]
    urls = tmp_path / "urls.txt"
    urls.write_text(
        f"# to notify\n{crawled.site.url(item_path(gone))}\n{crawled.site.url(item_path(kept))}\n"
    )
    _configure(crawled.case, "http://127.0.0.1:9", 9)
    proc = _draft(
        "--urls", str(urls), "--to", "platform", "-o", str(tmp_path / "n"), "--case", case, "--json"
    )
    assert proc.returncode == 0, proc.stderr
    assert [p["kind"] for p in json.loads(proc.stdout)["packages"]] == ["platform"]
    crawled.site.routes[item_path(gone)] = Reply(404, "removed")
    try:
        checked = unmask_json("takedown", "check", "--all", "--case", case)["notices"]
    finally:
        crawled.site.routes.pop(item_path(gone))
    mine = [n for n in checked if crawled.site.url(item_path(gone)) in n["urls"] and len(n["urls"]) == 2]
    assert mine and mine[-1]["status"] == "1 of 2 removed"
    assert mine[-1]["checks"][crawled.site.url(item_path(gone))]["gone"] is True


def test_bad_input_is_one_line(new_case: Path, tmp_path: Path) -> None:
    _configure(new_case, "http://127.0.0.1:9", 9)  # a notifier, so that the bad input is what fails
    case = str(new_case)
    bad = tmp_path / "bad.txt"
    bad.write_text("http://ok.test/a\nnot a url\n", encoding="utf-8")
    proc = _draft("--urls", str(bad), "-o", str(tmp_path / "x"), "--case", case)
    assert proc.returncode == 2 and f"{bad}:2" in proc.stderr and len(proc.stderr.strip().splitlines()) == 1
    neither = _draft("-o", str(tmp_path / "x"), "--case", case)
    assert neither.returncode == 2
    wrong = _draft("--urls", str(bad), "--to", "everyone", "-o", str(tmp_path / "x"), "--case", case)
    assert wrong.returncode == 2 and "platform" in wrong.stderr
    inside = _draft("--urls", str(bad), "-o", str(new_case / "evidence" / "n"), "--case", case)
    assert inside.returncode == 2 and "evidence" in inside.stderr


def test_a_notice_needs_its_notifier(new_case: Path, tmp_path: Path) -> None:
    urls = tmp_path / "u.txt"
    urls.write_text("http://127.0.0.1:9/v/1\n", encoding="utf-8")
    proc = _draft("--urls", str(urls), "-o", str(tmp_path / "n"), "--case", str(new_case))
    assert proc.returncode == 2 and "notifier" in proc.stderr and not (tmp_path / "n").exists()
    assert sys.executable
