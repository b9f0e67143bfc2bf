"""`unmask takedown …`: notice packages for the platform, its hoster and search engines (DSA Art. 16)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from unmask.cli.common import (
    CaseOpt,
    Choice,
    JsonOpt,
    err_console,
    opened_case,
    out_console,
    output_option,
    print_json,
)
from unmask.cli.protect import note, privately_logged
from unmask.core.errors import UnmaskError

app = typer.Typer(
    help="Takedown notices (DSA Art. 16) with the evidence of each URL: draft, send, check.",
    no_args_is_help=True,
)
KINDS = ("platform", "hoster", "search")


def _urls_of_person(the_case: Any, person: str) -> tuple[list[str], str]:
    from unmask.protect.scan import scan

    result = scan(the_case, person=person)
    urls = list(dict.fromkeys(m.url for m in result.matches if not m.removed))
    if not urls:
        raise UnmaskError("no match of this person is online (see `unmask protect scan`)", where="--person")
    return urls, result.matches[0].person


def _confirm(count: int, recipients: list[str]) -> bool:
    shown = ", ".join(recipients[:5]) + (f" and {len(recipients) - 5} more" if len(recipients) > 5 else "")
    try:
        return bool(typer.confirm(f"Send {count} notice{'s' * (count != 1)} to {shown}?", default=False))
    except typer.Abort:  # no terminal to answer: not confirmed
        return False


@app.command("draft")
@privately_logged("takedown draft")
def draft_cmd(
    output: Annotated[Path, output_option("Folder for the packages (one per recipient).")],
    person: Annotated[
        str | None, typer.Option("--person", help="A protected person: the URLs of their matches online.")
    ] = None,
    urls_file: Annotated[
        Path | None, typer.Option("--urls", metavar="FILE", help="A file of URLs, one a line.")
    ] = None,
    to: Annotated[
        list[str] | None,
        typer.Option(
            "--to",
            metavar="platform|hoster|search",
            callback=lambda values: [Choice("recipient", KINDS).check(v) for v in values or []],
            help="Recipients (repeatable; default all three).",
        ),
    ] = None,
    reason: Annotated[
        Path | None,
        typer.Option("--reason", metavar="FILE", help="Your own text of why the content is illegal."),
    ] = None,
    send: Annotated[
        bool, typer.Option("--send", help="Send the e-mail notices through case.yaml mail: (asks first).")
    ] = False,
    case: CaseOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Notice packages (JSON, EML, PDF) per recipient; nothing is sent without --send and a yes."""
    from unmask.core.output import output_target
    from unmask.takedown.notice import build, notifier, read_urls, write_package
    from unmask.takedown.record import record

    if (person is None) == (urls_file is None):
        raise UnmaskError("give --person NAME or --urls FILE (one of them)")
    text = None
    if reason is not None:
        try:
            text = reason.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise UnmaskError(f"cannot read the reasons ({exc})", where=str(reason)) from exc
    kinds = list(dict.fromkeys(to or KINDS))
    with opened_case(case) as the_case:
        notifier(the_case)  # before any work: the notice cannot be made without them
        if send and not the_case.config.mail.host:
            needs = "--send needs a mail server: set mail.host (and port, starttls, user, password)"
            raise UnmaskError(needs, where=str(the_case.config_path))
        folder = output_target(output, the_case, folder=True)
        if person is not None:
            urls, name = _urls_of_person(the_case, person)
            persons = [name]
        else:
            assert urls_file is not None
            urls, persons = read_urls(urls_file), []
        notices = build(the_case, urls, kinds, reasons=text)
        folders = [write_package(n, folder) for n in notices]
        record(the_case.root, notices, folders, persons)
        note(f"{len(notices)} notice packages drafted for {len(urls)} URLs")
        sent = _send(the_case, notices) if send else []
    data = {
        "packages": [
            {
                "id": n.id,
                "kind": n.recipient.kind,
                "recipient": n.recipient.name,
                "email": n.recipient.email,
                "form": n.recipient.form,
                "problem": n.recipient.problem,
                "urls": len(n.urls),
                "folder": str(f),
            }
            for n, f in zip(notices, folders, strict=True)
        ],
        "sent": sent,
    }
    if as_json:
        print_json(data)
        return
    for package in data["packages"]:
        contact = package["email"] or package["form"] or f"no contact: {package['problem']}"
        out_console.print(
            f"{package['kind']:<9} {package['recipient']} ({contact}): "
            f"{package['urls']} URLs → {package['folder']}",
            highlight=False,
            soft_wrap=True,
        )
    if not send:
        err_console.print("nothing sent (--send sends the e-mail notices, after asking)", highlight=False)


def _send(the_case: Any, notices: list[Any]) -> list[dict[str, Any]]:
    from unmask.takedown.notice import eml
    from unmask.takedown.record import _now, mark_sent
    from unmask.watch.alerts import MailServer, send_mail

    mailable = [n for n in notices if n.recipient.email]
    if not mailable:
        err_console.print("no recipient has an e-mail address: nothing to send", highlight=False)
        return []
    if not _confirm(len(mailable), [n.recipient.email for n in mailable]):
        err_console.print("not confirmed: nothing sent", highlight=False)
        return []
    mail = the_case.config.mail
    server = MailServer(mail.host, mail.port, mail.starttls, mail.user, mail.password)
    results = []
    for notice in mailable:
        error = send_mail(eml(notice), server, the_case.config.fetch)
        results.append(
            {"id": notice.id, "to": notice.recipient.email, "urls": len(notice.urls), "error": error}
        )
        if error:
            err_console.print(f"not sent to {notice.recipient.email}: {error}", style="yellow")
    done = [r for r in results if r["error"] is None]
    mark_sent(the_case.root, [r["id"] for r in done], _now())
    if done:
        note("sent " + ", ".join(f"{r['to']} ({r['urls']} URLs)" for r in done))
    return results


@app.command("check")
@privately_logged("takedown check")
def check_cmd(
    everything: Annotated[
        bool, typer.Option("--all", help="Every notice now, not only sent ones past their deadline.")
    ] = False,
    case: CaseOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Check the URLs of notices past their deadline again: is each one gone (404 or 410)?"""
    from unmask.takedown.record import recheck

    with opened_case(case) as the_case:
        checked = recheck(the_case, everything=everything)
    note(f"{len(checked)} notices checked")
    if as_json:
        print_json({"notices": [r.as_dict() for r in checked]})
        return
    for entry in checked:
        out_console.print(f"{entry.id}: {entry.status}", highlight=False)
    if not checked:
        err_console.print("no notice is due for a check (--all checks every notice now)", highlight=False)
