"""`--format json` for the commands that talk to Graph: one document on standard output.

{"version": 1, "command": "plan", "exit_code": 1,
 "targets": [{"profile", "environment", "service_principal_id", "status",
              "actions": [{"key", "action", "old", "new", "masked"}], "warnings": [...], "error": null}],
 "summary": {"targets": 3, "in-sync": 1, "changes": 1, "failed": 1, ..., "add": 2, "change": 1, "clear": 0},
 "errors": [...], "warnings": [...]}

`old` and `new` are as the text report shows them: a secret or a value from a reference is its
mask (`*** (env:NAME)`), never the value; an action with flags lists them ("flags": [...]). `status`: in-sync, changes, failed (plan); applied,
sent (interrupted before it was confirmed), skipped, failed, not-started (apply); valid, invalid
(validate, with "job_id"); active, paused, not-run, no-job, quarantined, failing (status, with
"jobs": each job's state, last run and quarantine); restarted (restart, with "job_id");
provisioned, not-provisioned (provision, with "job_id", "rule_id" and "subjects").
"""

from __future__ import annotations

import json

from ..graph.planning import FAILED, IN_SYNC, STATUSES, RemoteRun, TargetPlan
from ..problems import Problem
from . import View
from .json_report import problem_fields
from .terminal import Writer

VERSION = 1


def document(run: RemoteRun) -> dict:
    summary = {"targets": len(run.plans)}
    summary |= {status: run.count(status) for status in STATUSES if run.count(status) or status in (IN_SYNC, FAILED)}
    summary |= {action: sum(plan.count(action) for plan in run.plans) for action in ("add", "change", "clear")}
    if run.outside:
        summary["not-in-environment"] = len(run.outside)
    errors = [problem_fields(problem) for problem in run.problems]
    if run.error:
        errors.append(problem_fields(Problem(None, run.error)))  # the whole run's: no file
    return {
        "version": VERSION,
        "command": run.command,
        "exit_code": run.exit_code,
        "interrupted": bool(run.interrupted),
        "targets": [_target(plan) for plan in run.plans],
        **({"not_in_environment": run.outside} if run.outside else {}),  # profiles --env left out
        "summary": summary,
        "errors": errors,
        "warnings": [problem_fields(problem) for problem in run.warnings],
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
    found = {"key": action.key, "action": action.action, "old": action.old, "new": action.new, "masked": masked}
    return found | {"flags": list(action.flags)} if action.flags else found


def write(run: RemoteRun, view: View, writer: Writer) -> None:
    del view  # one document says everything
    writer.document(json.dumps(document(run), indent=2, ensure_ascii=False))  # each line escaped, JSON kept
    for problem in [*run.warnings, *run.problems]:  # for the person reading the log
        writer.err(str(problem))
    if run.error:
        writer.err(f"syncsecrets: {run.error}")
