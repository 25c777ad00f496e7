"""Key Vault against a hostile world: what a vault answers (redirects, other authorities,
values that are not secrets) must never send a token elsewhere, crash, or leak."""

from __future__ import annotations

import pytest

from compiler.graph.retry import RetryPolicy
from compiler.keyvault.fetch import VaultReader
from compiler.profile.vault_address import SecretAddress, parse_url
from tests.fakes.fixtures import CLIENT_ID, CLIENT_SECRET, TENANT_ID
from tests.helpers import run_cli
from tests.test_keyvault import CANARY, profile, write

pytest.importorskip("azure.keyvault.secrets")
REVEAL = ["compile", "--reveal", "--out", "build", "--allow-unignored-output"]


def test_a_redirect_from_the_vault_is_not_followed(tmp_path, keyvault, vault_env, elsewhere):
    keyvault.set_secret("scim-token", CANARY)
    keyvault.fault(307, location=f"{elsewhere.url}/secrets/scim-token")
    write(tmp_path, "app", profile(keyvault))
    result = run_cli(REVEAL, cwd=tmp_path, env=vault_env)
    assert result.exit_code == 4, result.stderr
    assert "HTTP 307" in result.stderr
    assert elsewhere.requests == []  # neither the token nor the challenge went there


def sign_in_with_a_client_secret(authority, monkeypatch) -> None:
    """--keyvault-auth env: a registered client whose secret is in AZURE_*."""
    authority.add_client(TENANT_ID, CLIENT_ID, CLIENT_SECRET)
    for name, value in {
        "AZURE_TENANT_ID": TENANT_ID,
        "AZURE_CLIENT_ID": CLIENT_ID,
        "AZURE_CLIENT_SECRET": CLIENT_SECRET,
    }.items():
        monkeypatch.setenv(name, value)


def test_a_challenge_naming_another_tenant_gets_no_token(tmp_path, authority, keyvault, vault_env, monkeypatch):
    sign_in_with_a_client_secret(authority, monkeypatch)
    keyvault.set_secret("scim-token", CANARY)
    keyvault.challenge = f'Bearer authorization="{authority.host}/99999999-9999-4999-8999-999999999999", resource="https://vault.azure.net"'
    write(tmp_path, "app", profile(keyvault))
    result = run_cli([*REVEAL, "--keyvault-auth", "env"], cwd=tmp_path, env=vault_env)
    assert result.exit_code == 4, result.stderr
    assert [record for record in authority.requests if "99999999" in record.path] == []
    assert all(not record.authorized for record in keyvault.journal)


def test_the_challenge_resource_is_checked_for_microsofts_vaults_only(vault_env):
    reader = VaultReader("token", vault_env, RetryPolicy())
    real = reader._client(SecretAddress("contoso-kv.vault.azure.net", "s"))
    added = reader._client(
        parse_url("https://127.0.0.1:8443/secrets/s", {"SYNCSECRETS_KEYVAULT_HOSTS": "127.0.0.1:8443"})
    )

    def verifies(client) -> bool:
        policies = client._client._client._pipeline._impl_policies
        return next(p for p in policies if hasattr(p, "_verify_challenge_resource"))._verify_challenge_resource

    assert verifies(real) is True and verifies(added) is False


@pytest.mark.parametrize(
    ("value", "words"),
    [
        ("<unrevealed env:SCIM_TOKEN>", "placeholder"),
        ("<unrevealed keyvault:contoso-kv.vault.azure.net/scim-token>", "placeholder"),
        ("x" * (1024 * 1024 + 1), "bytes"),
        ("ok\ud800", "UTF-8"),
    ],
    ids=["env-placeholder", "vault-placeholder", "huge", "lone-surrogate"],
)
def test_a_vault_value_that_cannot_be_a_secret_is_exit_2(tmp_path, keyvault, vault_env, value, words):
    keyvault.set_secret("scim-token", value)
    write(tmp_path, "app", profile(keyvault))
    result = run_cli(REVEAL, cwd=tmp_path, env=vault_env)
    assert result.exit_code == 2, result.stderr
    assert words in result.stderr and "configs/app.toml:2:1: secret_token:" in result.stderr
    assert not (tmp_path / "build").exists()  # the run made it, and took it away again


def test_a_vault_value_that_is_a_mask_is_refused_by_plan(tmp_path, graph, keyvault, vault_env):
    keyvault.set_secret("scim-token", "*")
    graph.add_principal("3c1d2e4f-5a6b-4c7d-8e9f-0a1b2c3d4e5f", {"SecretToken": "real"})
    write(tmp_path, "app", profile(keyvault))
    result = run_cli(["plan"], cwd=tmp_path, env=vault_env)
    assert result.exit_code == 2, result.stdout + result.stderr
    assert graph.journal == []


def test_an_env_value_that_is_a_placeholder_is_refused_too(tmp_path):
    (tmp_path / "app.toml").write_text('secret_token = { env = "TOKEN" }\n')
    result = run_cli(
        ["compile", "app.toml", "--reveal", "--out", "build", "--allow-unignored-output"],
        cwd=tmp_path,
        env={"TOKEN": "<unrevealed env:TOKEN>"},
    )
    assert result.exit_code == 2 and "placeholder" in result.stderr


def test_no_vault_value_leaves_plan_or_apply_in_any_format(tmp_path, graph, keyvault, vault_env):
    url = "https://canary-vault-url-77ab.example/scim"
    keyvault.set_secret("scim-token", CANARY)
    keyvault.set_secret("scim-url", url)
    sp = "3c1d2e4f-5a6b-4c7d-8e9f-0a1b2c3d4e5f"
    graph.add_principal(sp, {"BaseAddress": "https://old.example/scim", "SecretToken": "old"})
    write(
        tmp_path,
        "app",
        profile(keyvault).replace(
            '"https://scim.contoso.example/v2"', f'{{ keyvault = "{keyvault.secret_uri("scim-url")}" }}'
        ),
    )
    printed = ""
    for fmt in ("text", "json", "github"):
        result = run_cli(["plan", "--format", fmt, "--debug"], cwd=tmp_path, env=vault_env)
        assert result.exit_code == 0, result.stderr
        printed += result.stdout + result.stderr
    applied = run_cli(["apply", "--auto-approve", "--format", "github"], cwd=tmp_path, env=vault_env)
    assert applied.exit_code == 0, applied.stderr
    printed += applied.stdout + applied.stderr
    assert graph.pairs(sp) == {"BaseAddress": url, "SecretToken": CANARY}  # they did go to the tenant
    assert CANARY not in printed and url not in printed and "canary-vault-url" not in printed


def test_a_challenge_asking_for_another_resource_gets_no_token(
    tmp_path, authority, graph, keyvault, vault_env, monkeypatch
):
    """An added host skips the SDK's own check of the challenge: syncsecrets still hands out
    vault tokens only, so a vault (or whatever answers as one) cannot obtain a Graph token."""
    sign_in_with_a_client_secret(authority, monkeypatch)
    keyvault.set_secret("scim-token", CANARY)
    keyvault.challenge = f'Bearer authorization="{authority.host}/{TENANT_ID}", resource="{graph.url}"'
    write(tmp_path, "app", profile(keyvault))
    result = run_cli([*REVEAL, "--keyvault-auth", "env"], cwd=tmp_path, env=vault_env)
    assert result.exit_code == 4, result.stderr
    assert [r for r in authority.requests if graph.url in r.form.get("scope", "")] == []
    assert all(not record.authorized for record in keyvault.journal)


@pytest.mark.parametrize(
    ("scope", "given"),
    [
        ("https://vault.azure.net/.default", True),
        ("https://vault.azure.net//.default", True),
        ("https://vault.usgovcloudapi.net/.default", True),
        ("https://graph.microsoft.com/.default", False),
        ("https://vault.azure.net.evil.example/.default", False),
        ("https://management.azure.com/.default", False),
    ],
)
def test_only_key_vault_scopes_are_given_a_token(scope, given):
    from compiler.keyvault.fetch import VaultRefused, _VaultScopesOnly

    class Inner:
        def get_token(self, *scopes, **kwargs):
            return "token"

    credential = _VaultScopesOnly(Inner())
    if given:
        assert credential.get_token(scope) == "token"
    else:
        with pytest.raises(VaultRefused):
            credential.get_token(scope)


# Long enough when read as text: a credential shorter than 8 characters is refused (exit 2) anyway.
@pytest.mark.parametrize(("value", "exit_code"), [(123456789, 0), (None, 2), (["secret"], 0), ({"a": 1}, 0)])
def test_a_vault_answer_that_is_not_a_string_is_never_a_crash(tmp_path, keyvault, vault_env, value, exit_code):
    """azure-keyvault-secrets reads `value` as text whatever the JSON holds (5 becomes "5"); a
    null is an empty secret (exit 2). Either way: no internal error."""
    keyvault.set_secret("scim-token", value)
    write(tmp_path, "app", profile(keyvault))
    result = run_cli(REVEAL, cwd=tmp_path, env=vault_env)
    assert result.exit_code == exit_code, result.stderr
    assert "internal error" not in result.stderr
