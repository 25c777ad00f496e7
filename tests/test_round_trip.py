"""validate, status and import --from-tenant against the loopback fakes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.helpers import run_cli
from tests.test_plan import SP, SP2, TOKEN, write_profile

JOB = "scim.0a1b2c3d4e5f4a6b8c9d.4c1e9a550c9e"
OTHER_JOB = "scim.ffffffffffff4a6b8c9d.000000000000"


@pytest.fixture
def env(graph_env) -> dict[str, str]:
    return {**graph_env(), "APP_TOKEN": TOKEN}


# -- validate ------------------------------------------------------------------------------------
def test_validate_sends_the_profile_pairs_and_reports_valid(tmp_path: Path, graph, env) -> None:
    write_profile(tmp_path)
    graph.add_principal(SP, {})
    graph.add_job(SP, JOB, "scim", accepts={"SecretToken": TOKEN})
    result = run_cli(["validate"], cwd=tmp_path, env=env)
    assert result.exit_code == 0, result.stdout + result.stderr
    assert result.stdout == (f"= configs/app.toml -> {SP}: valid (job {JOB})\nValidate: 1 service principal: 1 valid\n")
    posted = [record for record in graph.journal if record.method == "POST"]
    assert posted[0].path.endswith(f"/jobs/{JOB}/validateCredentials")
    assert posted[0].body["useSavedCredentials"] is False
    assert {"key": "SecretToken", "value": TOKEN} in posted[0].body["credentials"]
    # How the application is reached, and nothing else: SyncAll is a job setting, not a credential.
    assert [pair["key"] for pair in posted[0].body["credentials"]] == ["SecretToken", "BaseAddress"]
    assert graph.pairs(SP) == {}  # nothing stored
    assert TOKEN not in result.stdout + result.stderr


def test_invalid_credentials_are_exit_1_with_graphs_message(tmp_path: Path, graph, env) -> None:
    write_profile(tmp_path)
    graph.add_principal(SP, {})
    graph.add_job(SP, JOB, "scim", accepts={"SecretToken": "another-token"})
    result = run_cli(["validate", "--format", "json"], cwd=tmp_path, env=env)
    assert result.exit_code == 1
    target = json.loads(result.stdout)["targets"][0]
    assert target["status"] == "invalid" and target["job_id"] == JOB
    assert "SystemForCrossDomainIdentityManagementCredentialValidationUnavailable: We were unable" in target["error"]
    assert TOKEN not in result.stdout


def test_validate_saved_tests_the_tenants_credentials(tmp_path: Path, graph, env) -> None:
    write_profile(tmp_path)
    graph.add_principal(SP, {"SecretToken": "stored-token"})
    graph.add_job(SP, JOB, "scim", accepts={"SecretToken": "stored-token"})
    result = run_cli(["validate", "--saved"], cwd=tmp_path, env=env)
    assert result.exit_code == 0, result.stdout + result.stderr
    posted = next(record for record in graph.journal if record.method == "POST")
    assert posted.body == {"useSavedCredentials": True, "credentials": []}


def test_several_jobs_need_job_id(tmp_path: Path, graph, env) -> None:
    write_profile(tmp_path)
    graph.add_principal(SP, {})
    graph.add_job(SP, JOB, "scim")
    graph.add_job(SP, OTHER_JOB, "scim")
    result = run_cli(["validate"], cwd=tmp_path, env=env)
    assert result.exit_code == 2
    assert f"has several synchronization jobs ({JOB}, {OTHER_JOB}): name one in [application] job_id" in result.stderr
    (tmp_path / "configs" / "app.toml").write_text(
        (tmp_path / "configs" / "app.toml").read_text() + f'job_id = "{OTHER_JOB}"\n'
    )
    named = run_cli(["validate"], cwd=tmp_path, env=env)
    assert named.exit_code == 0, named.stdout + named.stderr
    assert f"valid (job {OTHER_JOB})" in named.stdout


def test_no_job_fails_the_target(tmp_path: Path, graph, env) -> None:
    write_profile(tmp_path)
    graph.add_principal(SP, {})
    result = run_cli(["validate"], cwd=tmp_path, env=env)
    assert result.exit_code == 4
    # Graph answered (no job): the message must not say "no answer", which means a connection failure.
    assert "  ! error: NoSynchronizationJob: the service principal has no synchronization job" in result.stdout


def test_apply_validate_sends_nothing_to_targets_that_fail(tmp_path: Path, graph, env) -> None:
    write_profile(tmp_path, "a")
    write_profile(tmp_path, "b", sp=SP2)
    graph.add_principal(SP, {})
    graph.add_principal(SP2, {})
    graph.add_job(SP, JOB, "scim")
    graph.add_job(SP2, JOB, "scim", accepts={"SecretToken": "another-token"})
    result = run_cli(["apply", "--auto-approve", "--validate"], cwd=tmp_path, env=env)
    assert result.exit_code == 1, result.stdout + result.stderr
    assert len(graph.puts(SP)) == 1 and graph.puts(SP2) == []
    assert f"x configs/b.toml -> {SP2}: invalid (job {JOB})" in result.stdout
    assert result.stdout.endswith("Apply: 2 service principals: 1 applied, 1 invalid (not sent)\n")


# -- status --------------------------------------------------------------------------------------
@pytest.mark.parametrize(("state", "exit_code"), [("Active", 0), ("Paused", 0), ("Quarantine", 1), ("NotRun", 0)])
def test_status_shows_the_jobs_and_gates_on_quarantine(tmp_path: Path, graph, env, state: str, exit_code: int) -> None:
    write_profile(tmp_path)
    graph.add_principal(SP, {})
    graph.add_job(SP, JOB, "scim", status=state)
    result = run_cli(["status"], cwd=tmp_path, env=env)
    assert result.exit_code == exit_code, result.stdout + result.stderr
    expected = {"Active": "active", "Paused": "paused", "Quarantine": "quarantined", "NotRun": "not-run"}[state]
    assert f"configs/app.toml -> {SP}: {expected}" in result.stdout
    assert f"  job {JOB} (scim): {state}" in result.stdout
    as_json = json.loads(run_cli(["status", "--format", "json"], cwd=tmp_path, env=env).stdout)
    assert as_json["targets"][0]["jobs"][0]["state"] == expected


def test_status_of_a_failed_last_run_and_a_quarantine_reason() -> None:
    from compiler.graph.planning import FAILING, QUARANTINED
    from compiler.graph.status import job_lines, job_summary

    failing = job_summary(
        {
            "id": JOB,
            "templateId": "scim",
            "status": {
                "code": "Active",
                "lastExecution": {
                    "state": "Failed",
                    "timeEnded": "2026-11-27T10:00:00Z",
                    "error": {
                        "code": "SystemForCrossDomainIdentityManagementUnauthorized",
                        "message": "401 from the app",
                    },
                },
            },
        }
    )
    assert failing["state"] == FAILING
    assert job_lines(failing)[1] == (
        "  last run: Failed at 2026-11-27T10:00:00Z: "
        "SystemForCrossDomainIdentityManagementUnauthorized: 401 from the app"
    )
    quarantined = job_summary(
        {
            "id": JOB,
            "templateId": "scim",
            "status": {
                "code": "Quarantine",
                "quarantine": {
                    "reason": "IncorrectCredentials",
                    "currentBegan": "2026-11-26T00:00:00Z",
                    "nextAttempt": "2026-11-28T00:00:00Z",
                },
            },
        }
    )
    assert quarantined["state"] == QUARANTINED
    assert job_lines(quarantined)[1] == (
        "  quarantined since 2026-11-26T00:00:00Z: IncorrectCredentials; next attempt 2026-11-28T00:00:00Z"
    )


@pytest.mark.parametrize(
    ("status", "last_run", "shown", "exit_code"),
    [
        ("Active", "Succeeded", "active", 0),
        ("Active", "Failed", "failing", 1),
        ("Active", "failed", "failing", 1),  # Graph's enums are compared case-insensitively
        ("Paused", "Failed", "failing", 1),  # a failed run gates even on a paused job
        ("Quarantine", "Failed", "quarantined", 1),
        ("Paused", "Succeeded", "paused", 0),
    ],
)
def test_status_gates_on_a_failed_last_run(
    tmp_path: Path, graph, env, status: str, last_run: str, shown: str, exit_code: int
) -> None:
    write_profile(tmp_path)
    graph.add_principal(SP, {})
    graph.add_job(SP, JOB, "scim", status=status, last_execution={"state": last_run})
    result = run_cli(["status", "--format", "json"], cwd=tmp_path, env=env)
    assert result.exit_code == exit_code, result.stdout + result.stderr
    target = json.loads(result.stdout)["targets"][0]
    assert (target["status"], target["jobs"][0]["state"]) == (shown, shown)


@pytest.mark.parametrize(
    ("status", "schedule", "last_run", "quarantine", "state"),
    [
        ("Active", "Active", None, None, "active"),
        ("Active", "Active", "Succeeded", None, "active"),
        ("Paused", "Active", None, None, "paused"),
        ("Active", "Paused", None, None, "paused"),  # paused by its schedule
        ("NotRun", "Active", None, None, "not-run"),
        ("NotConfigured", "Active", None, None, "not-run"),
        ("Quarantine", "Active", None, None, "quarantined"),
        ("Active", "Active", None, {"reason": "Unknown"}, "quarantined"),  # a quarantine whatever the code
        ("Active", "Active", "FAILED", None, "failing"),
        ("Paused", "Paused", "Failed", None, "failing"),
        ("Quarantine", "Active", "Failed", {"reason": "Unknown"}, "quarantined"),
        ("Unknown", None, None, None, "active"),  # a code Graph adds later: not a failure
    ],
)
def test_a_jobs_state_is_its_worst_condition(status, schedule, last_run, quarantine, state) -> None:
    from compiler.graph.status import job_lines, job_summary

    job = {"id": JOB, "templateId": "scim", "status": {"code": status, "quarantine": quarantine}}
    if schedule is not None:
        job["schedule"] = {"state": schedule, "interval": "PT40M"}
    if last_run is not None:
        job["status"]["lastExecution"] = {"state": last_run}
    summary = job_summary(job)
    assert summary["state"] == state
    every = f"; schedule {schedule}, every 40 minutes" if schedule else ""  # no schedule: nothing said of it
    assert job_lines(summary)[0] == f"job {JOB} (scim): {status}{every}"


@pytest.mark.parametrize(
    ("jobs", "job_id", "shown", "exit_code"),
    [
        # A target takes the state of its worst job: quarantined, failing, paused, not-run, active.
        ([("Active", None), ("Paused", None)], None, "paused", 0),
        ([("NotRun", None), ("Paused", None)], None, "paused", 0),
        ([("Active", None), ("NotRun", None)], None, "not-run", 0),
        ([("Paused", "Failed"), ("Quarantine", None)], None, "quarantined", 1),
        ([("Quarantine", None), ("Active", "Failed")], None, "quarantined", 1),
        ([("Active", "Failed"), ("Paused", None)], None, "failing", 1),
        # job_id names the one job that counts.
        ([("Active", None), ("Quarantine", None)], JOB, "active", 0),
        ([("Active", None), ("Quarantine", None)], OTHER_JOB, "quarantined", 1),
        ([("Active", None)], OTHER_JOB, "no-job", 0),
    ],
)
def test_status_of_a_target_with_several_jobs(
    tmp_path: Path, graph, env, jobs: list, job_id: str | None, shown: str, exit_code: int
) -> None:
    write_profile(tmp_path, application=f'job_id = "{job_id}"\n' if job_id else "")
    graph.add_principal(SP, {})
    for job, (status, last_run) in zip((JOB, OTHER_JOB), jobs, strict=False):
        graph.add_job(SP, job, "scim", status=status, last_execution={"state": last_run} if last_run else None)
    result = run_cli(["status", "--format", "json"], cwd=tmp_path, env=env)
    assert result.exit_code == exit_code, result.stdout + result.stderr
    target = json.loads(result.stdout)["targets"][0]
    assert target["status"] == shown
    if shown == "no-job":
        assert target["jobs"] == []
        assert run_cli(["status"], cwd=tmp_path, env=env).stdout.splitlines()[1] == f"  no job {job_id}"
    else:
        assert [job["id"] for job in target["jobs"]] == ([job_id] if job_id else [JOB, OTHER_JOB][: len(jobs)])


@pytest.mark.parametrize(
    ("status", "lines"),
    [
        # What Graph leaves out is left out of the lines, not shown empty.
        ({}, [f"job {JOB} (scim): no status"]),
        (
            {"code": "Active", "lastExecution": {"state": "Succeeded"}},
            [f"job {JOB} (scim): Active", "  last run: Succeeded"],
        ),
        (
            {"code": "Active", "lastExecution": {"state": "Failed", "error": {}}},
            [f"job {JOB} (scim): Active", "  last run: Failed"],
        ),
        (
            {"code": "Quarantine", "quarantine": {"error": {"message": "refused"}}},
            [f"job {JOB} (scim): Quarantine", "  quarantined: reason not given", "  refused"],
        ),
        (
            {"code": "Quarantine", "quarantine": {"reason": "Unknown", "nextAttempt": "2026-11-28T00:00:00Z"}},
            [f"job {JOB} (scim): Quarantine", "  quarantined: Unknown; next attempt 2026-11-28T00:00:00Z"],
        ),
    ],
)
def test_the_lines_of_a_job_that_graph_describes_sparsely(status: dict, lines: list[str]) -> None:
    from compiler.graph.status import job_lines, job_summary

    summary = job_summary({"id": JOB, "templateId": "scim", "status": status, "schedule": {}})
    assert job_lines(summary) == lines
    assert summary["last_error"] is None and summary["quarantined_since"] is None


def test_status_of_a_target_whose_jobs_cannot_be_read_is_exit_4(tmp_path: Path, graph, env) -> None:
    write_profile(tmp_path)
    graph.add_principal(SP, {})
    graph.add_job(SP, JOB, "scim")
    graph.fault(403, method="GET")
    result = run_cli(["status", "--format", "json"], cwd=tmp_path, env=env)
    assert result.exit_code == 4, result.stdout + result.stderr
    target = json.loads(result.stdout)["targets"][0]
    assert target["status"] == "failed"
    assert target["error"].startswith("HTTP 403: "), target["error"]


def test_status_without_jobs(tmp_path: Path, graph, env) -> None:
    write_profile(tmp_path)
    graph.add_principal(SP, {})
    result = run_cli(["status"], cwd=tmp_path, env=env)
    assert result.exit_code == 0
    assert result.stdout.splitlines()[1] == "  no synchronization job (provisioning is not set up)"


# -- import --from-tenant ------------------------------------------------------------------------
def test_import_from_tenant_writes_a_profile_that_plans_in_sync(tmp_path: Path, graph, env) -> None:
    graph.add_principal(
        SP,
        {
            "BaseAddress": "https://lms.tailspin.example/scim/v2",
            "SecretToken": "stored-token",
            "SyncAll": "false",
            "SyncNotificationSettings": '{"Enabled":true,"Recipients":"lms@contoso.example","DeleteThresholdEnabled":true,'
            '"DeleteThresholdValue":300}',
        },
    )
    result = run_cli(["import", "--from-tenant", SP, "--name", "tailspin-lms"], cwd=tmp_path, env=env)
    assert result.exit_code == 0, result.stdout + result.stderr
    text = (tmp_path / "configs" / "tailspin-lms.toml").read_text()
    assert 'secret_token = { env = "TAILSPIN_LMS_SECRET_TOKEN" }' in text
    assert f'service_principal_id = "{SP}"' in text
    assert 'tenant_id = "11111111-1111-4111-8111-111111111111"' in text
    assert "stored-token" not in text + result.stdout + result.stderr
    assert "TAILSPIN_LMS_SECRET_TOKEN" in result.stdout
    plan = run_cli(["plan", "--check"], cwd=tmp_path, env={**env, "TAILSPIN_LMS_SECRET_TOKEN": "anything"})
    assert plan.exit_code == 0, plan.stdout + plan.stderr
    again = run_cli(["import", "--from-tenant", SP, "--name", "tailspin-lms"], cwd=tmp_path, env=env)
    assert again.exit_code == 2 and "exists already: pass --force" in again.stderr


def test_import_from_tenant_needs_a_name_and_a_guid(tmp_path: Path, graph, env) -> None:
    assert run_cli(["import", "--from-tenant", SP], cwd=tmp_path, env=env).exit_code == 2
    bad = run_cli(["import", "--from-tenant", "not-a-guid", "--name", "x"], cwd=tmp_path, env=env)
    assert bad.exit_code == 2 and "must be a GUID" in bad.stderr
    assert graph.journal == []


def test_import_from_an_unknown_service_principal_is_exit_4(tmp_path: Path, graph, env) -> None:
    result = run_cli(["import", "--from-tenant", SP, "--name", "x"], cwd=tmp_path, env=env)
    assert result.exit_code == 4 and "HTTP 404: Request_ResourceNotFound" in result.stderr
    assert not (tmp_path / "configs").exists()


def test_status_and_validate_saved_need_no_secret(tmp_path: Path, graph, graph_env) -> None:
    env = graph_env()  # APP_TOKEN is not set: the profile's reference stays unresolved
    write_profile(tmp_path)
    graph.add_principal(SP, {"SecretToken": "stored"})
    graph.add_job(SP, JOB, "scim", accepts={"SecretToken": "stored"})
    assert run_cli(["status"], cwd=tmp_path, env=env).exit_code == 0
    assert run_cli(["validate", "--saved"], cwd=tmp_path, env=env).exit_code == 0
    needs = run_cli(["validate"], cwd=tmp_path, env=env)
    assert needs.exit_code == 2 and "APP_TOKEN is not set" in needs.stderr


def test_status_reads_the_last_run_and_the_quarantine_from_graph(tmp_path: Path, graph, env) -> None:
    write_profile(tmp_path, "a")
    write_profile(tmp_path, "b", sp=SP2)
    graph.add_principal(SP, {})
    graph.add_principal(SP2, {})
    graph.add_job(
        SP,
        JOB,
        "scim",
        status="Quarantine",
        quarantine={
            "reason": "IncorrectCredentials",
            "currentBegan": "2026-11-26T00:00:00Z",
            "nextAttempt": "2026-11-28T00:00:00Z",
            "error": {
                "code": "SystemForCrossDomainIdentityManagementUnauthorized",
                "message": "The token was refused.",
            },
        },
    )
    graph.add_job(
        SP2,
        JOB,
        "scim",
        status="Active",
        last_execution={
            "state": "Failed",
            "timeEnded": "2026-11-27T09:00:00Z",
            "error": {
                "code": "SystemForCrossDomainIdentityManagementServiceIncompatible",
                "message": "HTTP 500 from the app",
            },
        },
    )
    result = run_cli(["status"], cwd=tmp_path, env=env)
    assert result.exit_code == 1, result.stdout + result.stderr
    assert (
        f"x configs/a.toml -> {SP}: quarantined\n"
        f"  job {JOB} (scim): Quarantine; schedule Active, every 40 minutes\n"
        "    quarantined since 2026-11-26T00:00:00Z: IncorrectCredentials; next attempt 2026-11-28T00:00:00Z\n"
        "    SystemForCrossDomainIdentityManagementUnauthorized: The token was refused.\n"
    ) in result.stdout
    assert (
        f"x configs/b.toml -> {SP2}: failing\n"
        f"  job {JOB} (scim): Active; schedule Active, every 40 minutes\n"
        "    last run: Failed at 2026-11-27T09:00:00Z: SystemForCrossDomainIdentityManagementServiceIncompatible: "
        "HTTP 500 from the app\n"
    ) in result.stdout
    assert result.stdout.endswith("Status: 2 service principals: 1 quarantined, 1 failing\n")
    quiet = run_cli(["status", "--quiet", "--format", "json"], cwd=tmp_path, env=env)
    jobs = {target["profile"]: target["jobs"][0] for target in json.loads(quiet.stdout)["targets"]}
    assert jobs["configs/a.toml"]["quarantine_reason"] == "IncorrectCredentials"
    assert jobs["configs/b.toml"]["last_run"] == "Failed"
