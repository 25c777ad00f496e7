"""`syncsecrets apply`: plan, show, confirm, then one PUT per service principal.

Nothing is sent until every profile is valid, the token's tenant is right, every tenant was
read, no key Graph cannot clear would have to be cleared, and the plan was approved (the
question on a terminal, `--auto-approve`, or a saved plan that is still current).
"""

from __future__ import annotations

import math
import os
import sys

from ..problems import UserError
from ..reports.terminal import PLAIN
from ..run.interrupts import terminable
from .remote import RemoteOptions, Stopped, connect, finish, read_tenants

QUESTION = "Apply to {count} service {noun}? [y/N] "


def apply(
    options: RemoteOptions,
    auto_approve: bool = False,
    wait: float = 60.0,
    changed_only: bool = False,
    plan_file: str | None = None,
    validate: bool = False,
    environ=os.environ,
    allow_deprovision: bool = False,
) -> int:
    from ..graph.planning import CHANGES, IN_SYNC, SKIPPED, RemoteRun, job_problems, unclearable_problems
    from ..graph.saved import mismatch, stale_reasons
    from ..reports.remote import write_remote_report

    run = RemoteRun("apply", [], [])
    try:
        if not math.isfinite(wait):  # click's min=0 lets "nan" and "inf" through: a read-back that never ends
            raise UserError.single("--wait", "must be a number of seconds, like 60 (not nan or inf)")
        if not (auto_approve or plan_file or is_terminal()):
            raise UserError.single(
                "apply", "needs a terminal to ask for confirmation, or --auto-approve (or a saved plan, --plan FILE)"
            )
        saved = _load(plan_file) if plan_file else None
    except UserError as error:
        return finish(run, options, problems=error.problems)
    if saved is not None:
        options = _planned_options(saved, options)

    def guard(session) -> None:  # before any request: the plan is for this Graph, environment and tenant
        problems = _stale(mismatch(saved, session.connection, session.tenant, options.environment))
        if problems:
            raise UserError(problems)

    try:
        targets, session = connect(run, options, environ, guard=guard if saved is not None else None)
    except Stopped as stopped:
        return stopped.code
    client = session.client
    try:
        run.plans, run.interrupted = read_tenants(session, targets, options, "Reading the tenant")
        run.problems = job_problems(run.plans) + unclearable_problems(run.plans)
        if not run.problems and saved is not None:
            run.problems = _stale(stale_reasons(saved, run.plans))
        if run.problems or run.interrupted:
            write_remote_report(run, options.fmt, options.quiet)
            return run.exit_code
        for plan in run.plans:
            if changed_only and plan.status == IN_SYNC:
                plan.status = SKIPPED
        chosen = [plan for plan in run.plans if plan.status in (CHANGES, IN_SYNC)]
        if not allow_deprovision:
            run.problems = deprovision_problems(chosen)
            if run.problems:
                write_remote_report(run, options.fmt, options.quiet)
                return run.exit_code
        if validate and chosen:
            run.problems, run.interrupted, chosen = _validated(client, chosen, options)
            if run.problems or run.interrupted:
                write_remote_report(run, options.fmt, options.quiet)
                return run.exit_code
        if chosen and not (auto_approve or saved is not None) and not approved(run, options, len(chosen)):
            return 0
        if chosen:
            run.sending = True
            run.interrupted = _send(client, chosen, options, wait)
    finally:
        client.close()
    write_remote_report(run, options.fmt, options.quiet)
    return run.exit_code


def deprovision_problems(chosen) -> list:
    """A mapping change that may remove users from an application is sent only when asked
    (`--allow-deprovision`): exit 2 with nothing sent otherwise."""
    from ..problems import Problem
    from ..schema.compare import MAY_DEPROVISION

    problems = []
    for plan in chosen:
        keys = [action.key for action in plan.actions if MAY_DEPROVISION in action.flags]
        if keys:
            problems.append(Problem(plan.target.profile, f"may remove users from the app ({', '.join(keys)}): "
                                    "review the plan, then apply with --allow-deprovision"))  # fmt: skip
    return problems


def _send(client, chosen, options: RemoteOptions, wait: float) -> bool:
    from ..graph.applying import apply_all
    from ..reports.progress import progress

    with terminable(), progress(len(chosen), "Applying") as advance:
        return apply_all(client, chosen, options.jobs, wait, lambda _plan, _result: advance())


def _validated(client, chosen, options: RemoteOptions):
    """`--validate`: the targets whose application accepts the credentials; the others are
    reported invalid (or failed) and get no PUT."""
    from ..graph.planning import VALID
    from ..graph.validating import validate_all
    from ..reports.progress import progress

    planned = {id(plan): plan.status for plan in chosen}
    with terminable(), progress(len(chosen), "Validating") as advance:
        problems, interrupted = validate_all(client, chosen, options.jobs, False, lambda _plan, _result: advance())
    for plan in chosen:
        if plan.status == VALID:
            plan.status = planned[id(plan)]
    return problems, interrupted, [plan for plan in chosen if plan.status == planned[id(plan)]]


def _load(plan_file: str) -> dict:
    from ..graph.saved import load

    return load(plan_file)


def _planned_options(saved: dict, options: RemoteOptions) -> RemoteOptions:
    """A saved plan names its profiles and environment: without PATH arguments (or --env) the
    run reads those, so the plan is applied as it was made."""
    from ..graph.saved import profile_paths

    paths = profile_paths(saved) if options.default_paths and saved["targets"] else options.paths
    return options._replace(paths=paths, environment=options.environment or saved["environment"])


def _stale(reasons: list[str]) -> list:
    from ..problems import Problem

    if not reasons:
        return []
    return [
        Problem("--plan", "the plan is stale: " + "; ".join(reasons[:10]) + ". Run `syncsecrets plan --save` again")
    ]


def is_terminal() -> bool:
    return sys.stdin.isatty()


def approved(run, options: RemoteOptions, count: int, question: str = QUESTION, declined: str = "applied") -> bool:
    """Shows the plan (to people: a document waits for the result) and asks; False, said on
    stderr, when the answer is not yes."""
    from ..reports.remote import write_remote_report

    write_remote_report(run, options.fmt, options.quiet, planned=True)
    if confirm(count, question):
        return True
    PLAIN.err(f"Nothing was {declined}.")
    return False


def confirm(count: int, question: str = QUESTION) -> bool:
    sys.stderr.write(question.format(count=count, noun="principal" if count == 1 else "principals"))
    sys.stderr.flush()
    answer = sys.stdin.readline()
    return answer.strip().lower() in ("y", "yes")
