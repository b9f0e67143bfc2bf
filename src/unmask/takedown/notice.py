"""Notice packages: per recipient a notice with every element of DSA Art. 16(2) — (a) the reasons,
(b) the exact URLs, (c) the notifier's name and e-mail, (d) the good-faith statement — the recipient,
and per URL the evidence (capture time, SHA-256 of the payload, WARC file and offset; no screenshot).
Written as notice.json, notice.eml (ready to send) and notice.pdf in one folder per recipient.

A notice names no protected person: the URLs say what is meant; the person's identity stays with the
notifier (the NGO's own record is protect/notices.json).
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import json
import re
from dataclasses import asdict, dataclass, field
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml
from sqlalchemy import select

from unmask.core.case import Case
from unmask.core.errors import UnmaskError
from unmask.core.output import html_text, write_text
from unmask.core.store.models import Capture, Item, ItemSource
from unmask.evidence.links import reference
from unmask.takedown.contacts import Recipient, hoster_contacts, platform_contact

KINDS = ("platform", "hoster", "search")
MAX_URLS = 10_000
_EMAIL = re.compile(r"^[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+$")


@functools.cache
def texts() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(
        resources.files("unmask.takedown").joinpath("data/notice.yaml").read_text("utf-8")
    )
    return data


@dataclass
class UrlEvidence:
    url: str
    capture_id: int | None = None
    captured_at: str | None = None
    sha256: str | None = None
    warc_file: str | None = None
    warc_offset: int | None = None
    status: int | None = None
    remote_address: str | None = None
    label: str = "no capture of this URL in the case"


@dataclass
class Notice:
    id: str
    recipient: Recipient
    urls: list[str]
    evidence: list[UrlEvidence]
    reasons: str
    notifier: dict[str, str]
    good_faith: str
    request: str
    legal_basis: str
    subject: str
    created_at: str
    deadline: str
    form_fields: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["recipient"] = self.recipient.as_dict()
        data["elements"] = {  # where each element of Art. 16(2) is
            "a_reasons": "reasons",
            "b_exact_urls": "urls",
            "c_notifier": "notifier",
            "d_good_faith": "good_faith",
        }
        return data


def read_urls(path: Path) -> list[str]:
    """One URL a line (blank lines and # comments skipped); a bad line names file and line."""
    try:
        lines = path.read_text(encoding="utf-8-sig").splitlines()
    except OSError as exc:
        raise UnmaskError(f"cannot read ({exc.strerror})", where=str(path)) from exc
    except UnicodeDecodeError as exc:
        raise UnmaskError("not UTF-8 text", where=str(path)) from exc
    urls: list[str] = []
    for number, line in enumerate(lines, 1):
        text = line.strip()
        if not text or text.startswith("#"):
            continue
        parts = urlsplit(text)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise UnmaskError("not an http(s) URL", where=f"{path}:{number}")
        urls.append(text)
    if not urls:
        raise UnmaskError("no URL in the file", where=str(path))
    if len(urls) > MAX_URLS:
        raise UnmaskError(f"more than {MAX_URLS} URLs", where=str(path))
    return list(dict.fromkeys(urls))


def notifier(case: Case) -> dict[str, str]:
    n = case.config.notifier
    if not n.name or not n.email:
        raise UnmaskError(
            "a notice needs the notifier's name and e-mail (DSA Art. 16(2)(c)): set notifier.name and "
            "notifier.email",
            where=str(case.config_path),
        )
    if not _EMAIL.match(n.email):
        raise UnmaskError("notifier.email is not an e-mail address", where=str(case.config_path))
    return {"name": n.name, "email": n.email}


def url_evidence(case: Case, url: str) -> UrlEvidence:
    """The newest capture of the URL with a payload (the item's own captures first)."""
    port = case.config.evidence.serve_port
    with case.store.session() as s:
        item_id = s.scalar(select(Item.id).where(Item.url == url).limit(1))
        query = select(Capture).where(Capture.payload_sha256.is_not(None))
        if item_id is not None:
            query = query.join(ItemSource, ItemSource.capture_id == Capture.id).where(
                ItemSource.item_id == item_id
            )
        else:
            query = query.where(Capture.url == url)
        capture = s.scalar(query.order_by(Capture.requested_at.desc(), Capture.id.desc()).limit(1))
        if capture is None:
            return UrlEvidence(url)
        ref = reference(capture, port=port)
        return UrlEvidence(
            url,
            ref.capture_id,
            ref.time,
            ref.sha256,
            ref.warc_file,
            ref.warc_offset,
            capture.status,
            capture.remote_address,
            ref.label,
        )


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(microsecond=0)


def _iso(when: dt.datetime) -> str:
    return when.isoformat().replace("+00:00", "Z")


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:60] or "recipient"


def build(case: Case, urls: list[str], kinds: list[str], *, reasons: str | None = None) -> list[Notice]:
    """One notice per recipient of the chosen kinds for these URLs."""
    who = notifier(case)
    now = _now()
    deadline = now + dt.timedelta(days=case.config.takedown.deadline_days)
    words = texts()
    evidence = {url: url_evidence(case, url) for url in urls}
    groups: list[tuple[Recipient, list[str]]] = []
    if "platform" in kinds:
        by_host: dict[str, list[str]] = {}
        for url in urls:
            by_host.setdefault(urlsplit(url).hostname or "", []).append(url)
        groups += [(platform_contact(case, host), found) for host, found in by_host.items()]
    if "hoster" in kinds:
        served = {url: e.remote_address for url, e in evidence.items()}
        contacts = hoster_contacts(case, [a for a in served.values() if a])
        by_contact: dict[tuple[str, str], tuple[Recipient, list[str]]] = {}
        for url, address in served.items():
            if address is None:
                recipient = Recipient(
                    "hoster", urlsplit(url).hostname or url, problem="no capture says which address served it"
                )
            else:
                recipient = contacts[address]
            key = (recipient.email or recipient.name, recipient.problem or "")
            by_contact.setdefault(key, (recipient, []))[1].append(url)
        groups += list(by_contact.values())
    if "search" in kinds:
        for engine in words["search_engines"]:
            recipient = Recipient(
                "search", engine["name"], form=engine["form"], source="takedown/data/notice.yaml",
                fields=list(engine["fields"]),
            )  # fmt: skip
            groups.append((recipient, list(urls)))
    notices = []
    for recipient, found in groups:
        host = ", ".join(dict.fromkeys(urlsplit(u).hostname or "" for u in found))
        fill = {"count": len(found), "host": host, "notifier": who["name"]}
        digest = hashlib.sha256("\n".join([recipient.kind, recipient.name, *found]).encode()).hexdigest()[:8]
        notice = Notice(
            id=f"{now:%Y%m%d}-{recipient.kind}-{_slug(recipient.name)}-{digest}",
            recipient=recipient,
            urls=found,
            evidence=[evidence[u] for u in found],
            reasons=(reasons or words["reasons"]).format_map(_Safe(fill)).strip(),
            notifier=who,
            good_faith=words["good_faith"].strip(),
            request=words["request"].strip(),
            legal_basis=words["legal_basis"],
            subject=words["subject"].format_map(_Safe(fill)),
            created_at=_iso(now),
            deadline=_iso(deadline),
        )
        if recipient.kind == "search":
            notice.form_fields = _form_fields(notice)
        notices.append(notice)
    return notices


class _Safe(dict[str, Any]):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def _form_fields(notice: Notice) -> dict[str, Any]:
    values = {
        "urls": notice.urls,
        "search_result_urls": notice.urls,
        "reason": notice.reasons,
        "notifier_name": notice.notifier["name"],
        "notifier_email": notice.notifier["email"],
        "good_faith": notice.good_faith,
        "date": notice.created_at[:10],
    }
    return {name: values.get(name) for name in notice.recipient.fields}


# -- renderings -------------------------------------------------------------------------------------


def text_body(notice: Notice) -> str:
    r = notice.recipient
    lines = [
        f"To: {r.name} — {texts()['recipients'][r.kind]}",
        f"Notice {notice.id}, {notice.created_at}",
        f"Legal basis: {notice.legal_basis}",
        "",
        "1. Reasons why the content is illegal (Art. 16(2)(a))",
        notice.reasons,
        "",
        f"2. Exact location of the content: {len(notice.urls)} URLs (Art. 16(2)(b))",
        *(f"   {u}" for u in notice.urls),
        "",
        "3. Notifier (Art. 16(2)(c))",
        f"   {notice.notifier['name']} <{notice.notifier['email']}>",
        "",
        "4. Statement of good faith (Art. 16(2)(d))",
        f"   {notice.good_faith}",
        "",
        "Request",
        f"   {notice.request}",
        "",
        "Evidence (captures kept by the notifier; payload SHA-256 and WARC record of each)",
    ]
    for e in notice.evidence:
        if e.capture_id is None:
            lines.append(f"   {e.url}: {e.label}")
        else:
            lines.append(
                f"   {e.url}: captured {e.captured_at}, HTTP {e.status}, SHA-256 {e.sha256}, "
                f"WARC {e.warc_file} @ {e.warc_offset}"
            )
    return "\n".join(lines) + "\n"


def html_page(notice: Notice) -> str:
    body = html_text(text_body(notice)).replace("\n", "<br>\n")
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        f"<title>{html_text(notice.subject)}</title><style>"
        "@page { size: A4; margin: 18mm 16mm; @bottom-right { content: counter(page) ' / ' counter(pages);"
        " font: 8pt sans-serif; } } body { font: 10pt/1.45 sans-serif; word-break: break-word; }"
        f"</style></head><body><h1>{html_text(notice.subject)}</h1><p>{body}</p></body></html>"
    )


def eml(notice: Notice) -> EmailMessage:
    message = EmailMessage()
    who = notice.notifier
    user, _, domain = who["email"].partition("@")
    message["From"] = Address(who["name"], user, domain)
    if notice.recipient.email:
        message["To"] = notice.recipient.email
    message["Subject"] = notice.subject
    message["Date"] = format_datetime(dt.datetime.fromisoformat(notice.created_at.replace("Z", "+00:00")))
    message["Message-ID"] = make_msgid(idstring=notice.id, domain=domain or None)
    message["X-Unmask-Notice"] = notice.id
    message.set_content(text_body(notice))
    message.add_attachment(
        json.dumps(notice.as_dict(), ensure_ascii=False, indent=2).encode("utf-8"),
        maintype="application",
        subtype="json",
        filename="notice.json",
    )
    return message


def write_package(notice: Notice, folder: Path) -> Path:
    """notice.json, notice.eml and notice.pdf in ``folder/<notice id>/``."""
    from unmask.report.pdf import write_pdf

    target = folder / notice.id
    try:
        target.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UnmaskError(f"cannot make the folder ({exc.strerror})", where=str(target)) from exc
    write_text(target / "notice.json", json.dumps(notice.as_dict(), ensure_ascii=False, indent=2) + "\n")
    write_text(target / "notice.eml", eml(notice).as_string())
    write_pdf(html_page(notice), target / "notice.pdf")
    return target
