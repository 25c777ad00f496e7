"""Secrets that come back from a service in another spelling, or under another key.

Graph (a .NET service) writes `+ < > & '` and non-ASCII as `\\u002B`; the authority quotes the
posted form, URL-encoded, in its error_description; a tenant may hold a secret under a key that
is no secret. None of it may reach a report, a log line or a saved plan. And a secret too short
to be masked without blanking ordinary words is refused where it is read.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.fakes.fixtures import CLIENT_ID, TENANT_ID
from tests.helpers import run_cli, spellings
from tests.test_plan import SP, SP2, TOKEN, write_profile

# `+ < > & '` and non-ASCII: what .NET and form encoding spell differently from JSON.
HOSTILE = "canary+<tok>&'\u00e9x-7c41d2"


def leaked(text: str, secret: str) -> list[str]:
    # A message is cut at a few hundred characters: a leading part of the secret counts too.
    return [form for form in spellings(secret) + spellings(secret[:7]) if form in text]


@pytest.mark.parametrize("fmt", ["text", "json", "github"])
def test_a_secret_graph_echoes_with_dotnet_escapes_is_masked(tmp_path: Path, graph, graph_env, fmt) -> None:
    write_profile(tmp_path)
    graph.add_principal(SP, {})
    graph.fault(400, method="PUT", echo=True)
    env = {**graph_env(), "APP_TOKEN": HOSTILE}
    result = run_cli(["apply", "--auto-approve", "--format", fmt], cwd=tmp_path, env=env)
    out = result.stdout + result.stderr
    assert result.exit_code == 4, out
    assert "Validation failed for" in out  # the message is shown, the secret in it is not
    assert not leaked(out, HOSTILE), out


@pytest.mark.parametrize("fmt", ["text", "json", "github"])
def test_the_client_secret_an_authority_quotes_is_masked(tmp_path: Path, graph, graph_env, authority, fmt) -> None:
    write_profile(tmp_path)
    graph.add_principal(SP, {})
    client_secret = "canary+client<secret>&'\u00e9-93be"
    authority.add_client(TENANT_ID, CLIENT_ID, client_secret)
    authority.fault(400, method="POST", echo=True)
    env = {**graph_env(token=False), "AZURE_CLIENT_SECRET": client_secret, "APP_TOKEN": TOKEN}
    result = run_cli(["plan", "--format", fmt], cwd=tmp_path, env=env)
    out = result.stdout + result.stderr
    assert result.exit_code == 4, out
    assert "client_secret=" in out  # the authority's description is shown, the secret in it is not
    assert not leaked(out, client_secret), out


def test_the_federated_assertion_an_authority_quotes_is_masked(
    tmp_path: Path, graph, graph_env, authority, actions_oidc
) -> None:
    assertion = actions_oidc.issue("api://AzureADTokenExchange")
    token_file = tmp_path / "federated-token"
    token_file.write_text(assertion + "\n")
    authority.add_federated(
        TENANT_ID, CLIENT_ID, issuer="https://token.actions.githubusercontent.com", subject=actions_oidc.subject
    )
    authority.fault(400, method="POST", echo=True)
    env = {key: value for key, value in graph_env().items() if not key.startswith("SYNCSECRETS_A")}
    env |= {
        "AZURE_TENANT_ID": TENANT_ID,
        "AZURE_CLIENT_ID": CLIENT_ID,
        "AZURE_FEDERATED_TOKEN_FILE": str(token_file),
        "APP_TOKEN": TOKEN,
    }
    write_profile(tmp_path)
    graph.add_principal(SP, {})
    result = run_cli(["plan", "--auth", "workload-identity", "--format", "github"], cwd=tmp_path, env=env)
    out = result.stdout + result.stderr
    assert result.exit_code == 4, out
    assert "client_assertion=" in out
    # The message is cut at a few hundred characters: no stretch of the assertion may show.
    assert not [at for at in range(0, len(assertion) - 24, 8) if assertion[at : at + 24] in out], out


@pytest.mark.parametrize("held", [TOKEN, f"Bearer {TOKEN}"], ids=["equal", "containing"])
def test_a_secret_the_tenant_holds_under_another_key_is_masked(tmp_path: Path, graph, graph_env, held) -> None:
    write_profile(tmp_path)
    write_profile(tmp_path, "other", sp=SP2, body='base_address = "https://scim.contoso.example/v2"\n')
    graph.add_principal(SP, {"UserName": held, "SecretToken": "*"})
    graph.add_principal(SP2, {"UserName": held})  # another target: a secret resolved for SP is masked here too
    env = {**graph_env(), "APP_TOKEN": TOKEN}
    for fmt in ("text", "json", "github"):
        result = run_cli(["plan", "--format", fmt, "--save", "plan.json"], cwd=tmp_path, env=env)
        out = result.stdout + result.stderr
        assert result.exit_code == 0, out
        assert TOKEN not in out, out
        assert "UserName" in out  # the key is reported (to be cleared), its value masked
        assert TOKEN not in (tmp_path / "plan.json").read_text()


@pytest.mark.parametrize("short", ["t", "abc", "1234567", "  seven "])
def test_a_revealed_secret_too_short_to_mask_is_exit_2(tmp_path: Path, graph, graph_env, short) -> None:
    write_profile(tmp_path)
    graph.add_principal(SP, {})
    env = {**graph_env(), "APP_TOKEN": short}
    for command in (["plan"], ["apply", "--auto-approve"], ["compile", "--reveal", "--out", "out"]):
        result = run_cli([*command, "--format", "json"], cwd=tmp_path, env=env)
        out = result.stdout + result.stderr
        assert result.exit_code == 2, out
        assert "secret_token" in out and "APP_TOKEN" in out and "fewer than 8 characters" in out, out
        assert "***" not in out  # every message is readable: nothing was masked
    assert graph.puts(SP) == []
    assert not (tmp_path / "out").exists()


def test_a_client_secret_too_short_to_mask_is_exit_2(tmp_path: Path, graph, graph_env, authority) -> None:
    write_profile(tmp_path)
    graph.add_principal(SP, {})
    env = {**graph_env(token=False), "AZURE_CLIENT_SECRET": "abc", "APP_TOKEN": TOKEN}
    result = run_cli(["plan"], cwd=tmp_path, env=env)
    out = result.stdout + result.stderr
    assert result.exit_code == 2, out
    assert "AZURE_CLIENT_SECRET" in out and "fewer than 8 characters" in out and "***" not in out
    assert authority.requests == [] and graph.journal == []


def test_import_from_tenant_writes_no_secret_held_under_another_key(tmp_path: Path, graph, graph_env) -> None:
    env = graph_env()
    token = env["SYNCSECRETS_ACCESS_TOKEN"]
    graph.add_principal(SP, {"UserName": token, "BaseAddress": "https://scim.contoso.example/v2"})
    result = run_cli(["import", "--from-tenant", SP, "--name", "lms"], cwd=tmp_path, env=env)
    assert result.exit_code == 0, result.stdout + result.stderr
    written = (tmp_path / "configs" / "lms.toml").read_text()
    assert token not in written and token.split(".")[2] not in written
    assert 'user_name = { env = "LMS_USER_NAME" }' in written
    assert token not in result.stdout + result.stderr
