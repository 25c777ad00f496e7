"""The remote commands act on the tenant objects the profiles name, and on nothing else: the
environment's own service principals, exactly what a saved plan says, the tenant guard before
any request (Key Vault included), and every target reported when one of them is refused."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.helpers import run_cli
from tests.test_plan import SP, SP2, TOKEN, write_profile
from tests.test_report_schema import valid


@pytest.fixture
def env(graph_env) -> dict[str, str]:
    return {**graph_env(), "APP_TOKEN": TOKEN}


# -- one refused target does not hide the others -----------------------------------------------
@pytest.mark.parametrize("command", [["plan"], ["apply", "--auto-approve"]])
def test_a_key_graph_cannot_clear_is_reported_with_every_other_target(tmp_path: Path, graph, env, command) -> None:
    write_profile(tmp_path, "a")
    write_profile(tmp_path, "b", sp=SP2)
    graph.add_principal(SP, {"SyncNotificationSettings": '{"Enabled":true}'})
    graph.add_principal(SP2, {"UserName": "bob"})
    result = run_cli(command, cwd=tmp_path, env=env)
    assert result.exit_code == 2, result.stdout + result.stderr
    assert "configs/a.toml: SyncNotificationSettings: is set on the tenant" in result.stderr
    assert f"~ configs/a.toml -> {SP} (3 to add, 1 to clear)\n" in result.stdout
    assert f'~ configs/b.toml -> {SP2} (3 to add, 1 to clear)\n  - UserName: "bob"' in result.stdout
    assert result.stderr.endswith("syncsecrets: 1 error; nothing was sent\n")
    assert [record.method for record in graph.journal] == ["GET", "GET"]


# -- --env NAME acts only on that environment's service principals ------------------------------
SP3 = "9d0c7a1e-4b2f-4e8a-a6c3-5f1e2d3c4b50"


def test_an_environment_without_its_service_principal_is_exit_2_with_where_to_set_it(
    tmp_path: Path, graph, env
) -> None:
    # The base service principal is production's: --env test must not reach it.
    write_profile(tmp_path, "a", application='\n[environments.test]\nuser_name = "tester"\n')
    write_profile(
        tmp_path, "b", sp=SP2, application=f'\n[environments.test.application]\nservice_principal_id = "{SP3}"\n'
    )
    graph.add_principal(SP, {})
    graph.add_principal(SP3, {})
    for command in (["plan"], ["apply", "--auto-approve"], ["validate"], ["status"]):
        result = run_cli([*command, "--env", "test"], cwd=tmp_path, env=env)
        assert result.exit_code == 2, result.stdout + result.stderr
        assert result.stderr.startswith(
            "configs/a.toml:8:15: environments.test: declares environment test but not its service principal (the "
            "one at configs/a.toml:6:1 is for [application]): set service_principal_id in "
            "[environments.test.application]"
        ), result.stderr
    assert graph.journal == []


def test_a_profile_without_the_environment_is_not_a_target(tmp_path: Path, graph, env) -> None:
    write_profile(tmp_path, "a")  # production only
    write_profile(
        tmp_path, "b", sp=SP2, application=f'\n[environments.test.application]\nservice_principal_id = "{SP3}"\n'
    )
    graph.add_principal(SP, {})
    graph.add_principal(SP3, {})
    text = run_cli(["apply", "--env", "test", "--auto-approve"], cwd=tmp_path, env=env)
    assert text.exit_code == 0, text.stdout + text.stderr
    assert "= configs/a.toml: not in environment test (not a target of this run: nothing sent)\n" in text.stdout
    assert text.stdout.endswith("Apply: 1 service principal: 1 applied; 1 profile not in environment test\n")
    assert graph.puts(SP) == [] and len(graph.puts(SP3)) == 1
    assert {record.path.split("/")[3] for record in graph.journal} == {SP3}
    report = valid(run_cli(["plan", "--env", "test", "--format", "json"], cwd=tmp_path, env=env).stdout)
    assert [target["service_principal_id"] for target in report["targets"]] == [SP3]
    assert report["not_in_environment"] == ["configs/a.toml"] and report["summary"]["not-in-environment"] == 1
    github = run_cli(["plan", "--env", "test", "--format", "github"], cwd=tmp_path, env=env)
    assert "::notice file=configs/a.toml,title=syncsecrets plan::configs/a.toml: not in environment test" in (
        github.stdout
    )


def test_the_environment_service_principal_may_come_from_a_parent(tmp_path: Path, graph, env) -> None:
    configs = tmp_path / "configs"
    configs.mkdir()
    (configs / "_app.toml").write_text(f'[environments.test.application]\nservice_principal_id = "{SP3}"\n')
    (configs / "a.toml").write_text('extends = "_app.toml"\nuser_name = "x"\n')
    graph.add_principal(SP3, {})
    result = run_cli(["plan", "--env", "test", "--format", "json"], cwd=tmp_path, env=env)
    assert result.exit_code == 0, result.stderr
    assert [target["service_principal_id"] for target in json.loads(result.stdout)["targets"]] == [SP3]
    # The profile's own base table is over its parent's environment table (the layering rule):
    # its production service principal would win, so it must say which one is test's.
    write_profile(tmp_path, "a", body='extends = "_app.toml"\nuser_name = "x"\n[environments.test]\n')
    result = run_cli(["plan", "--env", "test"], cwd=tmp_path, env=env)
    assert result.exit_code == 2, result.stdout + result.stderr
    assert "declares environment test but not its service principal" in result.stderr


# -- the tenant guard comes before any request, Key Vault included -------------------------------
OTHER_TENANT = "33333333-3333-4333-8333-333333333333"


@pytest.mark.parametrize("command", [["plan"], ["apply", "--auto-approve"], ["validate"]])
def test_a_token_for_another_tenant_reads_no_vault_secret(tmp_path: Path, graph, keyvault, vault_env, command) -> None:
    pytest.importorskip("azure.keyvault.secrets")
    keyvault.set_secret("scim-token", "canary-vault-secret-71c0")
    write_profile(
        tmp_path,
        body=f'secret_token = {{ keyvault = "{keyvault.secret_uri("scim-token")}" }}\n',
        application=f'tenant_id = "{OTHER_TENANT}"\n',
    )
    graph.add_principal(SP, {})
    result = run_cli(command, cwd=tmp_path, env=vault_env)
    assert result.exit_code == 4, result.stdout + result.stderr
    assert f"but configs/app.toml sets tenant_id {OTHER_TENANT}: sign in to that tenant" in result.stderr
    assert keyvault.journal == [] and graph.journal == []


# -- a saved plan is applied exactly as saved, or not at all -------------------------------------
def saved_plan(tmp_path: Path, graph, env, *paths: str) -> dict:
    result = run_cli(["plan", *paths, "--save", "plan.json"], cwd=tmp_path, env=env)
    assert result.exit_code == 0, result.stdout + result.stderr
    return json.loads((tmp_path / "plan.json").read_text())


def edit_actions(document: dict) -> None:
    for action in document["targets"][0]["actions"]:
        if action["key"] == "BaseAddress":
            action["new"] = '"https://attacker.example/v2"'


def drop_the_clear(document: dict) -> None:
    document["targets"][0]["actions"] = [a for a in document["targets"][0]["actions"] if a["action"] != "clear"]


def add_a_field(document: dict) -> None:
    document["targets"][0]["send_to"] = "https://attacker.example"


@pytest.mark.parametrize(
    "edit, message",
    [
        (edit_actions, "the plan is stale: configs/app.toml: its actions are not what a fresh plan finds"),
        (drop_the_clear, "the plan is stale: configs/app.toml: its actions are not what a fresh plan finds"),
        (lambda d: d.pop("syncsecrets_version"), "plan.json: syncsecrets_version: is not what"),
        (lambda d: d.update(tenant=["11111111-1111-4111-8111-111111111111"]), "plan.json: tenant: is not what"),
        (lambda d: d["targets"][0].update(actions="all of them"), "plan.json: targets[0].actions: is not what"),
        (lambda d: d["targets"][0]["actions"][0].update(action="send"), "targets[0].actions[0].action: is not"),
        (lambda d: d["targets"][0]["actions"][0].pop("old"), "plan.json: targets[0].actions[0].old: is not what"),
        (add_a_field, "plan.json: targets[0].send_to: is not what"),
        (lambda d: d.update(format_version=True), "plan.json: is a saved plan of another format"),
        (lambda d: d["targets"][0].update(path="../../elsewhere/app.toml"), "plan.json: targets[0].path: is not"),
        (lambda d: d["targets"][0].update(path="/etc/app.toml"), "plan.json: targets[0].path: is not what"),
        (lambda d: d["targets"][0].update(profile_digest=None), "plan.json: targets[0].profile_digest: is not"),
    ],
    ids=[
        "edited-value",
        "dropped-clear",
        "no-version",
        "tenant-list",
        "actions-string",
        "unknown-action",
        "action-field-missing",
        "unknown-field",
        "version-bool",
        "path-above",
        "path-absolute",
        "digest-null",
    ],
)
def test_a_saved_plan_other_than_plan_save_wrote_is_exit_2(tmp_path: Path, graph, env, edit, message) -> None:
    write_profile(tmp_path)
    graph.add_principal(SP, {"BaseAddress": "https://old.contoso.example/v2", "InstanceName": "legacy"})
    document = saved_plan(tmp_path, graph, env)
    edit(document)
    (tmp_path / "plan.json").write_text(json.dumps(document))
    result = run_cli(["apply", "--plan", "plan.json"], cwd=tmp_path, env=env)
    assert result.exit_code == 2, result.stdout + result.stderr
    assert message in result.stderr
    assert graph.puts(SP) == []


def test_a_plan_saved_for_another_tenant_sends_nothing(tmp_path: Path, graph, graph_env, authority, env) -> None:
    from tests.fakes.fixtures import CLIENT_ID

    write_profile(tmp_path)
    graph.add_principal(SP, {})
    saved_plan(tmp_path, graph, env)
    graph.journal.clear()
    other = authority.issue_token(OTHER_TENANT, audience=graph.url, client_id=CLIENT_ID)
    result = run_cli(["apply", "--plan", "plan.json"], cwd=tmp_path, env={**env, "SYNCSECRETS_ACCESS_TOKEN": other})
    assert result.exit_code == 2, result.stdout + result.stderr
    assert (
        "--plan: the plan is stale: it was made for tenant 11111111-1111-4111-8111-111111111111, and the credential "
        f"is for tenant {OTHER_TENANT}: sign in to the plan's tenant"
    ) in result.stderr
    assert graph.journal == []


def test_a_saved_plan_finds_its_profiles_without_path_arguments(tmp_path: Path, graph, env) -> None:
    made = tmp_path / "checkout-1"
    made.mkdir()
    (made / ".git").mkdir()
    write_profile(made, "a", application=f'[environments.test.application]\nservice_principal_id = "{SP3}"\n')
    write_profile(made, "b", sp=SP2, application=f'[environments.test.application]\nservice_principal_id = "{SP}"\n')
    graph.add_principal(SP, {})
    graph.add_principal(SP3, {})
    result = run_cli(["plan", "configs/a.toml", "--env", "test", "--save", "../plan.json"], cwd=made, env=env)
    assert result.exit_code == 0, result.stdout + result.stderr
    assert [t["path"] for t in json.loads((tmp_path / "plan.json").read_text())["targets"]] == ["configs/a.toml"]
    # Another checkout of the repository (a CI job's), in another folder: no PATH, no --env.
    other = tmp_path / "checkout-2"
    (other / "configs").mkdir(parents=True)
    (other / ".git").mkdir()
    for name in ("a", "b"):
        (other / "configs" / f"{name}.toml").write_bytes((made / "configs" / f"{name}.toml").read_bytes())
    result = run_cli(["apply", "--plan", "../../plan.json"], cwd=other / "configs", env=env)
    assert result.exit_code == 0, result.stdout + result.stderr
    assert result.stdout.endswith("Apply: 1 service principal: 1 applied\n")
    assert len(graph.puts(SP3)) == 1 and graph.puts(SP) == []


def test_a_plan_for_another_tenant_reads_no_vault_secret(tmp_path: Path, graph, authority, keyvault, vault_env) -> None:
    pytest.importorskip("azure.keyvault.secrets")
    from tests.fakes.fixtures import CLIENT_ID

    keyvault.set_secret("scim-token", "canary-vault-secret-71c0")
    write_profile(tmp_path, body=f'secret_token = {{ keyvault = "{keyvault.secret_uri("scim-token")}" }}\n')
    graph.add_principal(SP, {})
    saved_plan(tmp_path, graph, vault_env)
    keyvault.journal.clear()
    graph.journal.clear()
    other = authority.issue_token(OTHER_TENANT, audience=graph.url, client_id=CLIENT_ID)
    result = run_cli(
        ["apply", "--plan", "plan.json"], cwd=tmp_path, env={**vault_env, "SYNCSECRETS_ACCESS_TOKEN": other}
    )
    assert result.exit_code == 2, result.stdout + result.stderr
    assert "it was made for tenant 11111111-1111-4111-8111-111111111111" in result.stderr
    assert keyvault.journal == [] and graph.journal == []
