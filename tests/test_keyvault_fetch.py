"""compiler/keyvault/fetch.py against the loopback Key Vault: challenge, versions, refusals, retries."""

from __future__ import annotations

import time

import pytest

from compiler.graph.retry import RetryPolicy
from compiler.keyvault.fetch import TOKEN_VARIABLE, VaultReader, VaultRefused
from compiler.problems import InvalidValue
from compiler.profile.vault_address import parse_url
from tests.fakes.fixtures import CLIENT_ID, CLIENT_SECRET, TENANT_ID
from tests.fakes.keyvault import RESOURCE

pytest.importorskip("azure.keyvault.secrets")
FAST = RetryPolicy(base=0.01, cap=0.05)


@pytest.fixture
def vault_env(tls, authority, keyvault) -> dict[str, str]:
    return {
        "SYNCSECRETS_KEYVAULT_HOSTS": keyvault.host,
        "REQUESTS_CA_BUNDLE": str(tls.ca_file),
        "SSL_CERT_FILE": str(tls.ca_file),
        "AZURE_AUTHORITY_HOST": authority.host,
        TOKEN_VARIABLE: authority.issue_token(TENANT_ID, audience=RESOURCE),
    }


def address(keyvault, env, name: str, version: str | None = None):
    return parse_url(keyvault.secret_uri(name, version), env)


def test_token_mode_reads_latest_and_pinned_versions(keyvault, vault_env):
    first = keyvault.set_secret("scim-token", "v1")
    keyvault.set_secret("scim-token", "v2")
    reader = VaultReader("token", vault_env, FAST)
    assert reader.value(address(keyvault, vault_env, "scim-token")) == "v2"
    assert reader.value(address(keyvault, vault_env, "scim-token", first)) == "v1"


def test_each_secret_is_fetched_once_per_run(keyvault, vault_env):
    for n in range(5):
        keyvault.set_secret(f"s{n}", f"value-{n}")
    reader = VaultReader("token", vault_env, FAST)
    wanted = [address(keyvault, vault_env, f"s{n % 5}") for n in range(20)]
    reader.prefetch(wanted)
    assert [reader.value(a) for a in wanted[:5]] == [f"value-{n}" for n in range(5)]
    assert sorted(keyvault.fetched()) == [f"s{n}" for n in range(5)]


def test_env_mode_signs_in_through_the_challenge(authority, keyvault, vault_env, monkeypatch):
    authority.add_client(TENANT_ID, CLIENT_ID, CLIENT_SECRET)
    env = {
        **vault_env,
        "AZURE_TENANT_ID": TENANT_ID,
        "AZURE_CLIENT_ID": CLIENT_ID,
        "AZURE_CLIENT_SECRET": CLIENT_SECRET,
    }
    del env[TOKEN_VARIABLE]
    for name, value in env.items():  # azure-identity reads the process environment itself
        monkeypatch.setenv(name, value)
    keyvault.set_secret("s", "from-the-vault")
    assert VaultReader("env", env, FAST).value(address(keyvault, env, "s")) == "from-the-vault"
    assert [r.authorized for r in keyvault.journal] == [False, True]  # the challenge, then the token


@pytest.mark.parametrize(
    ("setup", "error", "words"),
    [
        (lambda kv: None, InvalidValue, "is not in the vault"),
        (lambda kv: kv.set_secret("s", "v", enabled=False), VaultRefused, "is disabled"),
        (lambda kv: (kv.set_secret("s", "v"), kv.deny("s")), VaultRefused, "Key Vault Secrets User"),
        (lambda kv: kv.set_secret("s", "v", expires=time.time() - 60), VaultRefused, "expired"),
    ],
)
def test_refusals_name_the_reference_never_the_value(keyvault, vault_env, setup, error, words):
    setup(keyvault)
    with pytest.raises(error) as raised:
        VaultReader("token", vault_env, FAST).value(address(keyvault, vault_env, "s"))
    assert words in str(raised.value) and f"keyvault:{keyvault.host}/s" in str(raised.value)
    assert "'v'" not in str(raised.value)


def test_throttling_is_retried_with_the_graph_policy(keyvault, vault_env):
    keyvault.set_secret("s", "v")
    keyvault.fault(429, retry_after=0, times=2)
    keyvault.fault(503)
    assert VaultReader("token", vault_env, FAST).value(address(keyvault, vault_env, "s")) == "v"
    assert [r.status for r in keyvault.journal if r.authorized] == [429, 429, 503, 200]


def test_a_vault_that_never_answers_is_refused_after_the_policy(keyvault, vault_env):
    keyvault.set_secret("s", "v")
    keyvault.fault(0, times=10)
    with pytest.raises(VaultRefused, match="no answer"):
        VaultReader("token", vault_env, FAST).value(address(keyvault, vault_env, "s"))


def test_token_mode_without_the_variable_is_refused(keyvault, vault_env):
    del vault_env[TOKEN_VARIABLE]
    keyvault.set_secret("s", "v")
    with pytest.raises(VaultRefused, match=TOKEN_VARIABLE):
        VaultReader("token", vault_env, FAST).value(address(keyvault, vault_env, "s"))


def test_a_stalled_vault_times_out_and_is_refused(keyvault, vault_env, monkeypatch):
    from compiler.keyvault import fetch

    monkeypatch.setattr(fetch, "READ_SECONDS", 0.2)
    keyvault.set_secret("s", "v")
    keyvault.latency = 0.5
    with pytest.raises(VaultRefused, match="no answer"):
        VaultReader("token", vault_env, FAST).value(address(keyvault, vault_env, "s"))
