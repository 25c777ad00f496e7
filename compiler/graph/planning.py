"""`plan` for many targets: read each tenant's pairs and classify them against the profile.

The result of a remote run is plain data (`RemoteRun`, one `TargetPlan` per target) that the
reporters turn into text, JSON or annotations, as `build.RunResult` is for compile.
"""

from __future__ import annotations

from collections.abc import Callable

from .. import exits
from ..body.diff import credential_warnings
from ..body.render import render
from ..problems import Problem, exit_for
from ..profile.digest import digest
from ..run.interrupts import Terminated
from .classify import Action, classify, in_sync, unclearable
from .client import GraphClient, GraphError, Interrupted
from .endpoints import read_secrets
from .pool import run_all
from .targets import Target

# A target's status: after plan, one of the first three; apply moves it on; validate and
# `apply --validate` give valid or invalid (credentials the application refused).
IN_SYNC, CHANGES, FAILED, NOT_STARTED = "in-sync", "changes", "failed", "not-started"
APPLIED, SENT, SKIPPED = "applied", "sent", "skipped"
VALID, INVALID = "valid", "invalid"
# status: the synchronization jobs' state; the first two fail a pipeline that gates on it.
QUARANTINED, FAILING, PAUSED, ACTIVE, NOT_RUN, NO_JOB = (
    "quarantined",
    "failing",
    "paused",
    "active",
    "not-run",
    "no-job",
)


class TargetPlan:
    __slots__ = ("actions", "detail", "error", "status", "target", "tenant", "tenant_digest", "warnings")

    def __init__(self, target: Target, status: str = NOT_STARTED):
        self.target = target
        self.status = status
        self.tenant: list[tuple[str, str]] | None = None  # as Graph showed it (secrets read "*")
        self.actions: list[Action] = []
        self.warnings: list[str] = []
        self.tenant_digest: str | None = None
        self.error: str | None = None  # why it failed: status, code, message, request-id
        self.detail: dict = {}  # what a command adds: the job validated, the job's state...

    @property
    def in_sync(self) -> bool:
        return in_sync(self.actions)

    def count(self, action: str) -> int:
        return sum(1 for found in self.actions if found.action == action)


class RemoteRun:
    def __init__(self, command: str, plans: list[TargetPlan], warnings: list[Problem], check: bool = False):
        self.command = command
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
            return exits.TERMINATED if isinstance(self.interrupted, Terminated) else exits.INTERRUPTED
        if self.error or self.count(FAILED):
            return exits.REMOTE_FAILED
        if (self.check and self.count(CHANGES)) or any(self.count(bad) for bad in (INVALID, QUARANTINED, FAILING)):
            return exits.CHANGES
        return exits.OK


def plan_target(client: GraphClient, target: Target) -> TargetPlan | None:
    plan = TargetPlan(target)
    try:
        tenant = read_secrets(client, target.service_principal_id)
    except GraphError as error:
        plan.status, plan.error = FAILED, str(error)
        return plan
    except Interrupted:
        return None
    classify_plan(plan, tenant)
    return plan


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
