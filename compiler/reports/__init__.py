"""Reporters: each turns one `RunResult` into one format, and prints through `terminal.Writer`.

- `text`: the default; diffs and the summary on stdout, problems on stderr; coloured on a terminal.
- `json`: one JSON document on stdout, for programs.
- `github`: GitHub Actions workflow commands, so problems and changes show on the pull request.

`REPORTER_BY_NAME` is the one list of formats: the command line offers its names and
`write_report` dispatches on it, so a new format is one module and one line here. Modules are
imported only when chosen. Every value a reporter prints was masked by `body/diff.py` already:
reporters never see a secret.
"""

from __future__ import annotations

from importlib import import_module
from typing import NamedTuple

from ..run.result import RunResult
from .terminal import Writer

# Format name -> module of this package that defines `write(result, view, writer)`.
REPORTER_BY_NAME = {"text": "text", "json": "json_report", "github": "github"}


class View(NamedTuple):
    """How the person asked to see a run: the diff mode and whether to keep it short."""

    diff: str = "semantic"  # semantic, unified or none
    quiet: bool = False


def write_report(result: RunResult, fmt: str, view: View, writer: Writer) -> None:
    import_module(f".{REPORTER_BY_NAME[fmt]}", __package__).write(result, view, writer)
