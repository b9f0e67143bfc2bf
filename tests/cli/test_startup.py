"""The CLI's start-up: the garbage collector waits while the commands load, and is on afterwards."""

from __future__ import annotations

import subprocess
import sys


def test_importing_the_cli_leaves_the_collector_on_and_what_it_loaded_frozen() -> None:
    code = "import gc, unmask.cli; print(gc.isenabled(), gc.get_freeze_count() > 10_000)"
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout
    assert out.split() == ["True", "True"]
