"""`syncsecrets compile`: one run of the core, then the report."""

from __future__ import annotations

from ..build import Options, run
from ..guard import err, out
from ..report import write_text


def compile_profiles(options: Options, diff: str, quiet: bool) -> int:
    result = run(options)
    write_text(result, diff, quiet, out, err)
    return result.exit_code
