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
    assert graph.calls(SP) == [
        "GET secrets",
        "GET jobs",
        "GET templates",
        "POST jobs",
        "GET jobs",
        "POST validateCredentials",
        "PUT secrets",
        "GET secrets",
        "POST start",
    ]
    assert TOKEN not in outputs(result)
    again = run_cli(["plan", "--check", "--format", "json"], cwd=tmp_path, env=env)
    assert again.exit_code == 0, outputs(again)
    assert job_action(again)["action"] == "same" and job_action(again)["old"] == "NotRun"


# -- restart -------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("scope", "extra", "criteria"),
    [
        ("portal", [], {}),
        ("quarantine,watermark", [], {"resetScope": "QuarantineState, Watermark"}),
        ("Full", [], {"resetScope": "Full"}),
        ("escrows,force-deletes", ["--force-deletes"], {"resetScope": "Escrows, ForceDeletes"}),
    ],
)
def test_restart_posts_graphs_criteria(tmp_path: Path, graph, env, scope, extra, criteria) -> None:
    write(tmp_path)
    graph.add_principal(SP, {})
    graph.add_job(SP, JOB, "scim", "Quarantine", quarantine={**QUARANTINE, "reason": "TooManyDeletes"})
    result = run_cli(["restart", "--scope", scope, *extra, "--auto-approve", "--format", "json"], cwd=tmp_path, env=env)
    assert result.exit_code == 0, outputs(result)
    assert graph.calls(SP) == ["GET jobs", "POST restart"]
    assert graph.journal[-1].body == {"criteria": criteria}
    target = json.loads(result.stdout)["targets"][0]
    assert target["status"] == "restarted" and target["job_id"] == JOB
    assert target["actions"][0]["key"] == "job" and target["actions"][0]["action"] == "restart"
    assert (graph.jobs(SP)[JOB].quarantine is None) == (
        criteria.get("resetScope", "QuarantineState") != "Escrows, ForceDeletes"
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--scope", "force-deletes", "--auto-approve"], "add --force-deletes to mean it"),
        (["--scope", "quarantin", "--auto-approve"], "did you mean quarantine?"),
        (["--scope", "portal,full", "--auto-approve"], "portal alone"),
        (["--scope", ",", "--auto-approve"], "portal alone"),
        (["--scope", "full"], "needs a terminal to ask for confirmation, or --auto-approve"),
    ],
)
def test_restart_refuses_bad_input_with_nothing_sent(tmp_path: Path, graph, env, args, message) -> None:
    write(tmp_path)
    graph.add_principal(SP, {})
    graph.add_job(SP, JOB, "scim")
    result = run_cli(["restart", *args], cwd=tmp_path, env=env)
    assert result.exit_code == 2, outputs(result)
    assert message in result.stderr
    assert graph.journal == []


def test_restart_shows_what_it_will_restart_and_asks(tmp_path: Path, graph, env, monkeypatch) -> None:
    monkeypatch.setattr("compiler.commands.apply.is_terminal", lambda: True)
    write(tmp_path)
    graph.add_principal(SP, {})
    graph.add_job(SP, JOB, "scim", "Quarantine", quarantine={**QUARANTINE, "reason": "TooManyDeletes"})
    declined = run_cli(["restart", "--scope", "quarantine"], cwd=tmp_path, env=env, input="n\n")
    assert declined.exit_code == 0, outputs(declined)
    shown = '  ~ job: "Quarantine" -> "QuarantineState"  (the reset scope, not a state: restart clears it'
    assert shown in declined.stdout and "Restart the jobs of 1 service principal? [y/N]" in declined.stderr
    assert "Nothing was restarted." in declined.stderr
    assert graph.calls(SP) == ["GET jobs"]
    accepted = run_cli(["restart", "--scope", "quarantine"], cwd=tmp_path, env=env, input="y\n")
    assert accepted.exit_code == 0, outputs(accepted)
    assert graph.calls(SP)[-1] == "POST restart"


def test_restart_without_a_job_fails_the_target(tmp_path: Path, graph, env) -> None:
    write(tmp_path)
    graph.add_principal(SP, {})
    result = run_cli(["restart", "--scope", "portal", "--auto-approve"], cwd=tmp_path, env=env)
    assert result.exit_code == 4, outputs(result)
    assert "no synchronization job" in result.stdout
    assert graph.calls(SP) == ["GET jobs"]


def test_the_fake_refuses_a_reset_scope_graph_does_not_know(graph) -> None:
    from compiler.sandbox.jobs import restart_scopes

    assert (
        restart_scopes({"criteria": {"resetScope": "Watermark, Bogus"}})[1] == "Requested value 'Bogus' was not found."
    )
    assert restart_scopes({"criteria": {}}) == ([], None)


# -- provision -----------------------------------------------------------------------------------
USER = "9bb0f679-a883-4a6f-8260-35b491b8b8c8"
RULE = "03f7d90d-bf71-41b1-bda6-aaf0ddbee5d8"


def test_provision_uses_the_schemas_rule_and_shows_each_step(tmp_path: Path, graph, env) -> None:
    write(tmp_path)
    graph.add_principal(SP, {})
    graph.add_job(SP, JOB, "scim")
    result = run_cli(["provision", "configs/app.toml", "--subject", USER], cwd=tmp_path, env=env)
    assert result.exit_code == 0, outputs(result)
    assert graph.calls(SP) == ["GET jobs", "GET schema", "POST provisionOnDemand"]
    assert graph.journal[-1].body == {
        "parameters": [{"ruleId": RULE, "subjects": [{"objectId": USER, "objectTypeName": "User"}]}]
    }
    for step in ("Import", "Scoping", "Matching", "Export"):
        assert f"Success  {step}: " in result.stdout
    assert "1 provisioned" in result.stdout
    assert TOKEN not in outputs(result)


def test_provision_names_the_step_that_failed_and_why(tmp_path: Path, graph, env) -> None:
    from compiler.sandbox.jobs import OnDemand

    write(tmp_path)
    graph.add_principal(SP, {})
    graph.add_job(SP, JOB, "scim")
    graph.outcomes[USER] = OnDemand(failed_step="Matching", error_code="SCIMDuplicate", reason="Two users match.")
    result = run_cli(["provision", "configs/app.toml", "--subject", USER, "--format", "json"], cwd=tmp_path, env=env)
    assert result.exit_code == 1, outputs(result)
    (subject,) = json.loads(result.stdout)["targets"][0]["subjects"]
    assert subject["failed"] is True and subject["failed_step"] == "EntryImportByMatchingAttributes"
    assert subject["error"] == "SCIMDuplicate: Two users match."
    assert [step["status"] for step in subject["steps"]] == ["Success", "Success", "Failure"]
    text = run_cli(["provision", "configs/app.toml", "--subject", USER], cwd=tmp_path, env=env)
    assert text.exit_code == 1
    assert "failed at step EntryImportByMatchingAttributes (Matching): SCIMDuplicate: Two users match." in text.stdout


def test_provision_with_several_rules_for_the_type_is_exit_2_listing_them(tmp_path: Path, graph, env) -> None:
    from compiler.sandbox.schemas import template_schema as default_schema

    write(tmp_path)
    graph.add_principal(SP, {})
    graph.add_job(SP, JOB, "scim")
    schema = default_schema("scim")
    schema["synchronizationRules"].append({**schema["synchronizationRules"][0], "id": "second-rule", "name": "USER_2"})
    graph.jobs(SP)[JOB].schema = schema
    result = run_cli(["provision", "configs/app.toml", "--subject", USER], cwd=tmp_path, env=env)
    assert result.exit_code == 2, outputs(result)
    assert f"{RULE} (USER_OUTBOUND_USER)" in result.stderr and "second-rule (USER_2)" in result.stderr
    assert "--rule" in result.stderr
    assert {record.method for record in graph.journal} == {"GET"}
    given = run_cli(
        ["provision", "configs/app.toml", "--subject", USER, "--rule", "second-rule"], cwd=tmp_path, env=env
    )
    assert given.exit_code == 0, outputs(given)
    assert graph.journal[-1].body["parameters"][0]["ruleId"] == "second-rule"


def test_provision_paces_itself_to_five_requests_in_ten_seconds(tmp_path: Path, graph, env, clock) -> None:
    write(tmp_path)  # the client, its pacing and the fake Graph's limit all run on `clock`
    graph.add_principal(SP, {})
    graph.add_job(SP, JOB, "scim")
    subjects = [f"9bb0f679-a883-4a6f-8260-35b491b8b8{index:02d}" for index in range(7)]
    args = [word for subject in subjects for word in ("--subject", subject)]
    result = run_cli(["provision", "configs/app.toml", *args, "--rule", RULE], cwd=tmp_path, env=env)
    assert result.exit_code == 0, outputs(result)
    assert graph.calls(SP).count("POST provisionOnDemand") == 7
    assert all(record.status == 200 for record in graph.journal if record.method == "POST")  # never a 429
    assert clock.sleeps == [10.0]  # the sixth waits for the first to leave the window; the seventh goes with it


def test_provision_waits_out_graphs_429(tmp_path: Path, graph, env) -> None:
    write(tmp_path)
    graph.add_principal(SP, {})
    graph.add_job(SP, JOB, "scim")
    graph.fault(429, method="POST", retry_after=0)  # another run used up the window
    result = run_cli(["provision", "configs/app.toml", "--subject", USER, "--rule", RULE], cwd=tmp_path, env=env)
    assert result.exit_code == 0, outputs(result)
    assert [record.status for record in graph.journal if record.method == "POST"] == [429, 200]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["configs/app.toml", "--subject", USER, "--type", "Device"], "--type: must be User or Group"),
        (["configs/app.toml", "--subject", " "], "--subject: must be an object id"),
        (["configs", "--subject", USER], "provision takes one profile"),
    ],
)
def test_provision_refuses_bad_input_with_nothing_sent(tmp_path: Path, graph, env, args, message) -> None:
    write(tmp_path)
    (tmp_path / "configs" / "other.toml").write_text(PROFILE % ("6b3f9d2e-8a71-4c55-b0e4-19d2c7a8f310", ""))
    graph.add_principal(SP, {})
    graph.add_job(SP, JOB, "scim")
    result = run_cli(["provision", *args], cwd=tmp_path, env=env)
    assert result.exit_code == 2, outputs(result)
    assert message in result.stderr
    assert graph.journal == []


def test_provision_without_a_job_is_exit_4(tmp_path: Path, graph, env) -> None:
    write(tmp_path)
    graph.add_principal(SP, {})
    result = run_cli(["provision", "configs/app.toml", "--subject", USER], cwd=tmp_path, env=env)
    assert result.exit_code == 4, outputs(result)
    assert "no synchronization job" in result.stdout


# -- import --from-tenant ------------------------------------------------------------------------
@pytest.mark.parametrize(("schedule", "state"), [("Active", "active"), ("Paused", "paused"), ("Disabled", "paused")])
def test_import_from_tenant_writes_the_only_job(tmp_path: Path, graph, env, schedule: str, state: str) -> None:
    graph.add_principal(SP, {"BaseAddress": "https://scim.contoso.example/v2", "SecretToken": "stored-token"})
    graph.add_job(SP, JOB, "scim", "Paused" if schedule == "Paused" else "Active", schedule=schedule)
    result = run_cli(["import", "--from-tenant", SP, "--name", "app"], cwd=tmp_path, env=env)
    assert result.exit_code == 0, outputs(result)
    text = (tmp_path / "configs" / "app.toml").read_text()
    assert f'[job]\ntemplate_id = "scim"\nstate = "{state}"\n' in text
    plan = run_cli(
        ["plan", "--check", "--format", "json"], cwd=tmp_path, env={**env, "APP_SECRET_TOKEN": "a-long-enough-secret"}
    )
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
QUARANTINE = {
    "reason": "EncounteredQuarantineException",
    "currentBegan": "2026-01-05T08:00:00Z",
    "error": {
        "code": "SystemForCrossDomainIdentityManagementCredentialValidationUnavailable",
        "message": "The credentials were refused.",
    },
}
READ, WRITE = ["GET secrets", "GET jobs"], ["PUT secrets", "GET secrets"]


@pytest.mark.parametrize(
    ("state", "job", "action", "old", "calls"),
    [
        (
            "paused",
            None,
            "create",
            None,
            [*READ, "GET templates", "POST jobs", "GET jobs", "POST validateCredentials", *WRITE],
        ),
        ("active", {"status": "NotConfigured"}, "start", "NotConfigured", [*READ, *WRITE, "POST start"]),
        ("active", {"status": "Paused"}, "start", "Paused", [*READ, *WRITE, "POST start"]),
        ("paused", {"status": "Active"}, "pause", "Active", [*READ, "POST pause", *WRITE]),
        (
            "active",
            {"status": "Quarantine", "quarantine": QUARANTINE, "accepts": {"SecretToken": TOKEN}},
            "heal",
            "Quarantine",
            [*READ, "POST validateCredentials", *WRITE, "POST restart"],
        ),
        (
            "active",
            {"status": "Quarantine", "quarantine": {**QUARANTINE, "reason": "TooManyDeletes"}},
            "quarantined",
            "Quarantine",
            [*READ, *WRITE],
        ),
        ("active", {"status": "NotRun"}, "same", "NotRun", [*READ, *WRITE]),  # started: running, not started again
        ("paused", {"status": "Paused"}, "same", "Paused", [*READ, *WRITE]),
    ],
    ids=["create-paused", "start-new", "start-paused", "pause", "heal", "quarantined", "same-running", "same-paused"],
)
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
    graph.add_principal(SP, {"BaseAddress": "https://scim.contoso.example/v2", "SecretToken": TOKEN, "SyncAll": "True"})
    graph.add_job(SP, JOB, "scim", "Quarantine", quarantine={**QUARANTINE, "reason": "EncounteredBaseEscrowThreshold"})
    result = run_cli(["plan", "--check"], cwd=tmp_path, env=env)
    assert result.exit_code == 1, outputs(result)
    assert "EncounteredBaseEscrowThreshold" in result.stdout and "syncsecrets restart" in result.stdout


def test_a_new_job_whose_credentials_are_refused_stays_disabled_with_nothing_sent(tmp_path: Path, graph, env) -> None:
    write(tmp_path)
    graph.add_principal(SP, {})
    graph.new_job_accepts = {"SecretToken": "another"}  # the application refuses the profile's token
    result = run_cli(["apply", "--auto-approve", "--format", "json"], cwd=tmp_path, env=env)
    assert result.exit_code == 4, outputs(result)
    assert graph.calls(SP) == [*READ, "GET templates", "POST jobs", "GET jobs", "POST validateCredentials"]
    (job,) = graph.jobs(SP).values()
    assert job.schedule == "Disabled" and graph.pairs(SP) == {}
    assert "the new job stays disabled" in json.loads(result.stdout)["targets"][0]["error"]


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


def test_a_template_the_application_does_not_offer_is_exit_2_before_anything_is_sent(
    tmp_path: Path, graph, env
) -> None:
    write(tmp_path)
    graph.add_principal(SP, {}, templates=("Slack", "aws"))
    result = run_cli(["apply", "--auto-approve"], cwd=tmp_path, env=env)
    assert result.exit_code == 2, outputs(result)
    assert "template_id is 'scim'" in result.stderr and "offers 'Slack', 'aws'" in result.stderr
    assert {record.method for record in graph.journal} == {"GET"} and graph.jobs(SP) == {}


def test_a_changed_only_apply_keeps_a_target_whose_job_must_start(tmp_path: Path, graph, env) -> None:
    write(tmp_path)
    graph.add_principal(SP, {"BaseAddress": "https://scim.contoso.example/v2", "SecretToken": "*", "SyncAll": "True"})
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


def test_validate_sends_only_the_connectivity_keys(tmp_path: Path, graph, env) -> None:
    write(tmp_path)  # sync_all = true is a job setting
    graph.add_principal(SP, {})
    graph.add_job(SP, JOB, "scim", accepts={"SecretToken": TOKEN})
    result = run_cli(["validate"], cwd=tmp_path, env=env)
    assert result.exit_code == 0, outputs(result)
    (posted,) = [record for record in graph.journal if record.method == "POST"]
    assert [pair["key"] for pair in posted.body["credentials"]] == ["SecretToken", "BaseAddress"]


# -- the reports: text, json (against the report schema), github; no secret in any ---------------
def test_the_job_in_every_report_format(tmp_path: Path, graph, env) -> None:
    from tests.test_report_schema import valid

    write(tmp_path)
    graph.add_principal(SP, {"BaseAddress": "https://scim.contoso.example/v2", "SecretToken": "*", "SyncAll": "True"})
    graph.add_job(SP, JOB, "scim", "Paused")
    text = run_cli(["plan"], cwd=tmp_path, env=env)
    assert text.exit_code == 0, outputs(text)
    assert f"~ configs/app.toml -> {SP} (job: start)" in text.stdout
    assert '  > job: "Paused" -> "active"  (apply starts it after the secrets)' in text.stdout
    document = valid(run_cli(["plan", "--format", "json"], cwd=tmp_path, env=env).stdout)
    job = {"key": "job", "action": "start", "old": "Paused", "new": "active", "masked": False}
    assert job in document["targets"][0]["actions"]
    github = run_cli(["plan", "--check", "--format", "github"], cwd=tmp_path, env=env)
    assert github.exit_code == 1
    assert "::error file=configs/app.toml" in github.stdout and 'job: "Paused" -> "active"' in github.stdout
    applied = run_cli(["apply", "--auto-approve"], cwd=tmp_path, env=env)
    assert applied.exit_code == 0, outputs(applied)
    assert f"~ configs/app.toml -> {SP}: applied" in applied.stdout and '> job: "Paused" -> "active"' in applied.stdout
    for result in (text, github, applied):
        assert TOKEN not in outputs(result)


def test_restart_and_provision_reports_follow_the_report_schema(tmp_path: Path, graph, env) -> None:
    from tests.test_report_schema import valid

    write(tmp_path)
    graph.add_principal(SP, {})
    graph.add_job(SP, JOB, "scim")
    restarted = valid(
        run_cli(["restart", "--scope", "portal", "--auto-approve", "--format", "json"], cwd=tmp_path, env=env).stdout
    )
    assert restarted["summary"]["restarted"] == 1 and restarted["exit_code"] == 0
    provisioned = valid(
        run_cli(["provision", "configs/app.toml", "--subject", USER, "--format", "json"], cwd=tmp_path, env=env).stdout
    )
    assert provisioned["targets"][0]["rule_id"] == RULE and provisioned["summary"]["provisioned"] == 1
    github = run_cli(["restart", "--scope", "full", "--auto-approve", "--format", "github"], cwd=tmp_path, env=env)
    assert github.exit_code == 0 and "Restart: 1 service principal: 1 restarted" in github.stdout


def test_no_secret_in_any_output_of_the_job_commands(tmp_path: Path, graph, env, capfd) -> None:
    from compiler.sandbox.jobs import OnDemand

    write(tmp_path)
    graph.add_principal(SP, {})
    graph.add_job(SP, JOB, "scim", "Quarantine", quarantine=QUARANTINE, accepts={"SecretToken": TOKEN})
    graph.outcomes[USER] = OnDemand(failed_step="Export", reason=f"the endpoint refused {TOKEN}")  # an echo
    seen = ""
    for args in (
        ["plan"],
        ["plan", "--format", "github"],
        ["apply", "--auto-approve", "--format", "json"],
        ["restart", "--scope", "quarantine", "--auto-approve"],
        ["status"],
        ["validate"],
    ):
        seen += outputs(run_cli(args, cwd=tmp_path, env=env))
    for fmt in ("text", "json", "github"):
        seen += outputs(
            run_cli(["provision", "configs/app.toml", "--subject", USER, "--format", fmt], cwd=tmp_path, env=env)
        )
    captured = capfd.readouterr()
    assert "job: heal" in seen and "failed at step" in seen
    assert TOKEN not in seen + captured.out + captured.err


def test_a_saved_plan_with_a_job_applies(tmp_path: Path, graph, env) -> None:
    write(tmp_path)
    graph.add_principal(SP, {})
    graph.add_job(SP, JOB, "scim", "Paused")
    saved = run_cli(["plan", "--save", "plan.json"], cwd=tmp_path, env=env)
    assert saved.exit_code == 0, outputs(saved)
    assert '"key": "job"' in (tmp_path / "plan.json").read_text()
    applied = run_cli(["apply", "--plan", "plan.json"], cwd=tmp_path, env=env)
    assert applied.exit_code == 0, outputs(applied)
    assert graph.calls(SP)[-1] == "POST start"
    write(tmp_path, "paused")  # the profile moved since the plan: stale
    stale = run_cli(["apply", "--plan", "plan.json"], cwd=tmp_path, env=env)
    assert stale.exit_code == 2 and "stale" in stale.stderr
