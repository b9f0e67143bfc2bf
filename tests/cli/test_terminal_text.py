"""Platform text on the terminal: never rich markup, never a terminal hyperlink, no bidi controls."""

from __future__ import annotations

import io

from rich.table import Table

from unmask.cli.common import SafeConsole

HOSTILE = "[/bold] [link=http://evil.invalid]click[/link] \u202eevil\x1b]8;;http://x\x07"


def _render(*objects: object) -> str:
    out = io.StringIO()
    console = SafeConsole(file=out, force_terminal=True, width=200)
    for obj in objects:
        console.print(obj)
    return out.getvalue()


def test_markup_in_platform_text_is_shown_as_written_not_run() -> None:
    table = Table(title="top uploaders")
    table.add_column("name")
    table.add_row(HOSTILE)
    text = _render(HOSTILE, table)  # would raise MarkupError with markup on
    assert text.count("[/bold] [link=http://evil.invalid]click[/link]") == 2
    assert "\x1b]8;" not in text  # no OSC 8 hyperlink
    assert "\u202e" not in text and "\x07" not in text


def test_our_own_styles_still_apply() -> None:
    out = io.StringIO()
    SafeConsole(file=out, force_terminal=True).print("title", style="bold")
    assert "\x1b[1m" in out.getvalue()
