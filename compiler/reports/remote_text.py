"""The text report of `plan` and `apply`, and the pieces the other formats share with it.

Every value here was masked by diff.compare already (through graph/classify.py): a reporter
never sees a secret. Errors name the target, the HTTP status, Graph's code and message and the
request-id, never the token.
"""

from __future__ import annotations

from ..graph.classify import PENDING
from ..graph.planning import (
    ACTIVE,
    APPLIED,
    CHANGES,
    FAILED,
    FAILING,
    FAILS,
    IN_SYNC,
    INVALID,
    NO_JOB,
    NOT_PROVISIONED,
    NOT_RUN,
    NOT_STARTED,
    PAUSED,
    PROVISIONED,
    QUARANTINED,
    RESTARTED,
    SENT,
    SKIPPED,
    VALID,
    RemoteRun,
    TargetPlan,
)
from . import View
from .terminal import Writer
from .text import STYLE, change_lines

RESULT = {
    APPLIED: "applied",
    SENT: "sent, not confirmed (interrupted)",
    FAILED: "failed",
    SKIPPED: "skipped (in sync)",
    NOT_STARTED: "not started",
    VALID: "valid",
    INVALID: "invalid",
    RESTARTED: "restarted",
    PROVISIONED: "provisioned",
    NOT_PROVISIONED: "not provisioned (a step failed)",
}
# The order of statuses in a summary line.
STATUS_ORDER = (
    APPLIED,
    RESTARTED,
    PROVISIONED,
    NOT_PROVISIONED,
    VALID,
    INVALID,
    QUARANTINED,
    FAILING,
    PAUSED,
    NOT_RUN,
    NO_JOB,
    ACTIVE,
    SKIPPED,
    SENT,
    FAILED,
    NOT_STARTED,
)
OTHER_PENDING = tuple(action for action in (*PENDING, "restart") if action not in ("add", "change", "clear", "remove"))
# What fails a run (planning.FAILS): marked with x, and a line of its own under --quiet.
BAD = tuple(FAILS)


def header(plan: TargetPlan) -> str:
    environment = f" [{plan.target.environment}]" if plan.target.environment else ""
    return f"{plan.target.profile}{environment} -> {plan.target.service_principal_id}"


def counts(plan: TargetPlan) -> str:
    found = [
        f"{plan.count(action)} to {action}" for action in ("add", "change", "clear", "remove") if plan.count(action)
    ]
    # Other pending actions (a job's) are named with their key: there is one of each.
    found += [f"{action.key}: {action.action}" for action in plan.actions if action.action in OTHER_PENDING]
    return ", ".join(found) or "in sync"


def action_lines(plan: TargetPlan, indent: str = "  ") -> list[str]:
    """The plan of one target, key by key in canonical order, as the compile diff shows changes."""
    return [line for action in plan.actions if action.action != "same" for line in change_lines(action, indent)]


def summary(run: RemoteRun) -> str:
    plans = run.plans
    total = len(plans)
    noun = "service principal" if total == 1 else "service principals"
    if run.error:
        return f"syncsecrets: {run.error}"
    if run.problems:
        count = len([problem for problem in run.problems if not problem.warning])
        consequence = "nothing was sent" if run.kind.pairs else "fix the profiles and run it again"
        return f"syncsecrets: {count} {'error' if count == 1 else 'errors'}; {consequence}"
    keys = {action: sum(plan.count(action) for plan in plans) for action in ("add", "change", "clear")}
    changed = ", ".join(f"{count} to {action}" for action, count in keys.items())
    if not run.kind.pairs:
        verb = run.command.capitalize()
        parts = [
            f"{run.count(status)} {status}"
            for status in STATUS_ORDER
            if run.count(status) and status not in (FAILED, NOT_STARTED)
        ]
    elif not run.kind.results or not (run.sending or run.count(SKIPPED) or run.count(INVALID)):  # no PUT was due
        parts = [f"{run.count(CHANGES)} to update (keys: {changed})", f"{run.count(IN_SYNC)} in sync"]
        verb = "Plan"
    else:
        parts = [f"{run.count(APPLIED)} applied"]
        verb = "Apply"
        parts += [f"{run.count(SKIPPED)} skipped (in sync)"] if run.count(SKIPPED) else []
        parts += [f"{run.count(SENT)} sent, not confirmed"] if run.count(SENT) else []
        parts += [f"{run.count(INVALID)} invalid (not sent)"] if run.count(INVALID) else []
    parts += [f"{run.count(FAILED)} failed"] if run.count(FAILED) else []
    parts += [f"{run.count(NOT_STARTED)} not started"] if run.count(NOT_STARTED) else []
    line = f"{verb}: {total} {noun}: " + ", ".join(parts)
    if run.outside:
        line += f"; {outside(run)}"
    if run.interrupted:
        line += "; interrupted"
    elif not run.kind.results and run.check and run.count(CHANGES):
        line += "; run `syncsecrets apply` to update"
    return line


def outside(run: RemoteRun) -> str:
    """The profiles --env left out, counted: they declare no such environment."""
    count = len(run.outside)
    return f"{count} {'profile' if count == 1 else 'profiles'} not in environment {run.environment}"


def outside_line(run: RemoteRun, profile: str) -> str:
    return f"{profile}: not in environment {run.environment} (not a target of this run: nothing sent)"


def write(run: RemoteRun, view: View, writer: Writer) -> None:
    quiet = view.quiet
    for problem in run.warnings:
        writer.err(str(problem), "warning")
    for problem in run.problems:  # may quote a saved plan's fields: a file a pull request can edit
        writer.err(str(problem), "error")
    # Every target read is shown, also when a problem of one stops the run (apply then sent nothing).
    as_planned = view.planned or not run.kind.results or (run.kind.pairs and bool(run.problems))
    for plan in run.plans:
        if quiet:
            for line, style in _quiet_lines(plan):
                writer.out(line, style)
            continue
        if not as_planned:
            lines = _result_lines(plan)
        elif plan.status == CHANGES:
            lines = [f"~ {header(plan)} ({counts(plan)})", *action_lines(plan)]
        else:
            lines = []
        if plan.status == FAILED:
            lines = lines or [f"x {header(plan)}: failed"]
            lines.append(f"  ! error: {plan.error}")
        if plan.warnings:
            lines = lines or [f"! {header(plan)}"]
            lines += [f"  ! warning: {warning}" for warning in plan.warnings]
        for number, line in enumerate(lines):
            first = "error" if line.startswith("x ") else "header"
            writer.out(line, first if number == 0 else STYLE.get(line.lstrip()[:1]))
    for profile in [] if quiet else run.outside:
        writer.out("= " + outside_line(run, profile), "muted")
    line = summary(run)  # the writer escapes it: run.error may quote the authority
    if run.error or run.problems:
        writer.err(line, "error")
    else:
        writer.out(line, "summary")


def _quiet_lines(plan: TargetPlan) -> list[tuple[str, str]]:
    """Under --quiet, one line per problem, as compile prints them: a target that failed (and
    why), then each warning."""
    lines = []
    if plan.status in BAD:
        why = f": {plan.error}" if plan.error else ""
        lines.append((f"{header(plan)}: {RESULT.get(plan.status, plan.status)}{why}", "error"))
    lines += [(f"{header(plan)}: warning: {warning}", "warning") for warning in plan.warnings]
    return lines


def _result_lines(plan: TargetPlan) -> list[str]:
    """What apply, validate or status found for one target: its result, and what it changed
    (apply), why the credentials were refused (validate) or the job's state (status)."""
    mark = "x" if plan.status in BAD else {APPLIED: "~", SENT: "~", RESTARTED: "~"}.get(plan.status, "=")
    job = f" (job {plan.detail['job_id']})" if plan.detail.get("job_id") else ""
    lines = [f"{mark} {header(plan)}: {RESULT.get(plan.status, plan.status)}{job}"]
    if plan.status in (APPLIED, SENT, FAILED, RESTARTED):
        lines += action_lines(plan)
    if plan.status == INVALID:
        lines.append(f"  ! refused: {plan.error}")
    lines += [f"  {line}" for line in plan.detail.get("lines", ())]
    return lines
