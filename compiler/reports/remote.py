"""Reports of `plan` and `apply`: `text` for people, `json` for programs, `github` for Actions.

Every value they print was masked by diff.compare already (through graph/classify.py): a
reporter never sees a secret. Errors name the target, the HTTP status, Graph's code and message
and the request-id, never the token.
"""

from __future__ import annotations

from ..graph.planning import RemoteRun
from .terminal import Writer, writer_for_terminal


def write_remote_report(run: RemoteRun, fmt: str, quiet: bool = False, planned: bool = False) -> None:
    """`planned`: apply shows its plan before the question (text only)."""
    if fmt == "json":
        if not planned:
            from .remote_json import write_json

            write_json(run, Writer())
    elif fmt == "github":
        if not planned:
            from .remote_github import write_github

            write_github(run, Writer())
    else:
        from .remote_text import write_text

        write_text(run, quiet, planned, writer_for_terminal())
