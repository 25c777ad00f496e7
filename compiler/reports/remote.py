"""Reports of `plan`, `apply`, `validate` and `status`, in the format asked for (see `REPORTER_BY_NAME`).

Every value they print was masked by diff.compare already (through graph/classify.py): a
reporter never sees a secret. Errors name the target, the HTTP status, Graph's code and message
and the request-id, never the token.
"""

from __future__ import annotations

from ..graph.planning import RemoteRun
from . import REPORTER_BY_NAME, View


def write_remote_report(run: RemoteRun, fmt: str, quiet: bool = False, planned: bool = False) -> None:
    """`planned`: apply shows its plan before the question (formats for people only)."""
    REPORTER_BY_NAME[fmt]().write_remote(run, View(quiet=quiet, planned=planned))
