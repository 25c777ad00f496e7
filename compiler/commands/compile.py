"""`syncsecrets compile`: one run of the core, then the report in the format asked for."""

from __future__ import annotations

from ..build import Options, RunResult, run
from ..guard import terminable
from ..problems import UserError
from ..reports import write_report
from ..reports.terminal import Writer, writer_for_terminal


def compile_profiles(options: Options, diff: str, quiet: bool, fmt: str = "text") -> int:
    try:
        with terminable():  # SIGTERM, like Ctrl-C, lets the run remove what it staged
            result = run(options)
    except UserError as error:  # a problem with the run itself (--out, a write): reported alike
        result = RunResult(options, problems=error.problems)
        result.unrestored = getattr(error, "unrestored", [])
    writer = writer_for_terminal() if fmt == "text" else Writer()
    write_report(result, fmt, diff, quiet, writer)
    return result.exit_code
