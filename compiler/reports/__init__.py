"""Reporters: each turns one `RunResult` into one format, and prints through `terminal.Writer`.

- `text`: the default; diffs and the summary on stdout, problems on stderr; coloured on a terminal.
- `json`: one JSON document on stdout, for programs.
- `github`: GitHub Actions workflow commands, so problems and changes show on the pull request.

Every value a reporter prints was masked by `diff.py` already: reporters never see a secret.
"""

from __future__ import annotations

from ..run.build import RunResult
from .terminal import Writer

FORMATS = ("text", "json", "github")


def write_report(result: RunResult, fmt: str, mode: str, quiet: bool, writer: Writer) -> None:
    if fmt == "json":
        from .json_report import write_json

        write_json(result, writer)
    elif fmt == "github":
        from .github import write_github

        write_github(result, mode, writer)
    else:
        from .text import write_text

        write_text(result, mode, quiet, writer)
