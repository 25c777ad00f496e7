"""`apply` for many targets: one PUT each, then reading back until the tenant shows the profile
(and, for a target with `[mappings.*]` whose job's schema differs, one schema PUT after it).

Graph is eventually consistent: a GET right after a PUT may still show the old pairs. A target
is applied when a GET shows every non-masked value of the profile and none of the cleared keys;
until `wait` seconds have passed it is read again (0.5 s, then doubling, at most 5 s apart).

A target with `[job]` has its job acted on around the PUT, in this order: pause (before anything
else is sent), create (then wait until the job list shows it), validate the credentials (heal,
and a new job: a refusal fails the target with nothing sent), the PUT and its read-back, then
restart with QuarantineState (heal) or start. A job is never deleted.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from .classify import classify, in_sync, put_body
from .client import GraphClient, GraphError, Interrupted
from .endpoints import check_sendable, read_secrets, write_secrets
from .job_action import CREATE, HEAL, PAUSE, START, sends_credentials
from .jobs import create_job, pause_job, restart_job, start_job
from .planning import APPLIED, CHANGES, FAILED, IN_SYNC, NOT_STARTED, SENT, TargetPlan
from .pool import run_all
from .validating import refused, validate_credentials

FIRST_READ_BACK = 0.5
LONGEST_READ_BACK = 5.0
# The read-back's requests end when `wait` does, but no sooner than this after the PUT: a GET
# needs time to answer (`--wait 0` still reads back once).
SHORTEST_READ = 10.0


def bodies(plans: list[TargetPlan]) -> dict[int, list[tuple[str, str]]]:
    """Every body that will be sent, built and checked before the first PUT: a mask or a
    placeholder in any of them is a bug that stops the run with nothing sent (exit 3)."""
    found = {}
    for index, plan in enumerate(plans):
        found[index] = put_body(plan.target.pairs, plan.actions)
        check_sendable(found[index])
    return found


def apply_all(
    client: GraphClient,
    plans: list[TargetPlan],
    jobs: int,
    wait: float,
    done: Callable[[TargetPlan, TargetPlan], None] | None = None,
) -> BaseException | None:
    """Applies `plans` (their status and error are updated); the signal that interrupted it, if any."""
    sendable = bodies(plans)
    index_of = {id(plan): index for index, plan in enumerate(plans)}

    def work(plan: TargetPlan) -> TargetPlan:
        apply_target(client, plan, sendable[index_of[id(plan)]], wait)
        return plan

    _results, interrupted = run_all(plans, work, jobs, client.stop, done)
    for plan in plans:
        if plan.status in (CHANGES, IN_SYNC):  # never sent: Ctrl-C came first
            plan.status = NOT_STARTED
    return interrupted


def apply_target(client: GraphClient, plan: TargetPlan, body: list[tuple[str, str]], wait: float) -> None:
    target = plan.target
    job = plan.job
    try:
        job_id = before_put(client, plan, wait) if job is not None else None
    except GraphError as error:  # nothing of the secrets was sent
        plan.status, plan.error = FAILED, str(error)
        return
    except Interrupted:
        return
    try:
        write_secrets(client, target.service_principal_id, body)
    except GraphError as error:
        plan.status, plan.error = FAILED, f"PUT refused: {error}"
        return
    except Interrupted:
        return  # not sent (a retry was waiting): the status stays as planned
    plan.status = SENT
    if not read_back(client, plan, wait):
        return
    if plan.schema is not None and not plan.schema.in_sync and not apply_schema(client, plan, wait):
        return  # the job is not started on a schema that did not land
    try:
        if job is not None:
            after_put(client, plan, job_id)
    except GraphError as error:
        verb = "restarting it out of quarantine" if job.action == HEAL else "starting the job"
        plan.status, plan.error = FAILED, f"the secrets were applied, but {verb} failed: {error}"
        return
    except Interrupted:
        return
    plan.status = APPLIED


def before_put(client: GraphClient, plan: TargetPlan, wait: float) -> str | None:
    """Pause, or create (wait until listed, then validate, Microsoft's order for a new app), or
    validate (heal), as the job's action says; the job's id. GraphError: the target fails with
    nothing of its secrets sent (a job just created stays, disabled: jobs are never deleted)."""
    job, target = plan.job, plan.target
    principal = target.service_principal_id
    job_id = job.job_id
    if job.action == PAUSE:
        pause_job(client, principal, job_id)
    elif job.action == CREATE:
        job_id = create_job(client, principal, target.job.template_id, wait)
        plan.detail["job_id"] = job_id
    if job.action == HEAL or (job.action == CREATE and sends_credentials(target.pairs)):
        try:
            validate_credentials(client, target, job_id)
        except GraphError as error:
            why = "the application refused the credentials" if refused(error) else "validating the credentials failed"
            left = "the job stays in quarantine" if job.action == HEAL else "the new job stays disabled"
            raise GraphError(
                error.status, error.code, f"{why}, so {left} and nothing was sent: {error.message}", error.request_id
            ) from None
    return job_id


def after_put(client: GraphClient, plan: TargetPlan, job_id: str | None) -> None:
    """Restart out of quarantine (heal) or start, once the tenant shows the secrets."""
    job, principal = plan.job, plan.target.service_principal_id
    if job.action == HEAL:
        restart_job(client, principal, job_id, ("QuarantineState",))
    elif job.action == START or (job.action == CREATE and job.new == "active"):
        start_job(client, principal, job_id)


def read_back(client: GraphClient, plan: TargetPlan, wait: float) -> bool:
    """GET until the tenant shows the profile; False (the target failed or was stopped) if not."""
    target = plan.target

    def shown(deadline: float) -> bool:
        return in_sync(classify(target.pairs, read_secrets(client, target.service_principal_id, deadline), target.keep))

    try:
        if read_until(client, shown, wait):
            return True
        plan.status = FAILED
        plan.error = (
            f"the PUT was accepted, but after {wait:g} s the tenant does not show the profile yet "
            "(Graph is eventually consistent: run plan again, or give --wait more seconds)"
        )
    except GraphError as error:
        plan.status, plan.error = FAILED, f"the PUT was accepted, but reading it back failed: {error}"
    except Interrupted:
        pass  # sent, not confirmed: reported as such
    return False


def read_until(client: GraphClient, shown: Callable[[float], bool], wait: float) -> bool:
    """Reads until `shown(deadline)` (one GET, whole by that wall-clock deadline) says the
    tenant shows what was sent, or `wait` seconds have passed on the client's clock (False);
    GraphError and Interrupted end it too."""
    started = time.monotonic()  # answers are whole by a time of the wall (bytes arrive in it)
    reads_end = max(started + wait, started + SHORTEST_READ)
    deadline = client.clock.now() + wait  # the read-backs' waits happen on the client's clock
    delay = FIRST_READ_BACK
    while True:
        if shown(reads_end):
            return True
        if client.clock.now() + delay > deadline:
            return False
        if client.clock.sleep(delay, client.stop):
            raise Interrupted
        delay = min(delay * 2, LONGEST_READ_BACK)


def apply_schema(client: GraphClient, plan: TargetPlan, wait: float) -> bool:
    """After the secrets: the job's schema read again (the PUT carries what was just read, and
    the plan must still hold), one PUT of the whole schema, then reading it back. False: the
    target failed (or was stopped), its status and error say how."""
    from .jobs import JobChoice
    from .mappings import MappingProblems, plan_schema, read_schema, shows, write_schema

    target = plan.target
    principal = target.service_principal_id
    try:
        fresh = plan_schema(client, target, target.mappings, keep=True)
        if [action.report() for action in fresh.actions] != [action.report() for action in plan.schema.actions]:
            plan.status, plan.error = FAILED, ("the secrets were applied, but the job's schema changed since it "
                                               "was planned: nothing was sent for it; run plan again")  # fmt: skip
            return False
        write_schema(client, principal, fresh)
    except (JobChoice, MappingProblems) as moved:  # the job or its template changed since the plan
        plan.status, plan.error = FAILED, f"the secrets were applied, but the schema PUT was not: {moved}"
        return False
    except GraphError as error:
        plan.status, plan.error = FAILED, f"the secrets were applied, but the schema PUT was not: {error}"
        return False
    except Interrupted:
        plan.status = SENT  # the secrets were; the schema was not
        return False
    try:
        if read_until(
            client, lambda deadline: shows(fresh, read_schema(client, principal, fresh.job_id, deadline)), wait
        ):
            return True
        plan.status = FAILED
        plan.error = (f"the schema PUT was accepted, but after {wait:g} s the job's schema does not show the "
                      "mappings yet (Graph is eventually consistent: run plan again, or give --wait more seconds)")  # fmt: skip
    except GraphError as error:
        plan.status, plan.error = FAILED, f"the schema PUT was accepted, but reading it back failed: {error}"
    except Interrupted:
        plan.status = SENT
    return False
