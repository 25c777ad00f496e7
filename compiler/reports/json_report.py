"""`--format json`: one JSON document describing the whole run, for programs and CI.

{"version": 1, "exit_code": 1, "check": true, "out": "build", "environments": ["prod"],
 "summary": {"new": 0, "changed": 1, "unchanged": 4, "stale": 1, "errors": 0, "warnings": 0},
 "outputs": [{"path": "build/app.json", "profile": "configs/app.toml", "status": "changed",
              "pairs": 5, "service_principal_id": "2f9f...", "changes": [...], "warnings": [...]}, ...],
 "errors": [{"file": ..., "line": ..., "column": ..., "key": ..., "message": ...}],
 "warnings": [...]}

`environments` lists the environments compiled into their folders of --out (asked for with
--env, or, without it, every declared environment whose folder --out holds).
`service_principal_id` is the profile's `[application]` one after extends and environments
(null if none): where a deploy job PUTs the body. Problems are in the document only, not on standard error.
A change is {"key", "change": added|removed|changed, "old", "new", "masked"}; a masked side holds
its mask (`*** (env:NAME)`), never a value; a JSON-valued key also lists "fields".
"""

from __future__ import annotations

import json
import os

from ..body.diff import Change
from ..problems import Problem
from ..run.result import RunResult, Status
from . import View
from .terminal import Writer

VERSION = 1


def document(result: RunResult) -> dict:
    base = result.options.out
    outputs = [
        {
            "path": os.path.join(base, outcome.output),
            "profile": outcome.profile,
            "status": outcome.status,
            "pairs": outcome.pairs,
            "service_principal_id": outcome.service_principal_id,
            "changes": [_change(change) for change in outcome.changes],
            "warnings": outcome.warnings,
        }
        for outcome in result.outcomes
    ]
    outputs += [{"path": os.path.join(base, stale), "status": Status.STALE} for stale in result.stale]
    counts = {status: result.count(status) for status in Status}
    return {
        "version": VERSION,
        "exit_code": result.exit_code,
        "check": result.options.check,
        "out": base,
        "environments": list(result.environments),
        "summary": {
            **counts,
            "errors": len(result.errors),
            "warnings": len(result.warnings) + sum(len(outcome.warnings) for outcome in result.outcomes),
        },
        "outputs": outputs,
        "errors": [problem_fields(problem) for problem in result.errors],
        "warnings": [problem_fields(problem) for problem in result.warnings],
    }


def _change(change: Change) -> dict:
    found = {
        "key": change.key,
        "change": change.action,
        "old": change.old,
        "new": change.new,
        "masked": change.old_masked or change.new_masked,
    }
    if change.fields:
        found["fields"] = [_change(field) for field in change.fields]
    return found


def problem_fields(problem: Problem) -> dict:
    """A problem as every JSON report spells it."""
    return {
        "file": problem.file,
        "line": problem.line,
        "column": problem.col,
        "key": problem.key,
        "message": problem.message,
    }


def write(result: RunResult, view: View, writer: Writer) -> None:
    del view  # one document says everything, whatever the diff mode
    # JSON escapes control characters, but not DEL, C1 controls or U+2028: `document` does.
    writer.document(json.dumps(document(result), indent=2, ensure_ascii=False))
    for problem in result.problems:  # for the person reading the log, when stdout goes to a file
        writer.err(str(problem))
