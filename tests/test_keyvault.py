"""Key Vault references end to end: compile --reveal, plan and apply against the loopback vault,
Graph and authority; what is fetched (the vault's journal), exit codes, and no leak."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest

from tests.fakes.fixtures import CLIENT_ID, CLIENT_SECRET, TENANT_ID
from tests.helpers import modules_loaded_by_compile, run_cli

pytest.importorskip("azure.keyvault.secrets")
SP = "3c1d2e4f-5a6b-4c7d-8e9f-0a1b2c3d4e5f"
CANARY = "canary-vault-5c2e81d7"


def write(root: Path, name: str, text: str) -> Path:
    (root / "configs").mkdir(exist_ok=True)
    path = root / "configs" / f"{name}.toml"
    path.write_text(text)
    return path


def profile(keyvault, secret: str = "scim-token", extra: str = "") -> str:
    return (
        'base_address = "https://scim.contoso.example/v2"\n'
        f'secret_token = {{ keyvault = "{keyvault.secret_uri(secret)}" }}\n{extra}'
        f'[application]\nservice_principal_id = "{SP}"\n'
    )


def test_compile_without_reveal_writes_a_placeholder_and_fetches_nothing(tmp_path, keyvault, vault_env):
    keyvault.set_secret("scim-token", CANARY)
    write(tmp_path, "app", profile(keyvault))
    result = run_cli(["compile", "--out", "build"], cwd=tmp_path, env=vault_env)
    assert result.exit_code == 0, result.stderr
    body = json.loads((tmp_path / "build" / "app.json").read_text())
    assert body["value"][0] == {"key": "SecretToken", "value": f"<unrevealed keyvault:{keyvault.host}/scim-token>"}
    assert keyvault.journal == []


def test_compile_reveal_fetches_each_secret_once(tmp_path, keyvault, vault_env):
    keyvault.set_secret("scim-token", CANARY)
    keyvault.set_secret("base", "https://scim.contoso.example/v3")
    for name in ("one", "two", "three"):
        write(
            tmp_path,
            name,
            profile(keyvault).replace(
                '"https://scim.contoso.example/v2"', f'{{ keyvault = "{keyvault.secret_uri("base")}" }}'
            ),
        )
    result = run_cli(["compile", "--reveal", "--out", "build", "--allow-unignored-output"], cwd=tmp_path, env=vault_env)
    assert result.exit_code == 0, result.stderr
    body = json.loads((tmp_path / "build" / "two.json").read_text())
    assert {pair["key"]: pair["value"] for pair in body["value"]} == {
        "SecretToken": CANARY,
        "BaseAddress": "https://scim.contoso.example/v3",
    }
    assert sorted(keyvault.fetched()) == ["base", "scim-token"]
    assert os.stat(tmp_path / "build" / "two.json").st_mode & 0o077 == 0
    assert CANARY not in result.stdout + result.stderr


def test_a_vault_value_is_checked_like_a_literal_of_its_kind(tmp_path, keyvault, vault_env):
    keyvault.set_secret("base", "http://scim.contoso.example/v2")  # a credential URL must be https
    write(
        tmp_path,
        "app",
        profile(keyvault).replace(
            '"https://scim.contoso.example/v2"', f'{{ keyvault = "{keyvault.secret_uri("base")}" }}'
        ),
    )
    keyvault.set_secret("scim-token", CANARY)
    result = run_cli(["compile", "--reveal", "--out", "build", "--allow-unignored-output"], cwd=tmp_path, env=vault_env)
    assert result.exit_code == 2
    assert f"configs/app.toml:1:1: base_address: the value of keyvault:{keyvault.host}/base" in result.stderr
    assert not (tmp_path / "build").exists()


def test_a_missing_secret_is_the_profiles_mistake(tmp_path, keyvault, vault_env):
    write(tmp_path, "app", profile(keyvault, "nope"))
    result = run_cli(["compile", "--reveal", "--out", "build", "--allow-unignored-output"], cwd=tmp_path, env=vault_env)
    assert result.exit_code == 2
    assert (
        f"configs/app.toml:2:1: secret_token: keyvault:{keyvault.host}/nope is not in the vault: check the vault and the secret's name\n"
        in result.stderr
    )


@pytest.mark.parametrize(
    ("setup", "words"),
    [
        (lambda kv: kv.set_secret("scim-token", CANARY, enabled=False), "is disabled in the vault"),
        (lambda kv: (kv.set_secret("scim-token", CANARY), kv.deny("scim-token")), "Key Vault Secrets User"),
        (lambda kv: kv.set_secret("scim-token", CANARY, expires=time.time() - 86400), "expired on"),
    ],
)
def test_a_refused_secret_is_exit_4_and_nothing_is_written(tmp_path, keyvault, vault_env, setup, words):
    setup(keyvault)
    write(tmp_path, "app", profile(keyvault))
    write(tmp_path, "other", 'secret_token = { env = "X" }\n')  # compiled before: staged, then dropped
    env = {**vault_env, "X": "plain-env-secret"}
    result = run_cli(["compile", "--reveal", "--out", "build", "--allow-unignored-output"], cwd=tmp_path, env=env)
    assert result.exit_code == 4, result.stderr
    assert words in result.stderr and "nothing was written" in result.stderr
    assert CANARY not in result.stdout + result.stderr
    assert not (tmp_path / "build").exists()  # the run made it, and took it away again


def test_throttling_is_waited_out(tmp_path, keyvault, vault_env):
    keyvault.set_secret("scim-token", CANARY)
    keyvault.fault(429, retry_after=1)
    write(tmp_path, "app", profile(keyvault))
    result = run_cli(["compile", "--reveal", "--out", "build", "--allow-unignored-output"], cwd=tmp_path, env=vault_env)
    assert result.exit_code == 0, result.stderr
    assert [r.status for r in keyvault.journal if r.authorized] == [429, 200]


def test_a_keyvault_mode_that_does_not_exist_is_exit_2(tmp_path, keyvault, vault_env):
    write(tmp_path, "app", profile(keyvault))
    result = run_cli(
        ["compile", "--reveal", "--keyvault-auth", "password", "--out", "build"], cwd=tmp_path, env=vault_env
    )
    assert result.exit_code == 2
    assert "--keyvault-auth: must be one of" in result.stderr
    assert keyvault.journal == []


def test_plan_and_apply_read_the_vault_with_another_identity(tmp_path, authority, graph, keyvault, vault_env):
    """Graph with a given token, the vault with a client secret (--keyvault-auth env)."""
    authority.add_client(TENANT_ID, CLIENT_ID, CLIENT_SECRET)
    env = {
        **vault_env,
        "AZURE_TENANT_ID": TENANT_ID,
        "AZURE_CLIENT_ID": CLIENT_ID,
        "AZURE_CLIENT_SECRET": CLIENT_SECRET,
    }
    del env["SYNCSECRETS_KEYVAULT_ACCESS_TOKEN"]
    keyvault.set_secret("scim-token", CANARY)
    graph.add_principal(SP, {"BaseAddress": "https://scim.contoso.example/v2", "SecretToken": "old"})
    write(tmp_path, "app", profile(keyvault))
    planned = run_cli(["plan", "--keyvault-auth", "env", "--format", "json"], cwd=tmp_path, env=env)
    assert planned.exit_code == 0, planned.stderr
    actions = {a["key"]: a["action"] for a in json.loads(planned.stdout)["targets"][0]["actions"]}
    assert actions == {"BaseAddress": "same", "SecretToken": "masked"}
    applied = run_cli(["apply", "--keyvault-auth", "env", "--auto-approve"], cwd=tmp_path, env=env)
    assert applied.exit_code == 0, applied.stderr
    assert graph.pairs(SP)["SecretToken"] == CANARY
    assert CANARY not in planned.stdout + planned.stderr + applied.stdout + applied.stderr
    assert [r.path.rsplit("/", 1)[-1] for r in authority.requests if r.status == 200] == [
        "openid-configuration",
        "token",
        "openid-configuration",
        "token",
    ]


def test_plan_stops_before_graph_when_the_vault_refuses(tmp_path, graph, keyvault, vault_env):
    keyvault.set_secret("scim-token", CANARY)
    keyvault.deny("scim-token")
    graph.add_principal(SP, {"SecretToken": "old"})
    write(tmp_path, "app", profile(keyvault))
    result = run_cli(["plan"], cwd=tmp_path, env=vault_env)
    assert result.exit_code == 4, result.stdout + result.stderr
    assert "Key Vault Secrets User" in result.stdout + result.stderr
    assert graph.journal == []


def test_compile_imports_no_vault_machinery_without_reveal(tmp_path, keyvault):
    write(tmp_path, "app", profile(keyvault))
    vault = ("azure", "msal", "httpx", "compiler.keyvault", "compiler.graph")
    assert modules_loaded_by_compile(tmp_path, vault, {"SYNCSECRETS_KEYVAULT_HOSTS": keyvault.host}) == []


def test_diffs_treat_a_vault_reference_like_any_reference(tmp_path, keyvault, vault_env):
    write(tmp_path, "app", profile(keyvault))
    assert run_cli(["compile", "--out", "build"], cwd=tmp_path, env=vault_env).exit_code == 0
    # The host that receives the token changes while the vault secret stays: warned about.
    write(tmp_path, "app", profile(keyvault).replace("scim.contoso.example", "scim.fabrikam.example"))
    moved = run_cli(["compile", "--out", "build"], cwd=tmp_path, env=vault_env)
    assert moved.exit_code == 0 and "SecretToken keeps the same secret" in moved.stdout
    # Another secret (or version) behind the reference is a change, shown masked.
    write(tmp_path, "app", profile(keyvault, "scim-token-2").replace("scim.contoso.example", "scim.fabrikam.example"))
    changed = run_cli(["compile", "--out", "build", "--format", "json"], cwd=tmp_path, env=vault_env)
    change = [c for c in json.loads(changed.stdout)["outputs"][0]["changes"] if c["key"] == "SecretToken"]
    assert change and change[0]["masked"] is True, changed.stdout
    assert keyvault.journal == []


def test_a_reveal_reads_each_secret_once_per_run(tmp_path, keyvault, vault_env):
    """Many profiles naming the same secrets: each secret is read once."""
    PROFILES = 5
    keyvault.set_secret("scim-token", CANARY)
    keyvault.set_secret("shared-url", "https://scim.contoso.example/v9")
    for index in range(PROFILES):
        write(
            tmp_path,
            f"app-{index:03d}",
            profile(keyvault).replace(
                '"https://scim.contoso.example/v2"', f'{{ keyvault = "{keyvault.secret_uri("shared-url")}" }}'
            ),
        )
    args = ["compile", "--reveal", "--out", "build", "--allow-unignored-output"]
    result = run_cli(args, cwd=tmp_path, env=vault_env)
    assert result.exit_code == 0, result.stderr
    assert sorted(keyvault.fetched()) == ["scim-token", "shared-url"]
    last = json.loads((tmp_path / "build" / f"app-{PROFILES - 1:03d}.json").read_text())
    assert {pair["key"]: pair["value"] for pair in last["value"]}["SecretToken"] == CANARY
