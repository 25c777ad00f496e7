"""`--format json` for `plan` and `apply`: one document on standard output.

{"version": 1, "command": "plan", "exit_code": 1,
 "targets": [{"profile", "environment", "service_principal_id", "status",
              "actions": [{"key", "action", "old", "new", "masked"}], "warnings": [...], "error": null}],
 "summary": {"targets": 3, "in-sync": 1, "changes": 1, "failed": 1, ..., "add": 2, "change": 1, "clear": 0},
 "errors": [...], "warnings": [...]}

`old` and `new` are as the text report shows them: a secret or a value from a reference is its
mask (`*** (env:NAME)`), never the value. `status`: in-sync, changes, failed (plan); applied,
sent (interrupted before it was confirmed), skipped, failed, not-started (apply); valid, invalid
(validate, with "job_id"); active, paused, not-run, no-job, quarantined, failing (status, with
"jobs": each job's state, last run and quarantine).
"""

from __future__ import annotations

import json

from ..graph.client import visible
from ..graph.planning import RemoteRun, TargetPlan
from .terminal import Writer

VERSION = 1
STATUSES = (
    "in-sync",
    "changes",
    "applied",
    "sent",
    "skipped",
    "valid",
    "invalid",
    "quarantined",
    "failing",
    "paused",
    "not-run",
    "no-job",
    "active",
    "failed",
    "not-started",
)


def document(run: RemoteRun) -> dict:
    summary = {"targets": len(run.plans)}
    summary |= {
        status: run.count(status) for status in STATUSES if run.count(status) or status in ("in-sync", "failed")
    }
    summary |= {action: sum(plan.count(action) for plan in run.plans) for action in ("add", "change", "clear")}
    if run.outside:
        summary["not-in-environment"] = len(run.outside)
    errors = [_problem(problem) for problem in run.problems]
    if run.error:
        errors.append({"file": None, "line": None, "column": None, "key": None, "message": run.error})
    return {
        "version": VERSION,
        "command": run.command,
        "exit_code": run.exit_code,
        "interrupted": bool(run.interrupted),
        "targets": [_target(plan) for plan in run.plans],
        **({"not_in_environment": run.outside} if run.outside else {}),  # profiles --env left out
        "summary": summary,
        "errors": errors,
        "warnings": [_problem(problem) for problem in run.warnings],
    }


def _target(plan: TargetPlan) -> dict:
    return {
        "profile": plan.target.profile,
        "environment": plan.target.environment,
        "service_principal_id": plan.target.service_principal_id,
        "status": plan.status,
        "actions": [_action(action) for action in plan.actions],
        "warnings": plan.warnings,
        "error": plan.error,
        **{name: value for name, value in plan.detail.items() if name != "lines"},  # job_id, jobs
    }


def _action(action) -> dict:
    masked = action.old_masked or action.new_masked
    return {"key": action.key, "action": action.action, "old": action.old, "new": action.new, "masked": masked}


def _problem(problem) -> dict:
    return {
        "file": problem.file,
        "line": problem.line,
        "column": problem.col,
        "key": problem.key,
        "message": problem.message,
    }


def write_json(run: RemoteRun, writer: Writer) -> None:
    writer.document(json.dumps(document(run), indent=2, ensure_ascii=False))  # each line escaped, JSON kept
    for problem in [*run.warnings, *run.problems]:  # for the person reading the log
        writer.err(visible(str(problem)))
    if run.error:
        writer.err(visible(f"syncsecrets: {run.error}"))
