"""The job as code against the loopback fake: plan and apply with [job], every row of the job
table, the order of requests (the fake's journal), refusals with nothing sent, the reports."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.helpers import run_cli
from tests.test_plan import SP, TOKEN

JOB = "scim.0a1b2c3d4e5f40718293a4b5c6d7e8f9.4c1e9a55-0c9e-4d1f-9b10-2f9f1c9e1b7a"
PROFILE = """base_address = "https://scim.contoso.example/v2"
secret_token = { env = "APP_TOKEN" }
sync_all = true

[application]
service_principal_id = "%s"

[job]
template_id = "scim"
%s"""


@pytest.fixture
def env(graph_env) -> dict[str, str]:
    return {**graph_env(), "APP_TOKEN": TOKEN}


def write(root: Path, state: str = "active", extra: str = "") -> Path:
    (root / "configs").mkdir(exist_ok=True)
    path = root / "configs" / "app.toml"
    path.write_text(PROFILE % (SP, f'state = "{state}"\n' + extra))
    return path


def outputs(result) -> str:
    return result.stdout + result.stderr


def job_action(result) -> dict:
    target = json.loads(result.stdout)["targets"][0]
    return next(action for action in target["actions"] if action["key"] == "job")


def test_one_apply_takes_a_principal_without_a_job_to_a_running_job(tmp_path: Path, graph, env) -> None:
    write(tmp_path)
    graph.add_principal(SP, {})
    result = run_cli(["apply", "--auto-approve", "--format", "json"], cwd=tmp_path, env=env)
    assert result.exit_code == 0, outputs(result)
    assert job_action(result) == {"key": "job", "action": "create", "old": None, "new": "active", "masked": False}
    (job,) = graph.jobs(SP).values()
    assert (job.template_id, job.schedule, job.status) == ("scim", "Active", "NotRun")
    assert graph.calls(SP) == ["GET secrets", "GET jobs", "POST jobs", "GET jobs", "PUT secrets", "GET secrets",
                               "POST start"]  # fmt: skip
    assert TOKEN not in outputs(result)
    again = run_cli(["plan", "--check", "--format", "json"], cwd=tmp_path, env=env)
    assert again.exit_code == 0, outputs(again)
    assert job_action(again)["action"] == "same" and job_action(again)["old"] == "NotRun"


# -- restart -------------------------------------------------------------------------------------
def test_restart_with_scopes_posts_graphs_criteria(tmp_path: Path, graph, env) -> None:
    write(tmp_path)
    graph.add_principal(SP, {})
    graph.add_job(SP, JOB, "scim", "Quarantine", quarantine={"reason": "TooManyDeletes"})
    result = run_cli(["restart", "--scope", "quarantine,watermark", "--auto-approve", "--format", "json"],
                     cwd=tmp_path, env=env)  # fmt: skip
    assert result.exit_code == 0, outputs(result)
    assert graph.calls(SP) == ["GET jobs", "POST restart"]
    assert graph.journal[-1].body == {"criteria": {"resetScope": "QuarantineState, Watermark"}}
    assert graph.jobs(SP)[JOB].quarantine is None


# -- provision -----------------------------------------------------------------------------------
def test_provision_shows_each_step(tmp_path: Path, graph, env) -> None:
    write(tmp_path)
    graph.add_principal(SP, {})
    graph.add_job(SP, JOB, "scim")
    result = run_cli(["provision", "configs/app.toml", "--subject", "9bb0f679-a883-4a6f-8260-35b491b8b8c8"],
                     cwd=tmp_path, env=env)  # fmt: skip
    assert result.exit_code == 0, outputs(result)
    print(result.stdout)


# -- import --from-tenant ------------------------------------------------------------------------
@pytest.mark.parametrize(("schedule", "state"), [("Active", "active"), ("Paused", "paused"), ("Disabled", "paused")])
def test_import_from_tenant_writes_the_only_job(tmp_path: Path, graph, env, schedule: str, state: str) -> None:
    graph.add_principal(SP, {"BaseAddress": "https://scim.contoso.example/v2", "SecretToken": "stored-token"})
    graph.add_job(SP, JOB, "scim", "Paused" if schedule == "Paused" else "Active", schedule=schedule)
    result = run_cli(["import", "--from-tenant", SP, "--name", "app"], cwd=tmp_path, env=env)
    assert result.exit_code == 0, outputs(result)
    text = (tmp_path / "configs" / "app.toml").read_text()
    assert f'[job]\ntemplate_id = "scim"\nstate = "{state}"\n' in text
    plan = run_cli(["plan", "--check", "--format", "json"], cwd=tmp_path, env={**env, "APP_SECRET_TOKEN": "x"})
    assert plan.exit_code == 0, outputs(plan)
    assert job_action(plan)["action"] == "same"


def test_import_from_tenant_writes_no_job_when_there_are_several(tmp_path: Path, graph, env) -> None:
    graph.add_principal(SP, {"BaseAddress": "https://scim.contoso.example/v2"})
    graph.add_job(SP, JOB, "scim")
    graph.add_job(SP, JOB.replace("0a1b", "ffff"), "scim")
    result = run_cli(["import", "--from-tenant", SP, "--name", "app"], cwd=tmp_path, env=env)
    assert result.exit_code == 0, outputs(result)
    assert "[job]" not in (tmp_path / "configs" / "app.toml").read_text()


# -- --api beta ----------------------------------------------------------------------------------
def test_api_beta_warns_once_that_the_secrets_api_is_deprecated_there(tmp_path: Path, graph, env) -> None:
    write(tmp_path)
    graph.add_principal(SP, {})
    graph.add_job(SP, JOB, "scim")
    result = run_cli(["plan", "--api", "beta"], cwd=tmp_path, env=env)
    assert result.exit_code == 0, outputs(result)
    assert outputs(result).count("deprecated in beta") == 1
    assert "2027-07-06" in result.stderr
    assert all(record.path.startswith("/beta/") for record in graph.journal)
    assert "deprecated" not in outputs(run_cli(["plan"], cwd=tmp_path, env=env))


# -- every row of the job table, through the command line ---------------------------------------
QUARANTINE = {"reason": "EncounteredQuarantineException", "currentBegan": "2026-01-05T08:00:00Z",
              "error": {"code": "SystemForCrossDomainIdentityManagementCredentialValidationUnavailable",
                        "message": "The credentials were refused."}}  # fmt: skip
READ, WRITE = ["GET secrets", "GET jobs"], ["PUT secrets", "GET secrets"]


@pytest.mark.parametrize(
    ("state", "job", "action", "old", "calls"),
    [
        ("paused", None, "create", None, [*READ, "POST jobs", "GET jobs", *WRITE]),
        ("active", {"status": "NotConfigured"}, "start", "NotConfigured", [*READ, *WRITE, "POST start"]),
        ("active", {"status": "Paused"}, "start", "Paused", [*READ, *WRITE, "POST start"]),
        ("paused", {"status": "Active"}, "pause", "Active", [*READ, "POST pause", *WRITE]),
        ("active", {"status": "Quarantine", "quarantine": QUARANTINE, "accepts": {"SecretToken": TOKEN}}, "heal",
         "Quarantine", [*READ, "POST validateCredentials", *WRITE, "POST restart"]),
        ("active", {"status": "Quarantine", "quarantine": {**QUARANTINE, "reason": "TooManyDeletes"}}, "quarantined",
         "Quarantine", [*READ, *WRITE]),
        ("active", {"status": "NotRun"}, "same", "NotRun", [*READ, *WRITE]),  # started: running, not started again
        ("paused", {"status": "Paused"}, "same", "Paused", [*READ, *WRITE]),
    ],
    ids=["create-paused", "start-new", "start-paused", "pause", "heal", "quarantined", "same-running", "same-paused"],
)  # fmt: skip
def test_every_row_of_the_job_table(tmp_path: Path, graph, env, state, job, action, old, calls) -> None:
    write(tmp_path, state)
    graph.add_principal(SP, {})
    if job is not None:
        graph.add_job(SP, JOB, "scim", **job)
    plan = run_cli(["plan", "--check", "--format", "json"], cwd=tmp_path, env=env)
    assert plan.exit_code == 1, outputs(plan)  # the secrets are to add in every row
    assert job_action(plan) == {"key": "job", "action": action, "old": old, "new": state, "masked": False}
    graph.journal.clear()
    result = run_cli(["apply", "--auto-approve", "--format", "json"], cwd=tmp_path, env=env)
    assert result.exit_code == 0, outputs(result)
    assert graph.calls(SP) == [*READ, *calls[2:]] if calls[:2] == READ else calls
    (found,) = graph.jobs(SP).values()
    running = found.schedule == "Active"
    assert running == (state == "active") or action == "quarantined"
    if action == "heal":
        assert found.restarts == ["QuarantineState"] and found.quarantine is None
        validated = next(record for record in graph.journal if record.path.endswith("/validateCredentials"))
        assert {pair["key"] for pair in validated.body["credentials"]} == {"BaseAddress", "SecretToken"}  # no SyncAll
    if action == "quarantined":
        assert found.quarantine is not None and found.restarts == []
        assert "TooManyDeletes" in result.stdout
    assert TOKEN not in outputs(plan) + outputs(result)


def test_a_quarantine_for_other_reasons_keeps_plan_check_red(tmp_path: Path, graph, env) -> None:
    write(tmp_path)
    graph.add_principal(SP, {"BaseAddress": "https://scim.contoso.example/v2", "SecretToken": TOKEN,
                             "SyncAll": "True"})  # fmt: skip
    graph.add_job(SP, JOB, "scim", "Quarantine", quarantine={**QUARANTINE, "reason": "EncounteredBaseEscrowThreshold"})
    result = run_cli(["plan", "--check"], cwd=tmp_path, env=env)
    assert result.exit_code == 1, outputs(result)
    assert "EncounteredBaseEscrowThreshold" in result.stdout and "syncsecrets restart" in result.stdout


def test_heal_refused_fails_the_target_and_sends_nothing(tmp_path: Path, graph, env) -> None:
    write(tmp_path)
    graph.add_principal(SP, {})
    graph.add_job(SP, JOB, "scim", "Quarantine", quarantine=QUARANTINE, accepts={"SecretToken": "another"})
    result = run_cli(["apply", "--auto-approve", "--format", "json"], cwd=tmp_path, env=env)
    assert result.exit_code == 4, outputs(result)
    assert graph.calls(SP) == [*READ, "POST validateCredentials"]
    assert graph.pairs(SP) == {} and graph.jobs(SP)[JOB].restarts == []
    assert "refused the credentials" in json.loads(result.stdout)["targets"][0]["error"]
    assert TOKEN not in outputs(result)


def test_jobs_of_another_template_are_exit_2_naming_both_before_anything_is_sent(tmp_path: Path, graph, env) -> None:
    write(tmp_path)
    graph.add_principal(SP, {}, templates=("scim", "aws"))
    graph.add_job(SP, "aws.0a1b2c3d4e5f40718293a4b5c6d7e8f9.4c1e9a55-0c9e-4d1f-9b10-2f9f1c9e1b7a", "aws")
    for command in (["plan"], ["apply", "--auto-approve"]):
        result = run_cli(command, cwd=tmp_path, env=env)
        assert result.exit_code == 2, outputs(result)
        assert "'scim'" in result.stderr and "'aws'" in result.stderr and "never deletes a job" in result.stderr
        assert "configs/app.toml" in result.stderr
    assert {record.method for record in graph.journal} == {"GET"}
    assert len(graph.jobs(SP)) == 1


def test_a_changed_only_apply_keeps_a_target_whose_job_must_start(tmp_path: Path, graph, env) -> None:
    write(tmp_path)
    graph.add_principal(SP, {"BaseAddress": "https://scim.contoso.example/v2", "SecretToken": "*",
                             "SyncAll": "True"})  # fmt: skip
    graph.add_job(SP, JOB, "scim", "Paused")
    result = run_cli(["apply", "--auto-approve", "--changed-only", "--format", "json"], cwd=tmp_path, env=env)
    assert result.exit_code == 0, outputs(result)
    assert graph.calls(SP)[-1] == "POST start" and graph.jobs(SP)[JOB].schedule == "Active"


def test_a_profile_without_job_sends_no_job_request(tmp_path: Path, graph, env) -> None:
    (tmp_path / "configs").mkdir()
    (tmp_path / "configs" / "app.toml").write_text(PROFILE.split("[job]")[0] % SP)
    graph.add_principal(SP, {})
    result = run_cli(["apply", "--auto-approve"], cwd=tmp_path, env=env)
    assert result.exit_code == 0, outputs(result)
    assert graph.calls(SP) == ["GET secrets", *WRITE]
