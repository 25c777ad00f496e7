"""`syncsecrets plan`: what `apply` would change on the tenant, read with GETs only."""

from __future__ import annotations

import os

from ..reports.terminal import PLAIN
from .remote import RemoteOptions, Stopped, connect, read_tenants


def plan(options: RemoteOptions, check: bool = False, save: str | None = None, environ=os.environ) -> int:
    from ..graph.planning import RemoteRun, job_problems, unclearable_problems
    from ..reports.remote import write_remote_report

    run = RemoteRun("plan", [], [], check)
    try:
        targets, session = connect(run, options, environ)
    except Stopped as stopped:
        return stopped.code
    try:
        run.plans, run.interrupted = read_tenants(session, targets, options, "Reading the tenant")
    finally:
        session.client.close()
    run.problems = job_problems(run.plans) + unclearable_problems(run.plans)
    write_remote_report(run, options.fmt, options.quiet)
    if save and run.exit_code in (0, 1):
        from ..graph.saved import plan_document
        from ..graph.saved import save as save_plan

        save_plan(save, plan_document(session.connection, session.tenant, options.environment, run.plans))
        PLAIN.err(
            f"Saved the plan to {save}: `syncsecrets apply --plan {save}` applies it if nothing changed meanwhile."
        )
    elif save:  # a pipeline's next step looks for the file: say why there is none
        PLAIN.err(
            f"Did not save the plan to {save}: a plan is saved only when every tenant was read and every "
            "profile can be applied (exit 0 or 1)"
        )
    return run.exit_code
