"""The garbage collector during a command's start-up (imported first by :mod:`unmask.cli`).

Loading the CLI and a command's stage modules creates a few hundred thousand objects that live as long
as the process (Typer, SQLAlchemy and the ORM models, NumPy and SciPy for the owner queries). Walked
again at every full collection, they cost a query command about a fifth of its time (`owners ultimate`
1.3 → 1.0 s of CPU). So the collector waits while the CLI loads; :func:`loaded` then freezes what exists
(``gc.freeze``: never walked again) and turns it back on. In a process that runs one command
(:func:`unmask.cli.main`), the command's case opening calls :func:`loaded` again, once its stage modules
are loaded; elsewhere (tests, a notebook) only what importing the CLI created is frozen.
"""

from __future__ import annotations

import gc

gc.disable()

one_command = False
"""True in a process that runs one command and ends (set by :func:`unmask.cli.main`)."""


def loaded() -> None:
    """What exists now lives as long as the process: frozen, and the collector on again."""
    gc.freeze()
    gc.enable()


def command_loaded() -> None:
    """A command's modules are loaded (its case is being opened): freeze them too, in a one-command
    process only (a test process opening thousands of cases would keep their garbage forever)."""
    if one_command:
        loaded()
