"""A service principal's synchronization jobs: which one a command acts on.

The only job, or the one `[application] job_id` names. Several jobs and none named is the
profile's to fix (exit 2, listing them); no job at all means provisioning is not set up for
the application, a failure of that target.
"""

from __future__ import annotations

from ..problems import Problem
from .client import GraphClient, GraphError, clean_message
from .endpoints import jobs_url, read_collection
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
