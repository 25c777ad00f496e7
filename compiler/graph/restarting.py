"""`restart`: which job of each target restarts, and restarting it.

The job is the one a profile means (its `[job]` template, the only one, or `job_id`: as plan
decides). Reading comes first for every target, so that the run shows what it will restart
before it asks; the POSTs follow, one per target.
"""

from __future__ import annotations

from collections.abc import Callable

from ..body.diff import Change
from .client import GraphClient, GraphError, Interrupted, clean_message
from .job_action import WrongTemplate, target_job
from .jobs import JobChoice, restart_job
from .planning import CHANGES, FAILED, NOT_STARTED, RESTARTED, TargetPlan
from .pool import run_all

RESTART = "restart"
FORCE_DELETES = "ForceDeletes"


def scope_words(scopes: tuple[str, ...]) -> str:
    return ", ".join(scopes) if scopes else "none (the portal's Restart provisioning)"


def find_target_job(client: GraphClient, plan: TargetPlan, scopes: tuple[str, ...]) -> TargetPlan:
    """The job to restart as the target's action (`restart`: old its status, new the scope)."""
    target = plan.target
    try:
        job = target_job(client, target)
    except (WrongTemplate, JobChoice) as refused:
        plan.status, plan.error = FAILED, refused.problem.message
        plan.problems.append(refused.problem)
        return plan
    except GraphError as error:
        plan.status, plan.error = FAILED, str(error)
        return plan
    except Interrupted:
        return plan
    if job is None:
        plan.status, plan.error = FAILED, "the service principal has no synchronization job: nothing to restart"
        return plan
    status = job.get("status") if isinstance(job.get("status"), dict) else {}
    code = clean_message(status["code"]) if isinstance(status.get("code"), str) else None
    plan.detail["job_id"] = job["id"]
    plan.actions = [Change("job", RESTART, code, scope_words(scopes))]
    if FORCE_DELETES in scopes:  # shown before the question, and in every report
        plan.warnings.append(
            "ForceDeletes releases the deletions the accidental-deletion threshold held back: the target "
            "application deletes those objects, and that cannot be undone"
        )
    plan.status = CHANGES
    return plan


def read_all(
    client: GraphClient, plans: list[TargetPlan], scopes: tuple[str, ...], jobs: int, done: Callable | None = None
) -> BaseException | None:
    _found, interrupted = run_all(plans, lambda plan: find_target_job(client, plan, scopes), jobs, client.stop, done)
    return interrupted


def restart_all(
    client: GraphClient, plans: list[TargetPlan], scopes: tuple[str, ...], jobs: int, done: Callable | None = None
) -> BaseException | None:
    def work(plan: TargetPlan) -> TargetPlan:
        try:
            restart_job(client, plan.target.service_principal_id, plan.detail["job_id"], scopes)
        except GraphError as error:
            plan.status, plan.error = FAILED, f"restart refused: {error}"
        except Interrupted:
            return plan
        else:
            plan.status = RESTARTED
        return plan

    _found, interrupted = run_all(plans, work, jobs, client.stop, done)
    for plan in plans:
        if plan.status == CHANGES:  # never sent: Ctrl-C came first
            plan.status = NOT_STARTED
    return interrupted
