"""`plan` for many targets: read each tenant's pairs and classify them against the profile.

The result of a remote run is plain data (`RemoteRun`, one `TargetPlan` per target) that the
reporters turn into text, JSON or annotations, as `run/result.RunResult` is for compile. Every
status a target can have, and which of them fail a run, are written here and nowhere else.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

from .. import exits
from ..body.diff import Change, credential_warnings
from ..body.render import render
from ..problems import Problem, exit_for
from ..profile.digest import digest
from ..run.interrupts import exit_code as interrupted_exit
from .classify import classify, in_sync, unclearable
from .client import GraphClient, GraphError, Interrupted, clean_message
from .endpoints import read_secrets
from .job_action import CREATE, WrongTemplate, classify_job, job_change, sends_credentials
from .job_action import QUARANTINED as QUARANTINED_JOB
from .jobs import JobChoice, listing, read_jobs, read_templates
from .pool import run_all
from .targets import Target

# A target's status: after plan, one of the first three; apply moves it on; validate and
# `apply --validate` give valid or invalid (credentials the application refused).
IN_SYNC, CHANGES, FAILED, NOT_STARTED = "in-sync", "changes", "failed", "not-started"
APPLIED, SENT, SKIPPED = "applied", "sent", "skipped"
VALID, INVALID = "valid", "invalid"
# provision: every object provisioned, or one that failed a step (exit 1, as invalid credentials)
PROVISIONED, NOT_PROVISIONED = "provisioned", "not-provisioned"
RESTARTED = "restarted"  # restart: the job's restart was accepted
# status: the synchronization jobs' state; the first two fail a pipeline that gates on it.
QUARANTINED, FAILING, PAUSED, ACTIVE, NOT_RUN, NO_JOB = (
    "quarantined",
    "failing",
    "paused",
    "active",
    "not-run",
    "no-job",
)
# Every status, in the order the JSON summary lists them.
STATUSES = (
    IN_SYNC,
    CHANGES,
    APPLIED,
    SENT,
    SKIPPED,
    VALID,
    INVALID,
    QUARANTINED,
    FAILING,
    PAUSED,
    NOT_RUN,
    NO_JOB,
    ACTIVE,
    RESTARTED,
    PROVISIONED,
    NOT_PROVISIONED,
    FAILED,
    NOT_STARTED,
)
# The statuses that fail a run, and its exit code: Graph or the authority failed (4), or the
# tenant is not as a pipeline gating on it needs (1). Read by `exit_code` and by every report.
FAILS = {
    FAILED: exits.REMOTE_FAILED,
    INVALID: exits.CHANGES,
    QUARANTINED: exits.CHANGES,
    FAILING: exits.CHANGES,
    NOT_PROVISIONED: exits.CHANGES,
}


class Command(NamedTuple):
    """What the reports need to know of a remote command; a new command is one line of COMMANDS."""

    name: str
    pairs: bool = False  # it compares the profiles' pairs with the tenant's: its summary counts keys
    results: bool = True  # each target has a result (applied, valid...); False: the report is the plan


COMMANDS = {
    command.name: command
    for command in (
        Command("plan", pairs=True, results=False),
        Command("apply", pairs=True),
        Command("validate"),
        Command("status"),
        Command("import"),
        Command("restart"),
        Command("provision"),
    )
}


class TargetPlan:
    __slots__ = (
        "actions",
        "detail",
        "error",
        "job",
        "problems",
        "schema",
        "status",
        "target",
        "tenant",
        "tenant_digest",
        "warnings",
    )

    def __init__(self, target: Target, status: str = NOT_STARTED):
        self.target = target
        self.status = status
        self.tenant: list[tuple[str, str]] | None = None  # as Graph showed it (secrets read "*")
        self.actions: list[Change] = []
        self.warnings: list[str] = []
        self.tenant_digest: str | None = None
        self.error: str | None = None  # why it failed: status, code, message, request-id
        self.detail: dict = {}  # what a command adds: the job validated, the job's state...
        self.job = None  # job_action.JobAction, for a target with [job]
        self.schema = None  # graph/mappings.SchemaPlan, for a target with [mappings.*]
        self.problems: list[Problem] = []  # exit 2 found while reading the tenant: the job, the mappings

    @property
    def in_sync(self) -> bool:
        return in_sync(self.actions)

    def count(self, action: str) -> int:
        return sum(1 for found in self.actions if found.action == action)


class RemoteRun:
    def __init__(self, command: str, plans: list[TargetPlan], warnings: list[Problem], check: bool = False):
        self.command = command
        self.kind = COMMANDS[command]
        self.plans = plans
        self.warnings = warnings  # about the profiles (compile's warnings)
        self.check = check
        self.interrupted: BaseException | bool | None = None  # the signal that stopped the run
        self.error: str | None = None  # a failure of the whole run (the authority refused)
        self.problems: list[Problem] = []  # exit 2 after the tenant was read (a key Graph cannot clear)
        self.sending = False  # apply got past its checks and question: PUTs were (or were to be) sent
        self.environment: str | None = None  # --env
        self.outside: list[str] = []  # profiles that do not declare that environment: no target, nothing sent

    def count(self, status: str) -> int:
        return sum(1 for plan in self.plans if plan.status == status)

    @property
    def exit_code(self) -> int:
        if self.problems:  # 2, or 4 when Azure refused every one (a Key Vault secret)
            return exit_for(self.problems)
        if self.interrupted:
            return interrupted_exit(self.interrupted)
        codes = [FAILS[plan.status] for plan in self.plans if plan.status in FAILS]
        codes += [exits.REMOTE_FAILED] if self.error else []
        codes += [exits.CHANGES] if self.check and self.count(CHANGES) else []
        return max(codes, default=exits.OK)  # 4 before 1 before 0


def plan_target(client: GraphClient, target: Target) -> TargetPlan | None:
    plan = TargetPlan(target)
    try:
        tenant = read_secrets(client, target.service_principal_id)
        jobs = read_jobs(client, target) if target.job or target.mappings else None
    except GraphError as error:
        plan.status, plan.error = FAILED, str(error)
        return plan
    except Interrupted:
        return None
    classify_plan(plan, tenant)
    if target.job:
        plan_job(plan, jobs)
    if plan.job is not None and plan.job.action == CREATE:
        try:
            templates = read_templates(client, target.service_principal_id)
        except GraphError as error:
            plan.status, plan.error = FAILED, str(error)
            return plan
        except Interrupted:
            return None
        unknown_template(plan, templates)
    if target.mappings and not plan.problems and plan.status != FAILED:
        try:
            plan_mappings(client, plan, jobs)
        except Interrupted:
            return None
    return plan


def unknown_template(plan: TargetPlan, templates: list[dict]) -> None:
    """A job to create from a template the application does not offer: exit 2 before anything is
    sent, naming those it offers (an empty list says nothing: Graph may not list them all)."""
    offered = [template.get("id") for template in templates if isinstance(template.get("id"), str)]
    wanted = plan.target.job.template_id
    if offered and wanted not in offered:
        listed = listing([repr(clean_message(name)) for name in offered])
        problem = Problem(
            plan.target.profile,
            f"[job] template_id is {wanted!r}, but the application of service "
            f"principal {plan.target.service_principal_id} offers {listed}: set one of them",
            "job.template_id",
        )
        plan.status, plan.error = FAILED, problem.message
        plan.problems.append(problem)


def plan_job(plan: TargetPlan, jobs: list[dict]) -> None:
    """The job's action joins the pairs' (key `job`); a job of another template, or several jobs
    and none named, is the profile's to fix (`plan.problems`, exit 2 before anything is sent)."""
    target = plan.target
    try:
        plan.job = classify_job(
            target.job,
            jobs,
            sends_credentials(target.pairs),
            target.profile,
            target.job_id,
            target.service_principal_id,
        )
    except (WrongTemplate, JobChoice) as refused:
        plan.status, plan.error = FAILED, refused.problem.message
        plan.problems.append(refused.problem)
        return
    plan.actions.append(job_change(plan.job))
    if plan.job.action == QUARANTINED_JOB:  # a person must act: say why, in every report
        plan.warnings.append(
            f"the synchronization job is in quarantine ({plan.job.reason}): syncsecrets never clears "
            "that; fix the cause, then `syncsecrets restart --scope quarantine`"
        )
    plan.status = IN_SYNC if plan.in_sync else CHANGES


def job_problems(plans: list[TargetPlan]) -> list[Problem]:
    """The problems found while reading the tenants that the profiles must fix (exit 2): a job of
    another template, a job not named, mappings the template cannot take."""
    return [problem for plan in plans for problem in plan.problems]


def plan_mappings(client: GraphClient, plan: TargetPlan, jobs: list[dict] | None) -> None:
    """Adds the schema actions of a target with `[mappings.*]` (graph/mappings.py)."""
    from .jobs import JobChoice
    from .mappings import MappingProblems, changes, plan_schema

    try:
        plan.schema = plan_schema(client, plan.target, plan.target.mappings, jobs=jobs)
    except JobChoice as choice:
        plan.problems.append(choice.problem)
    except MappingProblems as found:
        plan.problems += found.problems
    except GraphError as error:
        plan.status, plan.error = FAILED, f"reading the job's schema: {error}"
        return
    if plan.problems:
        plan.status, plan.error = FAILED, plan.problems[0].message
        return
    plan.actions += changes(plan.schema)
    plan.status = IN_SYNC if plan.in_sync else CHANGES


def classify_plan(plan: TargetPlan, tenant: list[tuple[str, str]]) -> None:
    target = plan.target
    plan.tenant = tenant
    plan.tenant_digest = tenant_digest(tenant)
    plan.actions = classify(target.pairs, tenant, target.keep)
    plan.warnings = credential_warnings(tenant, target.pairs, False, tenant=True)
    plan.status = IN_SYNC if plan.in_sync else CHANGES


def tenant_digest(tenant: list[tuple[str, str]]) -> str:
    # Secrets read "*" on the tenant: the digest holds no secret, and a saved plan can carry it.
    return digest(render(tenant))


def plan_all(
    client: GraphClient, targets: list[Target], jobs: int, done: Callable[[Target, TargetPlan], None] | None = None
) -> tuple[list[TargetPlan], BaseException | None]:
    if any(target.mappings for target in targets):
        from .mappings import fewer_collections

        fewer_collections()
    found, interrupted = run_all(targets, lambda target: plan_target(client, target), jobs, client.stop, done)
    return [plan or TargetPlan(target) for plan, target in zip(found, targets, strict=True)], interrupted


def unclearable_problems(plans: list[TargetPlan]) -> list[Problem]:
    """Exit 2 before anything is sent: the profile drops a key that Graph cannot clear."""
    problems = []
    for plan in plans:
        for key in unclearable(plan.actions, plan.tenant or []):
            fix = (
                "set [notifications] enabled = false (and delete_threshold = false) to turn it off"
                if key == "SyncNotificationSettings"
                else "set it explicitly"
            )
            problems.append(
                Problem(
                    plan.target.profile,
                    "is set on the tenant of service principal "
                    f"{plan.target.service_principal_id} but not in this profile, and Graph cannot clear a JSON value: "
                    f"{fix}, or list it in [application] keep to leave it as it is",
                    key,
                )
            )
    return problems
