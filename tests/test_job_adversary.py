"""The job features against a hostile Graph and a careless user: real CLI runs against the
loopback fake, each case a way to break them that must hold."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.helpers import run_cli
from tests.test_job import JOB, outputs, write
from tests.test_plan import SP, TOKEN


@pytest.fixture
def env(graph_env) -> dict[str, str]:
    return {**graph_env(), "APP_TOKEN": TOKEN}


# -- a POST that creates must not be sent twice -------------------------------------------------
@pytest.mark.parametrize("status", [0, 500, 503])
def test_a_create_whose_answer_is_lost_makes_one_job(tmp_path: Path, graph, env, status) -> None:
    write(tmp_path)
    graph.add_principal(SP, {})
    graph.fault(status, method="POST", applied=True)  # the job is created, its answer lost
    result = run_cli(["apply", "--auto-approve"], cwd=tmp_path, env=env)
    assert len(graph.jobs(SP)) == 1, outputs(result)
    assert graph.calls(SP).count("POST jobs") == 1
    assert result.exit_code == 0, outputs(result)
    (job,) = graph.jobs(SP).values()
    assert job.schedule == "Active"


def test_a_create_answered_without_an_id_adopts_the_job_it_made(tmp_path: Path, graph, env) -> None:
    write(tmp_path)
    graph.add_principal(SP, {})
    graph.fault(201, method="POST", applied=True, body=b'{"templateId": "scim"}')
    result = run_cli(["apply", "--auto-approve"], cwd=tmp_path, env=env)
    assert result.exit_code == 0, outputs(result)
    assert graph.calls(SP).count("POST jobs") == 1 and len(graph.jobs(SP)) == 1


@pytest.mark.parametrize("status", [0, 500])
def test_a_create_that_made_nothing_fails_the_target_without_a_second_post(tmp_path: Path, graph, env, status) -> None:
    write(tmp_path)
    graph.add_principal(SP, {})
    graph.fault(status, method="POST")  # not applied: no job
    result = run_cli(["apply", "--auto-approve", "--wait", "2"], cwd=tmp_path, env=env)
    assert result.exit_code == 4, outputs(result)
    assert "no second job" in result.stdout
    assert graph.jobs(SP) == {} and graph.calls(SP).count("POST jobs") == 1
    assert "PUT secrets" not in graph.calls(SP)


USER = "9bb0f679-a883-4a6f-8260-35b491b8b8c8"


@pytest.mark.parametrize("status", [0, 500, 502])
def test_a_restart_whose_answer_is_lost_is_not_sent_again(tmp_path: Path, graph, env, status) -> None:
    write(tmp_path)
    graph.add_principal(SP, {})
    graph.add_job(SP, JOB, "scim")
    graph.fault(status, method="POST", applied=True)
    result = run_cli(["restart", "--scope", "full", "--auto-approve"], cwd=tmp_path, env=env)
    assert result.exit_code == 4, outputs(result)
    assert graph.jobs(SP)[JOB].restarts == ["Full"]
    assert "not sent again" in result.stdout


def test_a_provision_whose_answer_is_lost_is_not_sent_again(tmp_path: Path, graph, env) -> None:
    write(tmp_path)
    graph.add_principal(SP, {})
    graph.add_job(SP, JOB, "scim")
    graph.fault(500, method="POST", applied=True)
    result = run_cli(["provision", "configs/app.toml", "--subject", USER], cwd=tmp_path, env=env)
    assert result.exit_code == 4, outputs(result)
    assert graph.calls(SP).count("POST provisionOnDemand") == 1
    assert "not sent again" in result.stdout


def test_start_and_validate_are_still_retried(tmp_path: Path, graph, env) -> None:
    write(tmp_path)
    graph.add_principal(SP, {})
    graph.add_job(SP, JOB, "scim", "Paused")
    graph.fault(500, method="POST")  # the start: repeating it changes nothing
    result = run_cli(["apply", "--auto-approve"], cwd=tmp_path, env=env)
    assert result.exit_code == 0, outputs(result)
    assert graph.calls(SP).count("POST start") == 2


# -- hostile job lists ---------------------------------------------------------------------------
def job_list(**changes) -> bytes:
    job = {"id": JOB, "templateId": "scim", "schedule": {"state": "Active"}, "status": {"code": "Paused"}}
    job.update(changes)
    return json.dumps({"value": [{key: value for key, value in job.items() if value is not None}]}).encode()


HOSTILE_IDS = {
    "no id": None,
    "a number": 5,
    "a path": "../../secrets",
    "a query": "job?x=1#y",
    "a forged log line": "job\x1b[31m\n::error::pwned",
    "huge": "a" * 100_000,
}
UNREADABLE = {
    "status a string": {"status": "Quarantine"},
    "status a list": {"status": ["Quarantine"]},
    "no status": {"status": None},
    "schedule a string": {"schedule": "Disabled"},
    "quarantine a string": {"status": {"code": "Paused", "quarantine": "TooManyDeletes"}},
}
COMMANDS = {
    "plan": ["plan"],
    "apply": ["apply", "--auto-approve"],
    "restart": ["restart", "--scope", "full", "--auto-approve"],
    "provision": ["provision", "configs/app.toml", "--subject", USER],
    "status": ["status"],
}


@pytest.mark.parametrize("command", list(COMMANDS))
@pytest.mark.parametrize("job_id", list(HOSTILE_IDS))
def test_a_job_id_that_is_not_an_id_fails_the_target_with_nothing_done(
    tmp_path: Path, graph, env, command, job_id
) -> None:
    write(tmp_path, "paused" if command == "apply" else "active")  # apply would pause it
    graph.add_principal(SP, {})
    if command in ("plan", "apply"):
        graph.fault(200, method="GET", body=b'{"value": []}')  # the secrets come first
    graph.fault(200, method="GET", body=job_list(id=HOSTILE_IDS[job_id]))
    result = run_cli(COMMANDS[command], cwd=tmp_path, env=env)
    assert result.exit_code == 4, outputs(result)
    assert "whose id is not an id" in result.stdout
    assert [record.method for record in graph.journal if record.method != "GET"] == []
    assert "\x1b" not in outputs(result) and "\n::error" not in outputs(result) and len(outputs(result)) < 5000


@pytest.mark.parametrize("command", ["apply", "restart", "status"])
@pytest.mark.parametrize("shape", list(UNREADABLE))
def test_a_job_whose_status_cannot_be_read_fails_the_target_and_is_never_started(
    tmp_path: Path, graph, env, command, shape
) -> None:
    write(tmp_path)  # active: a job that reads as stopped would be started, and start lifts a quarantine
    graph.add_principal(SP, {})
    if command == "apply":
        graph.fault(200, method="GET", path="/secrets", body=b'{"value": []}')
    graph.fault(200, method="GET", path="/jobs", body=job_list(**UNREADABLE[shape]))
    result = run_cli(COMMANDS[command], cwd=tmp_path, env=env)
    assert result.exit_code == 4, outputs(result)
    assert "whose status or schedule is not an object" in result.stdout
    assert [record.method for record in graph.journal if record.method != "GET"] == []


@pytest.mark.parametrize("fmt", ["text", "json", "github"])
def test_a_quarantine_reason_that_echoes_the_secret_is_masked(tmp_path: Path, graph, env, fmt) -> None:
    write(tmp_path)
    graph.add_principal(SP, {})
    reason = f"Bearer {json.dumps(TOKEN)[1:-1]}\n::error::forged\x1b[2J"
    quarantine = {"reason": reason, "currentBegan": "2026-01-01T00:00:00Z"}
    graph.add_job(SP, JOB, "scim", "Quarantine", quarantine=quarantine)
    for command in (["plan"], ["apply", "--auto-approve"]):
        result = run_cli([*command, "--format", fmt], cwd=tmp_path, env=env)
        assert result.exit_code == 0, outputs(result)
        assert "in quarantine" in result.stdout
        assert TOKEN not in outputs(result) and "\x1b" not in outputs(result)
        assert "\n::error::forged" not in outputs(result)


# -- hostile provisionOnDemand answers -----------------------------------------------------------
def on_demand(result: object) -> bytes:
    value = result if isinstance(result, str) else json.dumps(result)
    return json.dumps({"key": '{"result": "Failure"}', "value": value}).encode()


def test_an_answer_with_thousands_of_steps_prints_a_bounded_report(tmp_path: Path, graph, env) -> None:
    step = {"name": "EntryExportAdd", "type": "Export", "status": "Success", "description": "x" * 400}
    failed = {**step, "status": "Failure", "details": {"Reason": "refused"}}
    write(tmp_path)
    graph.add_principal(SP, {})
    graph.add_job(SP, JOB, "scim")
    graph.fault(200, method="POST", body=on_demand({"provisioningSteps": [step] * 5000 + [failed]}))
    for fmt in ("text", "json", "github"):
        result = run_cli(["provision", "configs/app.toml", "--subject", USER, "--format", fmt], cwd=tmp_path, env=env)
        graph.fault(200, method="POST", body=on_demand({"provisioningSteps": [step] * 5000 + [failed]}))
        assert result.exit_code == 1, outputs(result)[-500:]
        assert len(outputs(result)) < 40_000
        assert "Failure" in result.stdout  # the failed step, past the first 20, is shown
    assert "(and 4980 more steps, not shown)" in result.stdout


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("not json {", "not JSON"),
        ("[" * 10_000 + "]" * 10_000, "not JSON"),
        ('{"a":' * 10_000 + "1" + "}" * 10_000, "not JSON"),
        ("[1]", "not a JSON object"),
    ],
)
def test_a_provision_value_that_is_not_the_documented_shape_fails_the_target(
    tmp_path: Path, graph, env, value, message
) -> None:
    write(tmp_path)
    graph.add_principal(SP, {})
    graph.add_job(SP, JOB, "scim")
    graph.fault(200, method="POST", body=on_demand(value))
    result = run_cli(["provision", "configs/app.toml", "--subject", USER], cwd=tmp_path, env=env)
    assert result.exit_code == 4, outputs(result)
    assert message in result.stdout


@pytest.mark.parametrize("fmt", ["text", "json", "github"])
def test_a_provision_answer_cannot_forge_log_lines_or_show_the_secret(tmp_path: Path, graph, env, fmt) -> None:
    dotnet = TOKEN.replace("-", "\\u002D")
    step = {
        "name": "EntryExportAdd",
        "type": "Export",
        "status": "Failure",
        "description": "a\x1b[2J\n::error::forged " + TOKEN,
        "details": {"Body": json.dumps({"t": TOKEN}), "Form": TOKEN.replace("-", "%2D"), "Net": dotnet},
    }
    answer = {"provisioningSteps": [step], "statusInfo": {"status": "Failure", "errorCode": TOKEN, "reason": dotnet}}
    write(tmp_path)
    graph.add_principal(SP, {})
    graph.add_job(SP, JOB, "scim")
    graph.fault(200, method="POST", body=on_demand(answer))
    summary = tmp_path / "summary.md"
    result = run_cli(
        ["provision", "configs/app.toml", "--subject", USER, "--format", fmt],
        cwd=tmp_path,
        env={**env, "GITHUB_STEP_SUMMARY": str(summary)},
    )
    assert result.exit_code == 1, outputs(result)
    seen = outputs(result) + (summary.read_text() if summary.exists() else "")
    for spelling in (TOKEN, dotnet, TOKEN.replace("-", "%2D")):
        assert spelling not in seen
    assert "\x1b" not in seen and not any(line.startswith("::error::forged") for line in seen.splitlines())


# -- a saved plan and a job that moved -------------------------------------------------------------
JOB2 = JOB.replace("0a1b2c3d", "ffffffff")


@pytest.mark.parametrize("change", ["quarantined", "replaced", "started", "deleted"])
def test_a_saved_plan_is_stale_when_the_job_changed_since(tmp_path: Path, graph, env, change) -> None:
    write(tmp_path)
    graph.add_principal(SP, {})
    graph.add_job(SP, JOB, "scim", "Paused")
    saved = run_cli(["plan", "--save", "plan.json"], cwd=tmp_path, env=env)
    assert saved.exit_code == 0, outputs(saved)
    jobs = graph.jobs(SP)
    if change == "quarantined":
        jobs[JOB].status, jobs[JOB].quarantine = "Quarantine", {"reason": "TooManyDeletes"}
    elif change == "started":
        jobs[JOB].status, jobs[JOB].schedule = "Active", "Active"
    else:  # deleted in the portal (and created again, as it was)
        graph._principals[SP].jobs.clear()
        if change == "replaced":
            graph.add_job(SP, JOB2, "scim", "Paused")
    before = len(graph.journal)
    stale = run_cli(["apply", "--plan", "plan.json"], cwd=tmp_path, env=env)
    assert stale.exit_code == 2, outputs(stale)
    assert f"configs/app.toml: the synchronization job of {SP} changed" in stale.stderr
    assert {record.method for record in graph.journal[before:]} == {"GET"}


def test_a_created_job_that_never_shows_in_the_list_fails_the_target_in_time(tmp_path: Path, graph, env, clock) -> None:
    write(tmp_path)
    graph.add_principal(SP, {})
    graph.fault(200, method="GET", path="/jobs", body=b'{"value": []}', times=100)  # Graph never lists it
    result = run_cli(["apply", "--auto-approve", "--wait", "20"], cwd=tmp_path, env=env)
    assert result.exit_code == 4, outputs(result)
    assert "after 20 s Graph does not list it yet" in result.stdout
    assert sum(clock.sleeps) <= 20
    assert graph.calls(SP).count("POST jobs") == 1 and "PUT secrets" not in graph.calls(SP)
    assert len(graph.jobs(SP)) == 1  # made once, left disabled


def test_a_restart_fault_can_target_one_action(graph) -> None:
    from compiler.sandbox.faults import Fault

    fault = Fault(500, method="POST", path="/restart")
    assert fault.matches("POST", None, "/v1.0/servicePrincipals/x/synchronization/jobs/j/restart")
    assert not fault.matches("POST", None, "/v1.0/servicePrincipals/x/synchronization/jobs/j/start")


def many_jobs(template: str | None) -> bytes:
    jobs = [
        {
            "id": f"{template or f't{index}'}.{index:032x}.job",
            "templateId": template or f"t{index}-" + "x" * 200,
            "schedule": {"state": "Active"},
            "status": {"code": "Active"},
        }
        for index in range(3000)
    ]
    return json.dumps({"value": jobs}).encode()


@pytest.mark.parametrize(
    ("path", "body", "message"),
    [
        ("/jobs", many_jobs("scim"), "has several synchronization jobs"),
        ("/jobs", many_jobs(None), "syncsecrets never deletes a job"),
        (
            "/templates",
            json.dumps({"value": [{"id": f"t{index}-" + "x" * 200} for index in range(3000)]}).encode(),
            "offers",
        ),
    ],
)
def test_a_list_of_thousands_of_jobs_or_templates_makes_a_short_message(
    tmp_path: Path, graph, env, path, body, message
) -> None:
    write(tmp_path)
    graph.add_principal(SP, {})
    graph.fault(200, method="GET", path=path, body=body)
    if path == "/templates":
        graph.fault(200, method="GET", path="/jobs", body=b'{"value": []}')
    result = run_cli(["plan"], cwd=tmp_path, env=env)
    assert result.exit_code == 2, outputs(result)
    assert message in result.stderr and "(and 2990 more)" in result.stderr
    assert len(outputs(result)) < 10_000


REFUSAL_IN_A_200 = b'{"error": {"code": "JobBusy", "message": "the job cannot do that now"}}'


def test_a_restart_answered_200_with_an_error_fails_the_target(tmp_path: Path, graph, env) -> None:
    write(tmp_path)
    graph.add_principal(SP, {})
    graph.add_job(SP, JOB, "scim")
    graph.fault(200, method="POST", path="/restart", body=REFUSAL_IN_A_200)
    result = run_cli(["restart", "--scope", "quarantine", "--auto-approve"], cwd=tmp_path, env=env)
    assert result.exit_code == 4, outputs(result)
    assert "JobBusy: the job cannot do that now" in result.stdout


@pytest.mark.parametrize(("state", "status", "path"), [("active", "Paused", "/start"), ("paused", "Active", "/pause")])
def test_a_start_or_pause_answered_200_with_an_error_fails_the_target(
    tmp_path: Path, graph, env, state, status, path
) -> None:
    write(tmp_path, state)
    graph.add_principal(SP, {})
    graph.add_job(SP, JOB, "scim", status)
    graph.fault(200, method="POST", path=path, body=REFUSAL_IN_A_200)
    result = run_cli(["apply", "--auto-approve"], cwd=tmp_path, env=env)
    assert result.exit_code == 4, outputs(result)
    assert "JobBusy" in result.stdout


def test_a_restart_with_force_deletes_says_what_it_deletes_before_asking(
    tmp_path: Path, graph, env, monkeypatch
) -> None:
    monkeypatch.setattr("compiler.commands.apply.is_terminal", lambda: True)
    write(tmp_path)
    graph.add_principal(SP, {})
    graph.add_job(SP, JOB, "scim", "Quarantine", quarantine={"reason": "TooManyDeletes"})
    args = ["restart", "--scope", "force-deletes", "--force-deletes"]
    declined = run_cli(args, cwd=tmp_path, env=env, input="n\n")
    assert declined.exit_code == 0, outputs(declined)
    assert "deletes those objects, and that cannot be undone" in declined.stdout
    assert "Nothing was restarted." in declined.stderr and graph.calls(SP) == ["GET jobs"]
    done = run_cli([*args, "--auto-approve", "--format", "json"], cwd=tmp_path, env=env)
    assert done.exit_code == 0, outputs(done)
    assert "cannot be undone" in json.loads(done.stdout)["targets"][0]["warnings"][0]
    assert graph.jobs(SP)[JOB].restarts == ["ForceDeletes"]


@pytest.mark.parametrize("template", ["SCIM", " scim", "scim\n", "scim\x1b[2J"])
def test_a_job_whose_template_differs_in_case_or_spacing_is_never_replaced(
    tmp_path: Path, graph, env, template
) -> None:
    write(tmp_path)
    graph.add_principal(SP, {})
    graph.fault(200, method="GET", path="/jobs", body=job_list(templateId=template), times=2)
    for command in (["plan"], ["apply", "--auto-approve"]):
        result = run_cli(command, cwd=tmp_path, env=env)
        assert result.exit_code == 2, outputs(result)
        assert "syncsecrets never deletes a job" in result.stderr and "\x1b" not in outputs(result)
    assert {record.method for record in graph.journal} == {"GET"}


@pytest.mark.parametrize(
    ("args", "criteria"),
    [
        (["--scope", "full", "--scope", "quarantine"], {"resetScope": "Full, QuarantineState"}),
        (["--scope", "full,,Quarantine "], {"resetScope": "Full, QuarantineState"}),
    ],
)
def test_every_scope_given_counts(tmp_path: Path, graph, env, args, criteria) -> None:
    write(tmp_path)
    graph.add_principal(SP, {})
    graph.add_job(SP, JOB, "scim")
    result = run_cli(["restart", *args, "--auto-approve"], cwd=tmp_path, env=env)
    assert result.exit_code == 0, outputs(result)
    assert graph.journal[-1].body == {"criteria": criteria}


@pytest.mark.parametrize(
    "args",
    [
        ["--scope", "quarantine", "--scope", "force-deletes"],  # the last alone was checked before
        ["--scope", "force-deletes", "--scope", "portal", "--force-deletes"],
        [],
    ],
)
def test_a_repeated_scope_is_checked_whole(tmp_path: Path, graph, env, args) -> None:
    write(tmp_path)
    graph.add_principal(SP, {})
    graph.add_job(SP, JOB, "scim")
    result = run_cli(["restart", *args, "--auto-approve"], cwd=tmp_path, env=env)
    assert result.exit_code == 2, outputs(result)
    assert graph.journal == []
