"""`syncsecrets plan`: what `apply` would change on the tenant, read with GETs only."""

from __future__ import annotations

import os

from ..problems import UserError
from ..reports.terminal import PLAIN
from .remote import RemoteOptions, finish, open_session, prepare, read_tenants


def plan(options: RemoteOptions, check: bool = False, save: str | None = None, environ=os.environ) -> int:
    from ..graph.auth import AuthError
    from ..graph.planning import RemoteRun, unclearable_problems
    from ..reports.remote import write_remote_report

    run = RemoteRun("plan", [], [], check)
    try:
        targets, run.warnings, connection, mode = prepare(options, environ)
    except UserError as error:  # reported like any run, in its format: "nothing was sent"
        return finish(run, options, problems=error.problems)
    except AuthError as error:  # a vault that refused a reference's secret
        return finish(run, options, error=error)
    try:
        session = open_session(options, connection, mode, targets, environ)
    except UserError as error:  # AZURE_* settings azure-identity cannot use
        return finish(run, options, problems=error.problems)
    except AuthError as error:
        return finish(run, options, error=error)
    try:
        run.plans, run.interrupted = read_tenants(session, targets, options, "Reading the tenant")
    finally:
        session.client.close()
    run.problems = unclearable_problems(run.plans)
    write_remote_report(run, options.fmt, options.quiet)
    if save and run.exit_code in (0, 1):
        from ..graph.saved import plan_document
        from ..graph.saved import save as save_plan

        save_plan(save, plan_document(connection, session.tenant, options.environment, run.plans))
        PLAIN.err(f"Saved the plan to {save}: `syncsecrets apply --plan {save}` applies it if nothing changed meanwhile.")
    return run.exit_code
