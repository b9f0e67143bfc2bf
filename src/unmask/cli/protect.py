"""`unmask protect …`: protected persons (a private watchlist), scans for them, the NGO's own report.

Nothing these commands print or write names a protected person anywhere but on the user's own terminal
and in files they ask for; their custody-log lines keep the command's words only (every value
redacted) and say what changed in counts: "3 protected persons added".
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer

from unmask.cli.common import (
    CaseOpt,
    JsonOpt,
    err_console,
    opened_case,
    out_console,
    output_option,
    print_json,
)
from unmask.core.errors import UnmaskError
from unmask.evidence import custody

app = typer.Typer(
    help="Protected persons: a private watchlist, scans of the catalogue for them, the NGO's own report.",
    no_args_is_help=True,
)

F = TypeVar("F", bound=Callable[..., Any])
_notes: list[str] = []


def note(text: str) -> None:
    """What the running command changed, in words without names (its custody-log line says it)."""
    _notes.append(text)


def private_command(argv: list[str]) -> list[str]:
    """A command line as a private command's log line keeps it: its words (`unmask protect add`) and option
    names; every argument and option value replaced by ``[redacted]``."""
    out: list[str] = []
    words = True
    for argument in argv:
        if words and not argument.startswith("-") and argument.isalpha() and argument.islower():
            out.append(argument)
            continue
        words = False
        if argument.startswith("--"):
            out.append(argument.split("=", 1)[0] + ("=" + custody.REDACTED if "=" in argument else ""))
        elif argument.startswith("-") and len(argument) == 2:
            out.append(argument)
        else:
            out.append(custody.REDACTED)
    return out


def _private_outcome(failure: BaseException | None) -> str:
    return "ok" if failure is None else f"error: {type(failure).__name__}"


PRIVATE = custody.LogHooks(
    command_line=private_command, outcome=_private_outcome, notes=_notes, catch_log_errors=False
)
"""custody.logged for commands whose arguments may name a protected person: the log line has the
command's words and option names only, the error's type but not its message, and the command's
:func:`note` for what changed; no seal."""


def privately_logged(action: str, *, case_param: str = "case") -> Callable[[F], F]:
    """custody.logged with the :data:`PRIVATE` hooks."""
    return custody.logged(action, case_param=case_param, hooks=PRIVATE)


NameArg = Annotated[str | None, typer.Argument(help="The person's name as it is usually written.")]


@app.command("add")
@privately_logged("protect add")
def add_cmd(
    name: NameArg = None,
    alias: Annotated[
        list[str] | None,
        typer.Option("--alias", help="Another name or spelling of the same person; repeatable."),
    ] = None,
    from_list: Annotated[
        Path | None,
        typer.Option(
            "--list", metavar="FILE", help="A file of persons, one a line, aliases after a | (Name | Alias)."
        ),
    ] = None,
    photo: Annotated[
        list[Path] | None,
        typer.Option(
            "--photo",
            metavar="FILE",
            help="The person's own photo, hashed here (PDQ) for `protect compare`; only the hash is kept, "
            "the photo is never copied. Repeatable.",
        ),
    ] = None,
    case: CaseOpt = None,
) -> None:
    """Protect persons: never named in any output, looked for by `unmask protect scan`."""
    from unmask.protect.watchlist import ProtectedPerson, Watchlist, clean_name, read_list

    if (name is None) == (from_list is None):
        raise UnmaskError("give a NAME or --list FILE (one of them)")
    if from_list is not None and alias:
        raise UnmaskError("--alias goes with a NAME; in a --list file aliases follow the name after a |")
    if from_list is not None and photo:
        raise UnmaskError("--photo goes with a NAME (one person's own photos)")
    hashes = _photo_hashes(photo or [])
    persons = (
        list(read_list(from_list))
        if from_list is not None
        else [
            ProtectedPerson(clean_name(name or "", "NAME"), [clean_name(a, "--alias") for a in alias or []])
        ]
    )
    with opened_case(case) as the_case:
        watchlist = Watchlist(the_case.root)
        added, updated = watchlist.add(persons)
        new_hashes = watchlist.add_photo_hashes(persons[0].name, hashes) if hashes else 0
        watchlist.save()
    message = f"{added} protected person{'s' * (added != 1)} added"
    if updated:
        message += f", {updated} given new aliases"
    if hashes:
        message += f", {new_hashes} photo hash{'es' * (new_hashes != 1)} added"
    note(message)
    err_console.print(f"{message} ({len(watchlist)} in all)", highlight=False)


def _photo_hashes(photos: list[Path]) -> list[str]:
    from unmask.protect.photo import hash_photo

    return [hash_photo(path).hash for path in photos]


@app.command("compare")
@privately_logged("protect compare")
def compare_cmd(
    hashes: Annotated[
        Path,
        typer.Argument(
            metavar="FILE",
            help="PDQ hashes from a trusted partner: one a line (64 hex digits), a reference after a space.",
        ),
    ],
    threshold: Annotated[
        int,
        typer.Option(
            "--threshold", min=0, max=128, help="Most bits (of 256) two hashes may differ by to match."
        ),
    ] = 31,
    case: CaseOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Compare the protected persons' photo hashes (`protect add --photo`) with a partner's PDQ hashes."""
    from unmask.protect.photo import compare, read_partner_hashes
    from unmask.protect.watchlist import Watchlist

    with opened_case(case) as the_case:
        watchlist = Watchlist(the_case.root)
    ours = [(p.name, p.photo_hashes) for p in watchlist.persons if p.photo_hashes]
    if not ours:
        raise UnmaskError(
            "no protected person has a photo hash (add one: `unmask protect add NAME --photo FILE`)"
        )
    matches, read = compare(ours, read_partner_hashes(hashes), threshold=threshold)
    count = sum(len(h) for _, h in ours)
    note(f"{read} partner hashes compared with {count} photo hashes: {len(matches)} matches")
    if as_json:
        print_json(
            {
                "matches": [m.as_dict() for m in matches],
                "partner_hashes": read,
                "photo_hashes": count,
                "threshold": threshold,
            }
        )
        return
    for m in matches:
        out_console.print(
            f"{m.person}  line {m.line}  {m.reference or '-'}  distance {m.distance}",
            highlight=False,
            soft_wrap=True,
        )
    err_console.print(
        f"{len(matches)} matches of {read} partner hashes with {count} photo hashes "
        f"(at most {threshold} bits apart)",
        highlight=False,
    )


@app.command("remove")
@privately_logged("protect remove")
def remove_cmd(
    name: Annotated[str, typer.Argument(help="The person's name or one of their aliases.")],
    case: CaseOpt = None,
) -> None:
    """Stop protecting a person (their matches are forgotten too)."""
    from unmask.protect.scan import forget
    from unmask.protect.watchlist import Watchlist

    with opened_case(case) as the_case:
        watchlist = Watchlist(the_case.root)
        person = watchlist.find(name)
        if person is None:
            raise UnmaskError("not a protected person of this case (see `unmask protect list`)", where=name)
        watchlist.remove(name)
        watchlist.save()
        forget(the_case.root, person.name)
    note("1 protected person removed")
    err_console.print(f"1 protected person removed ({len(watchlist)} left)", highlight=False)


@app.command("list")
def list_cmd(case: CaseOpt = None, as_json: JsonOpt = False) -> None:
    """The protected persons and their aliases (on your terminal only)."""
    from unmask.protect.watchlist import Watchlist

    with opened_case(case) as the_case:
        watchlist = Watchlist(the_case.root)
    if as_json:
        print_json({"persons": [p.as_dict() for p in watchlist.persons]})
        return
    for person in watchlist.persons:
        aliases = f"  (also: {', '.join(person.aliases)})" if person.aliases else ""
        out_console.print(f"{person.name}{aliases}", highlight=False, soft_wrap=True)
    err_console.print(f"{len(watchlist)} protected persons", highlight=False)


@app.command("scan")
@privately_logged("protect scan")
def scan_cmd(
    person: Annotated[
        str | None, typer.Option("--person", help="Only this protected person (default: every one).")
    ] = None,
    case: CaseOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Look for protected persons in titles, tags, persons, descriptions, uploaders, URLs, forum threads."""
    from unmask.protect.scan import scan

    with opened_case(case) as the_case:
        result = scan(the_case, person=person)
    note(f"{len(result.matches)} matches, {len(result.new)} new, for {result.persons} protected persons")
    if as_json:
        print_json(result.as_dict())
        return
    for match in result.matches:
        gone = "  (removed)" if match.removed else ""
        out_console.print(
            f"{match.person}  {match.field}: {match.text[:200]}  {match.url}{gone}",
            highlight=False,
            soft_wrap=True,
        )
    err_console.print(
        f"{len(result.matches)} matches ({len(result.new)} new) for {result.persons} protected persons in "
        f"{result.stats.rows:,} rows; {result.stats.normalised:,} texts normalised, {result.seconds:.1f} s",
        highlight=False,
    )


@app.command("report")
def report_cmd(
    output: Annotated[Path, output_option("The private report: .html, or .pdf for PDF.")],
    case: CaseOpt = None,
) -> None:
    """The NGO's own report: matches with the protected names and each notice's status (never publish it)."""
    from unmask.core.output import output_target, write_text
    from unmask.protect.report import render_html

    with opened_case(case) as the_case:
        target = output_target(output, the_case)
        html = render_html(the_case.root, the_case.config.name)
    if target.suffix.lower() == ".pdf":
        from unmask.report.pdf import write_pdf

        write_pdf(html, target, private=True)
    else:
        write_text(target, html, private=True)
    err_console.print(f"private report written to {target} (mode 0600: keep it that way)", highlight=False)
