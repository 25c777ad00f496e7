"""The remote commands act on the tenant objects the profiles name, and on nothing else: the
environment's own service principals, exactly what a saved plan says, the tenant guard before
any request (Key Vault included), and every target reported when one of them is refused."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.helpers import run_cli
from tests.test_plan import SP, SP2, TOKEN, write_profile


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
    report = json.loads(run_cli(["plan", "--env", "test", "--format", "json"], cwd=tmp_path, env=env).stdout)
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
