"""`unmask serve`: the local web workbench."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from unmask.cli.common import CaseOpt, err_console, out_console
from unmask.core.errors import UnmaskError


def serve(
    case: CaseOpt = None,
    cases: Annotated[
        Path | None,
        typer.Option("--cases", help="A folder of cases: serve every case in it.", show_default=False),
    ] = None,
    port: Annotated[int, typer.Option("--port", min=0, max=65535, help="Port (0: any free port).")] = 8700,
    host: Annotated[
        str,
        typer.Option("--host", help="Address to listen on; anything but loopback needs a token."),
    ] = "127.0.0.1",
    token: Annotated[
        str | None,
        typer.Option(
            "--token",
            help="Every request must carry it (default off loopback: a new one, printed with the address).",
            show_default=False,
        ),
    ] = None,
    real_names: Annotated[
        bool,
        typer.Option(
            "--real-names",
            help="Name depicted persons who are not public figures in this server's pages (protected "
            "persons stay hidden).",
        ),
    ] = False,
) -> None:
    """Serve the local web workbench (dashboard, items, evidence, graph, report, census); Ctrl-C stops."""
    from unmask.core.case import CONFIG_NAME
    from unmask.web.server import serve as run
    from unmask.web.settings import ServeSettings

    if case is not None and cases is not None:
        raise UnmaskError("give --case DIR or --cases DIR, not both")
    if token is not None and len(token) < 16:
        raise UnmaskError("a token needs at least 16 characters", where="--token")
    if cases is not None and not cases.is_dir():
        raise UnmaskError("not a folder", where=str(cases))
    if cases is None:
        root = (case or Path.cwd()).resolve()
        if not (root / CONFIG_NAME).is_file():
            raise UnmaskError(
                f"no case here (no {CONFIG_NAME}); pass --case DIR or --cases DIR", where=str(root)
            )
        case = root
    settings = ServeSettings(case=case, cases=cases, host=host, port=port, token=token, real_names=real_names)

    def announce(url: str) -> None:
        out_console.print(url, highlight=False, soft_wrap=True)
        err_console.print("serving the web workbench; Ctrl-C stops", highlight=False)
        owner = settings.owner_url()
        if owner:
            err_console.print(
                f"protected persons (this machine's owner only, keep it private): {owner}",
                highlight=False,
                soft_wrap=True,
            )

    run(settings, announce)
