"""A service principal's synchronization jobs: which one a command acts on, and the calls that
create, start, pause and restart one.

The only job, or the one `[application] job_id` names. Several jobs and none named is the
profile's to fix (exit 2, listing them); no job at all means provisioning is not set up for
the application, a failure of that target.
"""

from __future__ import annotations

from ..problems import Problem
from .client import GraphClient, GraphError, Interrupted, clean_message
from .endpoints import job_url, jobs_url, read_collection
from .targets import Target


class JobChoice(Exception):
    """The profile must name the job: a Problem for exit 2."""

    def __init__(self, problem: Problem):
        super().__init__(problem.message)
        self.problem = problem


def read_jobs(client: GraphClient, target: Target) -> list[dict]:
    return read_collection(client, jobs_url(client, target.service_principal_id))


def choose_job(target: Target, jobs: list[dict]) -> dict:
    """The job `target` means; JobChoice (exit 2) or GraphError (a failure of the target)."""
    names = [clean_message(str(job.get("id"))) for job in jobs]  # Graph's text, in a message
    if target.job_id:
        for job in jobs:
            if job.get("id") == target.job_id:
                return job
        listed = ", ".join(names) or "none"
        raise JobChoice(
            Problem(
                target.profile,
                f"job_id names no job of service principal {target.service_principal_id} (its jobs: {listed})",
                "application.job_id",
            )
        )
    if len(jobs) == 1:
        return jobs[0]
    if not jobs:
        raise GraphError(
            None,
            "NoSynchronizationJob",
            "the service principal has no synchronization job: set up provisioning for the application first",
        )
    raise JobChoice(
        Problem(
            target.profile,
            f"service principal {target.service_principal_id} has several "
            f"synchronization jobs ({', '.join(names)}): name one in [application] job_id",
        )
    )


# -- acting on jobs ------------------------------------------------------------------------
# resetScope values of restart's criteria, as Graph spells them; `None` and `ConnectorDataStore`
# exist in Graph's enumeration but are not to be used (Microsoft's docs).
RESET_SCOPES = ("Watermark", "Escrows", "QuarantineState", "Full", "ForceDeletes")
FIRST_LISTING = 0.5
LONGEST_LISTING = 5.0


def create_job(client: GraphClient, principal: str, template_id: str) -> dict:
    """POST `.../jobs {"templateId"}`: the new job (Graph answers 201 with it, disabled)."""
    job = client.post_json(jobs_url(client, principal), {"templateId": template_id})
    if not isinstance(job, dict) or not isinstance(job.get("id"), str):
        raise GraphError(None, "UnexpectedAnswer", "Graph created a job but its answer names no job id")
    job_url(client, principal, job["id"])  # an id that is not an id is refused here, before any use
    return job


def wait_until_listed(client: GraphClient, principal: str, job_id: str, wait: float) -> list[dict]:
    """GET the job list until it shows `job_id` (Graph is eventually consistent), at most `wait`
    seconds on the client's clock."""
    deadline = client.clock.now() + wait
    delay = FIRST_LISTING
    while True:
        jobs = read_collection(client, jobs_url(client, principal))
        if any(job.get("id") == job_id for job in jobs):
            return jobs
        if client.clock.now() + delay > deadline:
            raise GraphError(
                None,
                "JobNotListed",
                f"the job was created, but after {wait:g} s Graph does not list it yet (run plan again, or give "
                "--wait more seconds)",
            )
        if client.clock.sleep(delay, client.stop):
            raise Interrupted()
        delay = min(delay * 2, LONGEST_LISTING)


def start_job(client: GraphClient, principal: str, job_id: str) -> None:
    client.post(f"{job_url(client, principal, job_id)}/start", None)


def pause_job(client: GraphClient, principal: str, job_id: str) -> None:
    client.post(f"{job_url(client, principal, job_id)}/pause", None)


def restart_job(client: GraphClient, principal: str, job_id: str, scopes: tuple[str, ...]) -> None:
    """POST `.../restart`: `scopes` from RESET_SCOPES; none is the portal's "Restart provisioning"."""
    unknown = [scope for scope in scopes if scope not in RESET_SCOPES]
    if unknown:  # a bug of the caller: the command line's scopes are checked before any request
        raise RuntimeError(f"unknown resetScope {unknown}")
    criteria = {"resetScope": ", ".join(scopes)} if scopes else {}
    client.post(f"{job_url(client, principal, job_id)}/restart", {"criteria": criteria})


def read_templates(client: GraphClient, principal: str) -> list[dict]:
    url = client.connection.url(f"servicePrincipals/{principal}/synchronization/templates")
    return read_collection(client, url)


def read_job_schema(client: GraphClient, principal: str, job_id: str) -> dict:
    document = client.get(f"{job_url(client, principal, job_id)}/schema")
    if not isinstance(document, dict):
        raise GraphError(None, "UnexpectedAnswer", "Graph's answer is not a synchronization schema")
    return document
