"""`syncsecrets validate`: do the applications accept the profiles' credentials?

Graph's validateCredentials asks the application with the credentials given (the profile's,
resolved in memory) or, with `--saved`, those the tenant holds. Nothing is stored.
"""

from __future__ import annotations

import os

from ..run.interrupts import terminable
from .remote import RemoteOptions, Stopped, connect


def validate(options: RemoteOptions, saved: bool = False, environ=os.environ) -> int:
    from ..graph.planning import RemoteRun, TargetPlan
    from ..graph.validating import validate_all
    from ..reports.progress import progress
    from ..reports.remote import write_remote_report

    run = RemoteRun("validate", [], [])
    try:
        targets, session = connect(run, options, environ, reveal=not saved)
    except Stopped as stopped:
        return stopped.code
    run.plans = [TargetPlan(target) for target in targets]
    try:
        with terminable(), progress(len(targets), "Validating") as advance:
            run.problems, run.interrupted = validate_all(
                session.client, run.plans, options.jobs, saved, lambda _plan, _result: advance()
            )
    finally:
        session.client.close()
    write_remote_report(run, options.fmt, options.quiet)
    return run.exit_code
