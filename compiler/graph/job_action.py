"""What `apply` must do to a service principal's synchronization job: pure, over Graph's job list.

| action      | when                                                                             |
|-------------|----------------------------------------------------------------------------------|
| create      | the service principal has no job (of the profile's template: see WrongTemplate)  |
| start       | state active, the schedule is not Active (Disabled: new, NotConfigured, Paused)   |
| pause       | state paused, the schedule is Active                                             |
| heal        | state active, quarantined for its credentials, and the plan sends credentials   |
| quarantined | quarantined for any other reason: reported with it, never cleared automatically |
| same        | the job exists and its state matches (NotRun with an Active schedule is running) |
"""

from __future__ import annotations

from typing import NamedTuple

from ..body.diff import Change
from ..catalog.keys import BY_GRAPH, is_connectivity
from ..problems import Problem
from ..profile.job import TEMPLATE_ID, JobSpec
from .client import clean_message
from .jobs import choose_job, listing, read_jobs

CREATE, START, PAUSE, HEAL, QUARANTINED, SAME = "create", "start", "pause", "heal", "quarantined", "same"
CREDENTIALS_QUARANTINE = "EncounteredQuarantineException"  # typically invalid credentials


class JobAction(NamedTuple):
    action: str
    old: str | None  # the job's status code as Graph gives it ("Paused"...), None: no job
    new: str  # the profile's state, "active" or "paused"
    job_id: str | None = None
    reason: str | None = None  # the quarantine's reason, as Graph gives it


class WrongTemplate(Exception):
    """The service principal's jobs all run another template: the profile must say which (exit 2)."""

    def __init__(self, problem: Problem):
        super().__init__(problem.message)
        self.problem = problem


def classify_job(
    spec: JobSpec,
    jobs: list[dict],
    sends_credentials: bool,
    profile: str,
    job_id: str | None = None,
    principal: str = "",
) -> JobAction:
    """The job action of one target; WrongTemplate, or jobs.JobChoice when several jobs run
    the template and `[application] job_id` names none of them (both exit 2, nothing sent)."""
    job = find_job(spec.template_id, jobs, profile, job_id, principal)
    if job is None:
        return JobAction(CREATE, None, spec.state)
    return action_for(spec, job, sends_credentials)


def find_job(
    template_id: str | None, jobs: list[dict], profile: str, job_id: str | None = None, principal: str = ""
) -> dict | None:
    """The job a profile means: of its `[job]` template (any, without one), the only one or the
    one `job_id` names; None when there is no job at all. WrongTemplate or JobChoice: exit 2."""
    if not jobs:
        return None
    mine = [job for job in jobs if template_id is None or job.get("templateId") == template_id]
    if not mine:
        others = sorted({clean_message(_text(job.get("templateId"))) or "unknown" for job in jobs})
        raise WrongTemplate(
            Problem(
                profile,
                f"[job] template_id is {template_id!r}, but the jobs of service "
                f"principal {principal} run {listing(list(map(repr, others)))}: syncsecrets never deletes a job; set "
                "template_id to the job's template, or delete the job in the portal first",
                "job.template_id",
            )
        )
    return choose_job(_Named(profile, principal, job_id), mine)


def target_job(client, target) -> dict | None:
    """The job of the target's service principal its profile means (`find_job`), read from Graph."""
    return find_job(
        target.job.template_id if target.job else None,
        read_jobs(client, target),
        target.profile,
        target.job_id,
        target.service_principal_id,
    )


def only_job(jobs: list[dict]) -> tuple[str, str] | None:
    """`[job]` (template_id, state) for a service principal with exactly one job, as it is now:
    state active when its schedule runs, else paused, so that the next plan finds it the same.
    None: no job, several, or one whose template id a profile could not hold."""
    if len(jobs) != 1:
        return None
    template_id = _text(jobs[0].get("templateId"))
    if not TEMPLATE_ID.match(template_id):
        return None
    schedule = jobs[0].get("schedule") if isinstance(jobs[0].get("schedule"), dict) else {}
    return template_id, "active" if schedule.get("state") == "Active" else "paused"


def job_change(found: JobAction) -> Change:
    """The job's action as every report shows an action: key `job`, Graph's status code as the
    old value, the profile's state as the new."""
    return Change("job", found.action, found.old, found.new)


def sends_credentials(pairs) -> bool:
    """Whether apply's PUT carries a credential (a secret of the connectivity family, or a [raw]
    key's reference): only then can it heal a quarantine for invalid credentials."""
    for pair in pairs:
        key = BY_GRAPH.get(pair.key)
        if (key.is_secret(pair.value) if key else pair.label is not None) and is_connectivity(pair.key):
            return True
    return False


def action_for(spec: JobSpec, job: dict, sends_credentials: bool) -> JobAction:
    status = job.get("status") if isinstance(job.get("status"), dict) else {}
    schedule = job.get("schedule") if isinstance(job.get("schedule"), dict) else {}
    code = clean_message(_text(status.get("code"))) or None  # Graph's texts, shown in every report
    running = _text(schedule.get("state")) == "Active"
    quarantine = status.get("quarantine") if isinstance(status.get("quarantine"), dict) else None
    reason = clean_message(_text((quarantine or {}).get("reason"))) or None
    found = {"old": code, "new": spec.state, "job_id": _text(job.get("id")) or None}
    if spec.state == "paused":
        return JobAction(PAUSE if running else SAME, **found)
    if code == "Quarantine" or quarantine is not None:
        if reason == CREDENTIALS_QUARANTINE and sends_credentials:
            return JobAction(HEAL, reason=reason, **found)
        return JobAction(QUARANTINED, reason=reason or "Unknown", **found)
    return JobAction(SAME if running else START, **found)


class _Named(NamedTuple):
    """What choose_job reads of a target."""

    profile: str
    service_principal_id: str
    job_id: str | None


def _text(value: object) -> str:
    return value if isinstance(value, str) else ""
