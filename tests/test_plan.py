"""`plan` end to end against the loopback fakes: every row of the action table, paging, errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.helpers import run_cli

SP = "2f9f1c9e-1b7a-4c1e-9a55-0c9e2d1f7b10"
SP2 = "6b3f9d2e-8a71-4c55-b0e4-19d2c7a8f310"
TOKEN = "canary-scim-token-5e1f0c"


def write_profile(root: Path, name: str = "app", body: str = "", sp: str = SP, application: str = "") -> Path:
    configs = root / "configs"
    configs.mkdir(exist_ok=True)
    path = configs / f"{name}.toml"
    path.write_text(
        body
        or 'base_address = "https://scim.contoso.example/v2"\nsecret_token = { env = "APP_TOKEN" }\nsync_all = true\n'
    )
    with path.open("a") as handle:
        handle.write(f'\n[application]\nservice_principal_id = "{sp}"\n{application}')
    return path


@pytest.fixture
def env(graph_env) -> dict[str, str]:
    return {**graph_env(), "APP_TOKEN": TOKEN}


def test_plan_classifies_every_action(tmp_path: Path, graph, env) -> None:
    write_profile(
        tmp_path,
        body='base_address = "https://scim.contoso.example/v2"\nsecret_token = { env = "APP_TOKEN" }\n'
        'sync_all = true\nskip_out_of_scope_deletions = true\nuser_name = "provisioning"\n',
        application='keep = ["oauth2_access_token"]\n',
    )
    graph.add_principal(
        SP,
        {
            "BaseAddress": "https://old.contoso.example/v2",  # change
            "SecretToken": "tenant-secret",  # masked
            "SyncAll": "true",  # same (booleans compared case-insensitively)
            "UserName": "",  # add ("" is absent)
            "InstanceName": "legacy",  # clear
            "Oauth2AccessToken": "portal-token",  # keep
        },
    )
    result = run_cli(["plan", "--format", "json"], cwd=tmp_path, env=env)
    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stdout)
    actions = {a["key"]: a["action"] for a in report["targets"][0]["actions"]}
    assert actions == {
        "BaseAddress": "change",
        "SecretToken": "masked",
        "SyncAll": "same",
        "SkipOutOfScopeDeletions": "add",
        "UserName": "add",
        "InstanceName": "clear",
        "Oauth2AccessToken": "keep",
    }
    assert report["targets"][0]["status"] == "changes"
    assert TOKEN not in result.stdout + result.stderr
    assert [r.method for r in graph.journal] == ["GET"]


def test_plan_text_shows_the_diff_masked(tmp_path: Path, graph, env) -> None:
    write_profile(tmp_path)
    graph.add_principal(SP, {"BaseAddress": "https://old.contoso.example/v2", "SecretToken": "x", "UserName": "bob"})
    result = run_cli(["plan"], cwd=tmp_path, env=env)
    assert result.exit_code == 0, result.stderr
    assert result.stdout == (
        f"~ configs/app.toml -> {SP} (1 to add, 1 to change, 1 to clear)\n"
        '  - UserName: "bob"  (cleared: apply sends "")\n'
        "  * SecretToken: *** -> *** (env:APP_TOKEN)  (hidden by the tenant: cannot be compared, sent again)\n"
        '  ~ BaseAddress: "https://old.contoso.example/v2" -> "https://scim.contoso.example/v2"\n'
        '  + SyncAll: "True"\n'
        "  ! warning: BaseAddress host changes from old.contoso.example to scim.contoso.example while SecretToken "
        "is sent with it: the credential will be sent to scim.contoso.example; make sure that is intended\n"
        "Plan: 1 service principal: 1 to update (keys: 1 to add, 1 to change, 1 to clear), 0 in sync\n"
    )


def test_plan_check_exits_1_only_when_something_would_change(tmp_path: Path, graph, env) -> None:
    write_profile(tmp_path)
    graph.add_principal(SP, {"BaseAddress": "https://scim.contoso.example/v2", "SecretToken": "x", "SyncAll": "True"})
    in_sync = run_cli(["plan", "--check"], cwd=tmp_path, env=env)
    assert in_sync.exit_code == 0, in_sync.stderr
    assert (
        in_sync.stdout
        == "Plan: 1 service principal: 0 to update (keys: 0 to add, 0 to change, 0 to clear), 1 in sync\n"
    )
    graph.add_principal(SP, {"BaseAddress": "https://scim.contoso.example/v2", "SecretToken": "x"})
    behind = run_cli(["plan", "--check"], cwd=tmp_path, env=env)
    assert behind.exit_code == 1
    assert behind.stdout.endswith(
        "1 to update (keys: 1 to add, 0 to change, 0 to clear), 0 in sync; run `syncsecrets apply` to update\n"
    )


def test_plan_follows_next_links(tmp_path: Path, graph, env) -> None:
    graph.page_size = 1
    write_profile(tmp_path)
    graph.add_principal(SP, {"BaseAddress": "https://scim.contoso.example/v2", "SecretToken": "x", "SyncAll": "True"})
    result = run_cli(["plan", "--check"], cwd=tmp_path, env=env)
    assert result.exit_code == 0, result.stdout + result.stderr
    assert len([record for record in graph.journal if record.method == "GET"]) == 3


def test_a_json_value_graph_cannot_clear_is_refused_with_advice(tmp_path: Path, graph, env) -> None:
    write_profile(tmp_path)
    graph.add_principal(SP, {"SyncNotificationSettings": '{"Enabled":true,"Recipients":"ops@contoso.example"}'})
    for command in (["plan"], ["apply", "--auto-approve"]):
        result = run_cli(command, cwd=tmp_path, env=env)
        assert result.exit_code == 2, result.stdout + result.stderr
        assert (
            f"configs/app.toml: SyncNotificationSettings: is set on the tenant of service principal {SP} but not "
            "in this profile, and Graph cannot clear a JSON value: set [notifications] enabled = false"
        ) in result.stderr
        assert "nothing was sent" in result.stderr
    assert graph.puts(SP) == []


def test_keep_leaves_a_json_value_alone(tmp_path: Path, graph, env) -> None:
    write_profile(tmp_path, application='keep = ["sync_notification_settings"]\n')
    graph.add_principal(SP, {"SyncNotificationSettings": '{"Enabled":true}', "SecretToken": "x"})
    result = run_cli(["plan", "--format", "json"], cwd=tmp_path, env=env)
    assert result.exit_code == 0, result.stderr
    actions = {a["key"]: a["action"] for a in json.loads(result.stdout)["targets"][0]["actions"]}
    assert actions["SyncNotificationSettings"] == "keep"


def test_json_values_compare_as_objects(tmp_path: Path, graph, env) -> None:
    write_profile(
        tmp_path,
        body='[notifications]\nrecipients = "ops@contoso.example"\ndelete_threshold = 500\n',
    )
    stored = (
        '{"DeleteThresholdValue":500,"Recipients":"ops@contoso.example","Enabled":true,"DeleteThresholdEnabled":true}'
    )
    graph.add_principal(SP, {"SyncNotificationSettings": stored})
    result = run_cli(["plan", "--check"], cwd=tmp_path, env=env)
    assert result.exit_code == 0, result.stdout + result.stderr


def test_one_unreachable_target_fails_with_status_code_and_request_id(tmp_path: Path, graph, env) -> None:
    write_profile(tmp_path, "a")
    write_profile(tmp_path, "b", sp=SP2)
    graph.add_principal(SP, {})
    result = run_cli(["plan"], cwd=tmp_path, env=env)
    assert result.exit_code == 4
    assert f"x configs/b.toml -> {SP2}: failed\n  ! error: HTTP 404: Request_ResourceNotFound: Resource '{SP2}'" in (
        result.stdout
    )
    assert "(request-id " in result.stdout
    assert f"~ configs/a.toml -> {SP} (3 to add)" in result.stdout
    assert result.stdout.endswith("1 to update (keys: 3 to add, 0 to change, 0 to clear), 0 in sync, 1 failed\n")


@pytest.mark.parametrize("status", [401, 403])
def test_refused_by_graph_is_exit_4(tmp_path: Path, graph, env, status: int) -> None:
    write_profile(tmp_path)
    graph.add_principal(SP, {})
    graph.fault(
        status, code="Authorization_RequestDenied", message="Insufficient privileges to complete the operation."
    )
    result = run_cli(["plan"], cwd=tmp_path, env=env)
    assert result.exit_code == 4
    assert f"HTTP {status}: Authorization_RequestDenied: Insufficient privileges" in result.stdout
    assert len(graph.journal) == 1  # not retried


def test_throttling_is_waited_out(tmp_path: Path, graph, env) -> None:
    write_profile(tmp_path)
    graph.add_principal(SP, {})
    graph.fault(429, retry_after=1)
    graph.fault(503, retry_after=0)
    graph.fault(0)  # a dropped connection
    result = run_cli(["plan", "--format", "json"], cwd=tmp_path, env=env)
    assert result.exit_code == 0, result.stdout + result.stderr
    assert [record.status for record in graph.journal] == [429, 503, 0, 200]


def test_a_token_for_another_tenant_sends_nothing(tmp_path: Path, graph, env) -> None:
    write_profile(tmp_path, application='tenant_id = "33333333-3333-4333-8333-333333333333"\n')
    graph.add_principal(SP, {})
    result = run_cli(["plan"], cwd=tmp_path, env=env)
    assert result.exit_code == 4
    assert (
        "the credential is for tenant 11111111-1111-4111-8111-111111111111, but configs/app.toml sets tenant_id "
        in (result.stderr)
    )
    assert graph.journal == []


def test_a_token_whose_tenant_cannot_be_read_sends_nothing(tmp_path: Path, graph, env) -> None:
    write_profile(tmp_path, application='tenant_id = "11111111-1111-4111-8111-111111111111"\n')
    graph.add_principal(SP, {})
    result = run_cli(["plan"], cwd=tmp_path, env={**env, "SYNCSECRETS_ACCESS_TOKEN": "opaque-canary-token"})
    assert result.exit_code == 4
    assert "does not say which tenant it is for" in result.stderr
    assert "opaque-canary-token" not in result.stdout + result.stderr
    assert graph.journal == []


def test_the_matching_tenant_passes(tmp_path: Path, graph, env) -> None:
    write_profile(tmp_path, application='tenant_id = "11111111-1111-4111-8111-111111111111"\n')
    graph.add_principal(SP, {})
    assert run_cli(["plan"], cwd=tmp_path, env=env).exit_code == 0


def test_a_client_secret_signs_in_through_the_authority(tmp_path: Path, graph, graph_env, authority) -> None:
    write_profile(tmp_path)
    graph.add_principal(SP, {})
    result = run_cli(["plan"], cwd=tmp_path, env={**graph_env(token=False), "APP_TOKEN": TOKEN})
    assert result.exit_code == 0, result.stdout + result.stderr
    assert graph.journal[0].authorized


def test_the_authority_refusing_is_exit_4(tmp_path: Path, graph, graph_env) -> None:
    write_profile(tmp_path)
    graph.add_principal(SP, {})
    env = {**graph_env(token=False), "APP_TOKEN": TOKEN, "AZURE_CLIENT_SECRET": "wrong-canary-secret"}
    result = run_cli(["plan"], cwd=tmp_path, env=env)
    assert result.exit_code == 4
    assert "the authority refused --auth env" in result.stderr and "AADSTS7000215" in result.stderr
    assert "wrong-canary-secret" not in result.stdout + result.stderr
    assert graph.journal == []


@pytest.mark.parametrize(
    ("body", "application", "message"),
    [
        ('secret_token = { env = "MISSING_TOKEN" }\n', "", "environment variable MISSING_TOKEN is not set"),
        ('user_name = "*"\n', "", '"*" is how Graph hides a secret'),
    ],
)
def test_bad_profiles_are_exit_2_before_any_request(tmp_path: Path, graph, env, body, application, message) -> None:
    write_profile(tmp_path, body=body, application=application)
    result = run_cli(["plan"], cwd=tmp_path, env=env)
    assert result.exit_code == 2 and message in result.stderr
    assert graph.journal == []


def test_a_target_without_service_principal_is_exit_2(tmp_path: Path, graph, env) -> None:
    (tmp_path / "configs").mkdir()
    (tmp_path / "configs" / "app.toml").write_text('base_address = "https://scim.contoso.example/v2"\n')
    result = run_cli(["plan"], cwd=tmp_path, env=env)
    assert result.exit_code == 2
    assert "configs/app.toml: has no service_principal_id: set it in [application]" in result.stderr
    assert result.stderr.endswith("syncsecrets: 1 error; nothing was sent\n")
    as_json = run_cli(["apply", "--auto-approve", "--format", "json"], cwd=tmp_path, env=env)
    report = json.loads(as_json.stdout)
    assert as_json.exit_code == report["exit_code"] == 2 and report["targets"] == []
    assert "has no service_principal_id" in report["errors"][0]["message"]
    assert graph.journal == []


@pytest.mark.parametrize("url", ["http://graph.example.com", "https://graph.example.com/v1.0", "https://u:p@x.example"])
def test_a_graph_url_that_could_leak_the_token_is_exit_2(tmp_path: Path, graph, env, url: str) -> None:
    write_profile(tmp_path)
    result = run_cli(["plan", "--graph-url", url], cwd=tmp_path, env=env)
    assert result.exit_code == 2 and result.stderr.startswith("--graph-url: ")
    assert graph.journal == []


def test_environments_choose_the_service_principal(tmp_path: Path, graph, env) -> None:
    write_profile(tmp_path, application=f'[environments.prod.application]\nservice_principal_id = "{SP2}"\n')
    graph.add_principal(SP2, {})
    result = run_cli(["plan", "--env", "prod", "--format", "json"], cwd=tmp_path, env=env)
    assert result.exit_code == 0, result.stderr
    target = json.loads(result.stdout)["targets"][0]
    assert (target["environment"], target["service_principal_id"]) == ("prod", SP2)
    unknown = run_cli(["plan", "--env", "staging"], cwd=tmp_path, env=env)
    assert unknown.exit_code == 2 and "no profile or partial declares [environments.staging]" in unknown.stderr


def test_plan_json_report(tmp_path: Path, graph, env) -> None:
    write_profile(tmp_path)
    graph.add_principal(SP, {"SecretToken": "x", "InstanceName": "old"})
    result = run_cli(["plan", "--format", "json"], cwd=tmp_path, env=env)
    assert result.exit_code == 0
    report = json.loads(result.stdout)
    assert report["version"] == 1 and report["command"] == "plan" and report["exit_code"] == 0
    assert report["summary"] == {
        "targets": 1,
        "in-sync": 0,
        "changes": 1,
        "failed": 0,
        "add": 2,
        "change": 0,
        "clear": 1,
    }
    target = report["targets"][0]
    assert target["profile"] == "configs/app.toml" and target["error"] is None
    assert {"key": "SecretToken", "action": "masked", "old": "***", "new": "*** (env:APP_TOKEN)", "masked": True} in (
        target["actions"]
    )
    assert {"key": "InstanceName", "action": "clear", "old": "old", "new": "", "masked": False} in target["actions"]


def test_plan_github_annotations_and_step_summary(tmp_path: Path, graph, env) -> None:
    write_profile(tmp_path)
    graph.add_principal(SP, {"BaseAddress": "https://scim.contoso.example/v2", "SecretToken": "x"})
    summary = tmp_path / "summary.md"
    result = run_cli(
        ["plan", "--check", "--format", "github"], cwd=tmp_path, env={**env, "GITHUB_STEP_SUMMARY": str(summary)}
    )
    assert result.exit_code == 1
    assert result.stdout.splitlines()[0] == (
        f"::error file=configs/app.toml,title=syncsecrets plan%3A configs/app.toml -> {SP} (1 to add)::"
        "* SecretToken: *** -> *** (env:APP_TOKEN)  (hidden by the tenant: cannot be compared, sent again)%0A"
        '+ SyncAll: "True"'
    )
    table = summary.read_text()
    assert "| profile | environment | service principal | status | keys |" in table
    assert f"| configs/app.toml |  | {SP} | changes | +SyncAll |" in table


def test_an_unreadable_trust_store_is_exit_2(tmp_path: Path, graph, env) -> None:
    write_profile(tmp_path)
    result = run_cli(["plan"], cwd=tmp_path, env={**env, "SSL_CERT_FILE": str(tmp_path / "missing.pem")})
    assert result.exit_code == 2 and "SSL_CERT_FILE: cannot be read as PEM certificates" in result.stderr
    assert graph.journal == []


def test_an_unreachable_authority_is_exit_4(tmp_path: Path, graph, graph_env, clock) -> None:
    write_profile(tmp_path)
    env = {**graph_env(token=False), "APP_TOKEN": TOKEN, "AZURE_AUTHORITY_HOST": "https://127.0.0.1:9"}
    result = run_cli(["plan"], cwd=tmp_path, env=env)
    assert result.exit_code == 4 and "--auth env" in result.stderr
    # azure-identity retried the refused connection three times: at once, then after two backoffs.
    assert graph.journal == [] and len(clock.sleeps) == 2


def test_github_oidc_exchanges_the_actions_token(tmp_path: Path, graph, graph_env, actions_oidc) -> None:
    from tests.fakes.fixtures import TENANT_ID

    env = {**graph_env(auth="github-oidc"), "APP_TOKEN": TOKEN}
    write_profile(tmp_path, application=f'tenant_id = "{TENANT_ID}"\n')
    graph.add_principal(SP, {})
    result = run_cli(["plan"], cwd=tmp_path, env=env)
    assert result.exit_code == 0, result.stdout + result.stderr
    assert [entry.audience for entry in actions_oidc.journal] == ["api://AzureADTokenExchange"]
    assert graph.journal[0].authorized
    outside = run_cli(["plan"], cwd=tmp_path, env={k: v for k, v in env.items() if not k.startswith("ACTIONS_")})
    assert outside.exit_code == 4 and "--auth github-oidc runs in GitHub Actions only" in outside.stderr


def test_two_profiles_for_one_service_principal_are_exit_2(tmp_path: Path, graph, env) -> None:
    write_profile(tmp_path, "a")
    write_profile(tmp_path, "b")
    result = run_cli(["apply", "--auto-approve"], cwd=tmp_path, env=env)
    assert result.exit_code == 2
    assert f"configs/b.toml: sends to service principal {SP} like configs/a.toml" in result.stderr
    assert graph.journal == []


def test_the_beta_api(tmp_path: Path, graph, env) -> None:
    write_profile(tmp_path)
    graph.add_principal(SP, {})
    assert run_cli(["plan", "--api", "beta"], cwd=tmp_path, env=env).exit_code == 0
    assert graph.journal[0].path == f"/beta/servicePrincipals/{SP}/synchronization/secrets"


def test_workload_identity_reads_the_federated_token_file(
    tmp_path: Path, graph, graph_env, authority, actions_oidc
) -> None:
    from tests.fakes.fixtures import CLIENT_ID, TENANT_ID

    token_file = tmp_path / "federated-token"
    token_file.write_text(actions_oidc.issue("api://AzureADTokenExchange"))
    authority.add_federated(
        TENANT_ID, CLIENT_ID, issuer="https://token.actions.githubusercontent.com", subject=actions_oidc.subject
    )
    env = {key: value for key, value in graph_env().items() if not key.startswith("SYNCSECRETS_A")}
    env |= {
        "AZURE_TENANT_ID": TENANT_ID,
        "AZURE_CLIENT_ID": CLIENT_ID,
        "AZURE_FEDERATED_TOKEN_FILE": str(token_file),
        "APP_TOKEN": TOKEN,
    }
    write_profile(tmp_path)
    graph.add_principal(SP, {})
    result = run_cli(["plan", "--auth", "workload-identity"], cwd=tmp_path, env=env)
    assert result.exit_code == 0, result.stdout + result.stderr
    assert graph.journal[0].authorized


def test_default_finds_the_environment_credential(tmp_path: Path, graph, graph_env) -> None:
    env = {**graph_env(token=False), "APP_TOKEN": TOKEN}
    del env["SYNCSECRETS_AUTH"]
    write_profile(tmp_path)
    graph.add_principal(SP, {})
    result = run_cli(["plan"], cwd=tmp_path, env=env)
    assert result.exit_code == 0, result.stdout + result.stderr
    assert graph.journal[0].authorized


@pytest.mark.parametrize(
    ("command", "label"),
    [
        (["plan"], "Reading the tenant"),
        (["apply", "--auto-approve"], "Applying"),
        (["validate"], "Validating"),
        (["status"], "Reading the jobs"),
    ],
)
def test_a_progress_bar_on_a_terminal(tmp_path: Path, graph, env, monkeypatch, command, label) -> None:
    import sys

    monkeypatch.setattr("compiler.reports.progress.watching", lambda: True)
    write_profile(tmp_path, "a")
    write_profile(tmp_path, "b", sp=SP2)
    for sp in (SP, SP2):
        graph.add_principal(sp, {})
        graph.add_job(sp, "scim.1", "scim")
    result = run_cli(command, cwd=tmp_path, env={**env, "COLUMNS": "100"})
    assert result.exit_code == 0, result.stderr
    assert label in result.stderr and "2/2" in result.stderr  # advanced once per target
    assert label not in result.stdout and sys.stderr is not None


@pytest.mark.parametrize(
    ("option", "message"),
    [
        (["--cloud", "mars"], "Invalid value for '--cloud': 'mars' is not one of 'global', 'usgov', 'dod', 'china'"),
        (["--api", "v2"], "Invalid value for '--api': 'v2' is not one of 'v1.0', 'beta'"),
        (["--auth", "password"], "--auth: must be one of default, cli"),
    ],
)
def test_connection_options_are_checked_before_any_request(tmp_path: Path, graph, env, option, message) -> None:
    write_profile(tmp_path)
    result = run_cli(["plan", *option], cwd=tmp_path, env=env)
    assert result.exit_code == 2 and message in result.stderr
    assert graph.journal == []


def test_a_redirect_is_not_followed_and_the_token_stays_home(tmp_path: Path, graph, env, elsewhere) -> None:
    write_profile(tmp_path)
    graph.add_principal(SP, {})
    graph.fault(307, location=f"{elsewhere.url}/v1.0/servicePrincipals/{SP}/synchronization/secrets")
    result = run_cli(["plan"], cwd=tmp_path, env=env)
    assert result.exit_code == 4
    assert "HTTP 307: Redirect: Graph answered with a redirect, which is not followed" in result.stdout
    assert elsewhere.tokens_received == 0


def test_github_oidc_refused_by_the_runner_is_exit_4(tmp_path: Path, graph, graph_env, actions_oidc) -> None:
    env = {
        **graph_env(auth="github-oidc"),
        "APP_TOKEN": TOKEN,
        "ACTIONS_ID_TOKEN_REQUEST_TOKEN": "forged-request-token",
    }
    write_profile(tmp_path)
    graph.add_principal(SP, {})
    result = run_cli(["plan"], cwd=tmp_path, env=env)
    assert result.exit_code == 4 and "GitHub's OIDC token endpoint did not give a token" in result.stderr
    assert "forged-request-token" not in result.stdout + result.stderr
    assert graph.journal == []


def test_a_ctrl_c_during_plan_reports_the_targets_not_started(tmp_path: Path, graph, env, monkeypatch) -> None:
    """With --jobs 1, b is read after a: Ctrl-C arriving as b's read starts (the run waiting for
    it) lets no request out for b, and the report names b as not started."""
    import os
    import signal

    from compiler.graph import planning

    real = planning.read_secrets

    def interrupted(client, sp_id, *args):
        if sp_id == SP2:
            os.kill(os.getpid(), signal.SIGINT)  # handled by the main thread, waiting for this one
            assert client.stop.wait(10)  # which stops the run: no request goes out for b
        return real(client, sp_id, *args)

    monkeypatch.setattr(planning, "read_secrets", interrupted)
    write_profile(tmp_path, "a")
    write_profile(tmp_path, "b", sp=SP2)
    graph.add_principal(SP, {})
    graph.add_principal(SP2, {})
    result = run_cli(["plan", "--jobs", "1", "--format", "json"], cwd=tmp_path, env=env)
    assert result.exit_code == 130, result.stdout + result.stderr
    report = json.loads(result.stdout)
    assert report["interrupted"] is True
    shown = [(t["profile"], t["service_principal_id"], t["status"]) for t in report["targets"]]
    assert shown == [("configs/a.toml", SP, "changes"), ("configs/b.toml", SP2, "not-started")]
    assert report["targets"][1] == {
        "profile": "configs/b.toml",
        "environment": None,
        "service_principal_id": SP2,
        "status": "not-started",
        "actions": [],
        "warnings": [],
        "error": None,
    }
    assert [SP2 in record.path for record in graph.journal] == [False]  # b was never read
