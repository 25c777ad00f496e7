"""Where report lines go: plain text, or colour through rich when a person is watching.

Colour only on a terminal and never when NO_COLOR is set (rich reads NO_COLOR and FORCE_COLOR
itself); rich is imported only then, so pipelines and pre-commit do not pay for it.
"""

from __future__ import annotations

import sys

# Style names a reporter may ask for, and what they look like on a terminal.
STYLES = {
    "added": "green",
    "removed": "red",
    "changed": "yellow",
    "header": "bold",
    "warning": "bold yellow",
    "error": "bold red",
    "summary": "bold",
    "muted": "dim",
}


class Writer:
    """Plain lines to stdout and stderr; `style` is a hint that plain output ignores."""

    def out(self, line: str, style: str | None = None) -> None:
        sys.stdout.write(line + "\n")

    def err(self, line: str, style: str | None = None) -> None:
        sys.stderr.write(line + "\n")


PLAIN = Writer()  # for commands that print a few plain lines, and for the guard


class RichWriter(Writer):
    def __init__(self) -> None:
        from rich.console import Console

        self._stdout = Console(highlight=False, soft_wrap=True)
        self._stderr = Console(stderr=True, highlight=False, soft_wrap=True)

    def out(self, line: str, style: str | None = None) -> None:
        self._stdout.print(line, style=STYLES.get(style), markup=False)

    def err(self, line: str, style: str | None = None) -> None:
        self._stderr.print(line, style=STYLES.get(style), markup=False)

    def table(self, table) -> None:
        self._stdout.print(table)


def writer_for_terminal() -> Writer:
    """A RichWriter when stdout is a colour terminal, else plain."""
    import os

    forced = os.environ.get("FORCE_COLOR") not in (None, "")
    if os.environ.get("NO_COLOR") or not (forced or sys.stdout.isatty()):
        return Writer()
    return RichWriter()
