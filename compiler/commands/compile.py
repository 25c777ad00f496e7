"""`syncsecrets compile`: one run of the core, then the report in the format asked for."""

from __future__ import annotations

from ..problems import UserError
from ..reports import View, write_report
from ..run.build import run
from ..run.interrupts import terminable
from ..run.result import Options, RunResult


def compile_profiles(options: Options, view: View, fmt: str = "text") -> int:
    try:
        if options.reveal:  # a keyvault reference is read with the credential these options name
            from ..keyvault.session import configure

            configure(options.auth, options.keyvault_auth)
        with terminable():  # SIGTERM, like Ctrl-C, lets the run remove what it staged
            result = run(options)
    except UserError as error:  # a problem with the run itself (--out, a write): reported alike
        result = RunResult(options, problems=error.problems)
        result.unrestored = getattr(error, "unrestored", [])
    write_report(result, fmt, view)
    return result.exit_code
