"""A service principal's synchronization jobs: which one a command acts on, and the calls that
create, start, pause and restart one.

The only job, or the one `[application] job_id` names. Several jobs and none named is the
profile's to fix (exit 2, listing them); no job at all means provisioning is not set up for
the application, a failure of that target.
"""

from __future__ import annotations

from ..problems import Problem
from .client import GraphClient, GraphError, Interrupted, Unanswered, clean_message, error_in_answer
from .endpoints import NOT_AN_ID, is_job_id, job_url, jobs_url, read_collection
from .targets import Target


class JobChoice(Exception):
    """The profile must name the job: a Problem for exit 2."""

    def __init__(self, problem: Problem):
        super().__init__(problem.message)
        self.problem = problem


LISTED = 10  # names of Graph's jobs or templates quoted in one message, at most


def listing(names: list[str]) -> str:
    """`names` (Graph's, cleaned by the caller) for a message, the first LISTED of them: a hostile
    answer listing thousands would otherwise fill the CI log with one message."""
    shown = ", ".join(names[:LISTED])
    return f"{shown} (and {len(names) - LISTED} more)" if len(names) > LISTED else shown


def read_jobs(client: GraphClient, target: Target) -> list[dict]:
    """The service principal's jobs; GraphError (the target fails) when one has no id, or an id
    that is not a plain id of sane length: such a job cannot be named in a report, a profile's
    job_id or a URL, so nothing is done to any of them."""
    jobs = read_collection(client, jobs_url(client, target.service_principal_id))
    if not all(is_job_id(job.get("id")) for job in jobs):
        raise GraphError(
            None,
            "UnexpectedAnswer",
            f"Graph's job list holds a job whose id is {NOT_AN_ID}: nothing was done to the jobs",
        )
    if not all(_readable(job) for job in jobs):
        # Unread, a quarantine would look like a stopped job, and start lifts a quarantine.
        raise GraphError(
            None,
            "UnexpectedAnswer",
            "Graph's job list holds a job whose status or schedule is not an object (or whose quarantine is "
            "neither null nor an object): nothing was done to the jobs",
        )
    return jobs


def _readable(job: dict) -> bool:
    status, schedule = job.get("status"), job.get("schedule")
    return (
        isinstance(status, dict)
        and isinstance(schedule, dict)
        and (status.get("quarantine") is None or isinstance(status.get("quarantine"), dict))
    )


def choose_job(target: Target, jobs: list[dict]) -> dict:
    """The job `target` means; JobChoice (exit 2) or GraphError (a failure of the target)."""
    names = [clean_message(str(job.get("id"))) for job in jobs]  # Graph's text, in a message
    if target.job_id:
        for job in jobs:
            if job.get("id") == target.job_id:
                return job
        listed = listing(names) or "none"
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
            f"synchronization jobs ({listing(names)}): name one in [application] job_id",
        )
    )


# -- acting on jobs ------------------------------------------------------------------------
# resetScope values of restart's criteria, as Graph spells them; `None` and `ConnectorDataStore`
# exist in Graph's enumeration but are not to be used (Microsoft's docs).
RESET_SCOPES = ("Watermark", "Escrows", "QuarantineState", "Full", "ForceDeletes")
FIRST_LISTING = 0.5
LONGEST_LISTING = 5.0


def create_job(client: GraphClient, principal: str, template_id: str, wait: float) -> str:
    """POST `.../jobs {"templateId"}` (Graph answers 201 with the new job, disabled), then the job
    list until it shows the job: its id. The POST is never sent twice (a second would make a
    second job): when its answer is lost, broken or names no id, the job it may have made is
    looked for in the list instead, and the target fails if none shows within `wait`."""
    try:
        job = client.post_json(jobs_url(client, principal), {"templateId": template_id}, repeatable=False)
    except Unanswered as error:
        return _made_by(client, principal, template_id, wait, f"creating the job got no clear answer ({error})")
    job_id = job.get("id") if isinstance(job, dict) else None
    if not isinstance(job_id, str):
        return _made_by(client, principal, template_id, wait, "Graph created a job but its answer names no job id")
    job_url(client, principal, job_id)  # an id that is not an id is refused here, before any use
    wait_until_listed(client, principal, job_id, wait)
    return job_id


def _made_by(client: GraphClient, principal: str, template_id: str, wait: float, why: str) -> str:
    """The job a create whose answer did not say may have made: the only one of `template_id`
    that the list shows within `wait` seconds (there was none when the plan was made)."""

    def mine(jobs: list[dict]) -> list[dict]:
        return [job for job in jobs if job.get("templateId") == template_id]

    try:
        jobs = _listed_until(client, principal, lambda jobs: bool(mine(jobs)), wait)
    except _NotListed:
        raise GraphError(
            None,
            "JobNotCreated",
            f"{why}, and after {wait:g} s Graph lists no job of the template: it was not asked again, so "
            "that no second job is made; run plan again",
        ) from None
    found = mine(jobs)
    if len(found) > 1:
        raise GraphError(
            None, "JobNotCreated", f"{why}, and Graph now lists {len(found)} jobs of the template: name one in job_id"
        )
    job_id = found[0].get("id")
    job_url(client, principal, job_id)
    return job_id


class _NotListed(Exception):
    pass


def _listed_until(client: GraphClient, principal: str, seen, wait: float) -> list[dict]:
    """GET the job list until `seen(jobs)` (Graph is eventually consistent), at most `wait`
    seconds on the client's clock; _NotListed after that."""
    deadline = client.clock.now() + wait
    delay = FIRST_LISTING
    while True:
        jobs = read_collection(client, jobs_url(client, principal))
        if seen(jobs):
            return jobs
        if client.clock.now() + delay > deadline:
            raise _NotListed()
        if client.clock.sleep(delay, client.stop):
            raise Interrupted()
        delay = min(delay * 2, LONGEST_LISTING)


def wait_until_listed(client: GraphClient, principal: str, job_id: str, wait: float) -> list[dict]:
    """GET the job list until it shows `job_id`, at most `wait` seconds."""
    try:
        return _listed_until(client, principal, lambda jobs: any(job.get("id") == job_id for job in jobs), wait)
    except _NotListed:
        raise GraphError(
            None,
            "JobNotListed",
            f"the job was created, but after {wait:g} s Graph does not list it yet (run plan again, or give "
            "--wait more seconds)",
        ) from None


def start_job(client: GraphClient, principal: str, job_id: str) -> None:
    post_action(client, f"{job_url(client, principal, job_id)}/start", None)


def pause_job(client: GraphClient, principal: str, job_id: str) -> None:
    post_action(client, f"{job_url(client, principal, job_id)}/pause", None)


def post_action(client: GraphClient, url: str, body: dict | None, repeatable: bool = True) -> None:
    """POST an action (204 expected); GraphError for a 2xx that carries an error or is not JSON:
    a service behind Graph may answer 200 to say no, and the job did not do it."""
    answer = client.post(url, body, repeatable=repeatable)
    if answer.status_code != 204 and (error := error_in_answer(answer)) is not None:
        raise error


def restart_job(client: GraphClient, principal: str, job_id: str, scopes: tuple[str, ...]) -> None:
    """POST `.../restart`: `scopes` from RESET_SCOPES; none is the portal's "Restart provisioning"."""
    unknown = [scope for scope in scopes if scope not in RESET_SCOPES]
    if unknown:  # a bug of the caller: the command line's scopes are checked before any request
        raise RuntimeError(f"unknown resetScope {unknown}")
    criteria = {"resetScope": ", ".join(scopes)} if scopes else {}
    # Not repeated after an unclear failure: a second restart would reset the job again.
    post_action(client, f"{job_url(client, principal, job_id)}/restart", {"criteria": criteria}, repeatable=False)


def read_templates(client: GraphClient, principal: str) -> list[dict]:
    url = client.connection.url(f"servicePrincipals/{principal}/synchronization/templates")
    return read_collection(client, url)


def read_job_schema(client: GraphClient, principal: str, job_id: object, deadline: float | None = None) -> dict:
    """The job's synchronization schema (GET .../jobs/{id}/schema, the client's API version)."""
    return checked_schema(client.get(f"{job_url(client, principal, job_id)}/schema", deadline), "the job's schema")


def checked_schema(document: object, what: str) -> dict:
    """`document` without its `@odata.*` annotations if its outline is a schema's (rules, each
    with a list of object mappings); GraphError otherwise. A field of the wrong type further in is
    found where it is read."""
    rules = document.get("synchronizationRules") if isinstance(document, dict) else None
    if not isinstance(rules, list) or not all(_is_rule(rule) for rule in rules):
        raise GraphError(None, "UnexpectedAnswer", f"Graph's answer for {what} is not a synchronization schema")
    return {key: value for key, value in document.items() if not key.startswith("@odata.")}


def _is_rule(rule: object) -> bool:
    if not isinstance(rule, dict):
        return False
    mappings = rule.get("objectMappings") or []
    return isinstance(mappings, list) and all(isinstance(mapping, dict) for mapping in mappings)
