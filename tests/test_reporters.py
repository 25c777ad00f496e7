"""The reporters' registry serves every command, and one table says which statuses fail a run."""

from __future__ import annotations

from importlib import import_module

import pytest

from compiler import exits
from compiler.graph.planning import COMMANDS, FAILS, STATUSES, RemoteRun, TargetPlan
from compiler.graph.targets import Target
from compiler.reports import REPORTER_BY_NAME


@pytest.mark.parametrize("name", sorted(REPORTER_BY_NAME))
def test_every_format_reports_compile_and_remote_runs(name):
    reporter = REPORTER_BY_NAME[name]
    for module in (reporter.module, reporter.remote_module):
        assert callable(import_module(f"compiler.reports.{module}").write), (name, module)


def _run(command: str, status: str) -> RemoteRun:
    target = Target("configs/app.toml", None, "sp", None, (), None, [], "digest")
    return RemoteRun(command, [TargetPlan(target, status)], [])


@pytest.mark.parametrize("command", sorted(COMMANDS))
@pytest.mark.parametrize("status", STATUSES)
def test_a_status_fails_a_run_as_the_one_table_says(command, status):
    assert _run(command, status).exit_code == FAILS.get(status, exits.OK)


def test_the_worst_failure_decides_the_exit_code():
    run = _run("status", "quarantined")
    run.plans.append(TargetPlan(run.plans[0].target, "failed"))
    assert run.exit_code == exits.REMOTE_FAILED


def test_an_action_of_any_key_renders_with_its_flags_in_text_and_json():
    from compiler.body.diff import Change as Action
    from compiler.reports.remote_json import document
    from compiler.reports.remote_text import action_lines

    run = _run("plan", "changes")
    run.plans[0].actions = [
        Action("job", "change", '"paused"', '"active"', True, True),
        Action("mappings.User.x", "add", None, '"y"', False, True, flags=("matching",)),
    ]
    assert action_lines(run.plans[0]) == ['  ~ job: "paused" -> "active"', '  + mappings.User.x: "y"  [matching]']
    actions = document(run)["targets"][0]["actions"]
    assert "flags" not in actions[0]
    assert actions[1]["flags"] == ["matching"]
