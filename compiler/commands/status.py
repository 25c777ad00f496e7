"""`syncsecrets status`: each service principal's synchronization jobs, for people and pipelines
(exit 1 when a job is quarantined or its last run failed)."""

from __future__ import annotations

import os

from ..run.interrupts import terminable
from .remote import RemoteOptions, Stopped, connect


def status(options: RemoteOptions, environ=os.environ) -> int:
    from ..graph.planning import RemoteRun, TargetPlan
    from ..graph.status import status_all
    from ..reports.progress import progress
    from ..reports.remote import write_remote_report

    run = RemoteRun("status", [], [])
    try:
        targets, session = connect(run, options, environ, reveal=False)  # no secret needed
    except Stopped as stopped:
        return stopped.code
    run.plans = [TargetPlan(target) for target in targets]
    try:
        with terminable(), progress(len(targets), "Reading the jobs") as advance:
            run.interrupted = status_all(session.client, run.plans, options.jobs, lambda _plan, _result: advance())
    finally:
        session.client.close()
    write_remote_report(run, options.fmt, options.quiet)
    return run.exit_code
