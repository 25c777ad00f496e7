"""Where report lines go: plain text, or coloured text when a person is watching.

Colour only on a terminal (or with FORCE_COLOR), never with NO_COLOR or TERM=dumb. A coloured
line is plain text in ANSI colour codes: importing rich for them cost about 24 ms, a third of a
`compile --check` on a terminal. rich draws only the table of `syncsecrets keys`.
"""

from __future__ import annotations

import sys

from ..escape import printable

# Style names a reporter may ask for, and what they look like on a terminal (SGR codes).
STYLES = {
    "added": "32",  # green
    "removed": "31",  # red
    "changed": "33",  # yellow
    "header": "1",  # bold
    "warning": "1;33",
    "error": "1;31",
    "summary": "1",
    "muted": "2",  # dim
}


class Writer:
    """Plain lines to stdout and stderr; `style` is a hint that plain output ignores."""

    def out(self, line: str, style: str | None = None) -> None:
        sys.stdout.write(printable(line) + "\n")

    def err(self, line: str, style: str | None = None) -> None:
        sys.stderr.write(printable(line) + "\n")

    def document(self, text: str) -> None:
        """A document of our own making (JSON, a table): its lines, each escaped as a line is."""
        for line in text.split("\n"):
            self.out(line)


PLAIN = Writer()  # for commands that print a few plain lines, and for the guard


class ColourWriter(Writer):
    def out(self, line: str, style: str | None = None) -> None:
        sys.stdout.write(_coloured(printable(line), style) + "\n")

    def err(self, line: str, style: str | None = None) -> None:
        sys.stderr.write(_coloured(printable(line), style) + "\n")


def _coloured(line: str, style: str | None) -> str:
    code = STYLES.get(style) if style else None
    return f"\x1b[{code}m{line}\x1b[0m" if code and line else line


class RichWriter(ColourWriter):
    """A ColourWriter that can also draw a rich table."""

    def table(self, table) -> None:
        from rich.console import Console

        Console(highlight=False, soft_wrap=True).print(table)


def writer_for_terminal() -> Writer:
    """A RichWriter when stdout is a colour terminal, else plain."""
    import os

    forced = os.environ.get("FORCE_COLOR") not in (None, "")
    if os.environ.get("NO_COLOR") or os.environ.get("TERM") == "dumb" or not (forced or sys.stdout.isatty()):
        return Writer()
    return RichWriter()
