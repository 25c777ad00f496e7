"""`validate`: does the application accept the credentials? Graph asks it, nothing is stored.

POST `.../jobs/{jobId}/validateCredentials` with the profile's pairs (resolved in memory), or
with `useSavedCredentials: true` to test what the tenant holds. 204 (or a 2xx with no error in
its body): valid. A 400, or a 2xx whose body holds an `error`, is the application (or Graph on
its behalf) refusing them: invalid, with the message, which the synchronization service nests
as JSON (unwrapped by the client). Anything else is a failure.
"""

from __future__ import annotations

from collections.abc import Callable

from ..catalog.keys import is_connectivity
from .client import GraphClient, GraphError, Interrupted
from .endpoints import check_sendable, job_url
from .jobs import JobChoice, choose_job, post_action, read_jobs
from .planning import FAILED, INVALID, VALID, TargetPlan
from .pool import run_all


def validate_target(client: GraphClient, plan: TargetPlan, saved: bool = False) -> TargetPlan:
    """Sets `plan.status` to valid, invalid or failed (JobChoice: the profile must name a job)."""
    target = plan.target
    try:
        job = choose_job(target, read_jobs(client, target))
        plan.detail["job_id"] = job.get("id")
        validate_credentials(client, target, job.get("id"), saved)
    except GraphError as error:
        plan.status, plan.error = (INVALID if refused(error) else FAILED), str(error)
        return plan
    except Interrupted:
        return plan
    plan.status = VALID
    return plan


def refused(error: GraphError) -> bool:
    """Did the application refuse the credentials (a 400, or a 2xx carrying an error), rather than
    Graph failing to ask it (401/403: a missing permission; 404; 5xx...)?"""
    return error.status is not None and (error.status == 400 or error.status < 300)


def validate_credentials(client: GraphClient, target, job_id: object, saved: bool = False) -> None:
    """POST validateCredentials with the profile's connectivity pairs (or the saved ones): returns
    when the application accepts them, GraphError (400: refused) when not."""
    # Only how the app is reached: job settings are not credentials (Microsoft's examples).
    credentials = [] if saved else [(pair.key, pair.value) for pair in target.pairs if is_connectivity(pair.key)]
    check_sendable(credentials)
    body = {"useSavedCredentials": saved, "credentials": [{"key": k, "value": v} for k, v in credentials]}
    post_action(client, f"{job_url(client, target.service_principal_id, job_id)}/validateCredentials", body)


def validate_all(
    client: GraphClient,
    plans: list[TargetPlan],
    jobs: int,
    saved: bool = False,
    done: Callable[[TargetPlan, TargetPlan], None] | None = None,
) -> tuple[list, bool]:
    """Validates every plan (statuses updated); the problems that need the profile fixed (exit 2)
    and the signal that interrupted the run, if one did."""
    problems = []

    def work(plan: TargetPlan) -> TargetPlan:
        try:
            return validate_target(client, plan, saved)
        except JobChoice as choice:
            problems.append(choice.problem)
            plan.status, plan.error = FAILED, choice.problem.message
            return plan

    _results, interrupted = run_all(plans, work, jobs, client.stop, done)
    return problems, interrupted
