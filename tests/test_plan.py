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
