"""The remote commands against hostile or broken input: what Graph answers, saved plan files.

Whatever Graph sends back (an error that echoes a secret, a 2xx that is not JSON, an odd
Retry-After, a nextLink the HTTP client cannot parse) ends as a failure of the target (exit 4)
with no secret in the output; a saved plan that is not what `plan --save` writes is exit 2.
Never an internal error (exit 3), never a leak.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.helpers import run_cli
from tests.test_plan import SP, TOKEN, write_profile


@pytest.fixture
def env(graph_env) -> dict[str, str]:
    return {**graph_env(), "APP_TOKEN": TOKEN}


def outputs(result) -> str:
    return result.stdout + result.stderr


@pytest.mark.parametrize("secret", ["canary  two-spaces", "canary\ttab", "canary\nsecond-line", " canary-padded "])
def test_a_secret_graph_echoes_is_masked_whatever_its_whitespace(tmp_path: Path, graph, graph_env, secret) -> None:
    write_profile(tmp_path)
    graph.add_principal(SP, {})
    graph.fault(400, method="PUT", message=f"The value {secret} is not a valid SecretToken.")
    for fmt in ("text", "json", "github"):
        result = run_cli(
            ["apply", "--auto-approve", "--format", fmt], cwd=tmp_path, env={**graph_env(), "APP_TOKEN": secret}
        )
        assert result.exit_code == 4, outputs(result)
        assert "canary" not in outputs(result), fmt
        graph.fault(400, method="PUT", message=f"The value {secret} is not a valid SecretToken.")


@pytest.mark.parametrize(
    "body",
    [b"<html>Service Unavailable</html>", b"\xff\xfe{}", b"[" * 100_000 + b"]" * 100_000, b""],
    ids=["html", "not-utf8", "too-deep", "empty"],
)
def test_a_2xx_answer_that_is_not_json_fails_the_target(tmp_path: Path, graph, env, body) -> None:
    write_profile(tmp_path)
    graph.add_principal(SP, {})
    graph.fault(200, method="GET", body=body)
    result = run_cli(["plan", "--format", "json"], cwd=tmp_path, env=env)
    assert result.exit_code == 4, outputs(result)
    error = json.loads(result.stdout)["targets"][0]["error"]
    assert "not JSON" in error


def test_apply_reading_back_an_answer_that_is_not_json_fails_the_target(tmp_path: Path, graph, env) -> None:
    write_profile(tmp_path)
    graph.add_principal(SP, {})
    graph.fault(200, method="GET", body=b'{"value": []}')  # the plan's GET, as Graph would answer it
    graph.fault(200, method="GET", body=b"{", times=50)  # every read-back after the PUT gets garbage
    result = run_cli(["apply", "--auto-approve", "--format", "json"], cwd=tmp_path, env=env)
    assert result.exit_code == 4, outputs(result)
    assert "not JSON" in json.loads(result.stdout)["targets"][0]["error"]
    assert len(graph.puts(SP)) == 1


@pytest.mark.parametrize(
    ("retry_after", "exit_code", "waited"),
    [
        ("\u00b2", 0, None),  # unreadable: backed off as if absent
        ("\u0661", 0, None),
        ("1\u00bd", 0, None),
        ("-1", 0, None),
        ("", 0, None),
        ("Fri, 31 Dec 9999 23:59:59 GMT", 4, []),  # past the retry budget: the request ends at once
    ],
)
def test_an_odd_retry_after_is_waited_out_or_ignored(tmp_path: Path, graph, env, clock, retry_after, exit_code, waited):
    write_profile(tmp_path)
    graph.add_principal(SP, {})
    graph.fault(429, method="GET", retry_after=retry_after)
    result = run_cli(["plan"], cwd=tmp_path, env=env)
    assert result.exit_code == exit_code, outputs(result)
    assert "internal error" not in outputs(result)
    if waited is None:  # one backoff of the first retry: jittered, at most a second
        assert len(clock.sleeps) == 1 and 0.1 <= clock.sleeps[0] <= 1.0
    else:
        assert clock.sleeps == waited


@pytest.mark.parametrize("link", ["{root}/v1.0/next\n?page=2", "{root}/v1.0/next\t?page=2", " {root}/v1.0/next"])
def test_a_next_link_the_client_cannot_parse_is_not_followed(tmp_path: Path, graph, env, link) -> None:
    write_profile(tmp_path)
    graph.add_principal(SP, {})
    page = {"value": [], "@odata.nextLink": link.format(root=graph.url)}
    graph.fault(200, method="GET", body=json.dumps(page).encode())
    result = run_cli(["plan", "--format", "json"], cwd=tmp_path, env=env)
    assert result.exit_code == 4, outputs(result)
    assert "nextLink" in json.loads(result.stdout)["targets"][0]["error"]
    assert len(graph.journal) == 1


@pytest.mark.parametrize(
    "change",
    [
        {"graph": ["not", "an", "object"]},
        {"graph": "https://graph.example"},
        {"environment": {"name": "prod"}},
        {"targets": [{"profile": ["configs/app.toml"], "environment": None, "service_principal_id": SP}]},
        {
            "targets": [
                {"profile": 1, "environment": None, "service_principal_id": SP},
                {"profile": "a.toml", "environment": None, "service_principal_id": SP},
            ]
        },
        {"targets": ["configs/app.toml"]},
        {
            "targets": [
                {"profile": "a.toml", "environment": None, "service_principal_id": SP},
                {"profile": "a.toml", "environment": "prod", "service_principal_id": SP},
            ]
        },
        {
            "targets": [
                {
                    "profile": "configs/app.toml",
                    "environment": None,
                    "service_principal_id": SP,
                    "profile_digest": {"sha256": "x"},
                    "tenant_digest": 5,
                }
            ]
        },
    ],
    ids=[
        "graph-list",
        "graph-string",
        "environment-table",
        "profile-list",
        "profile-number",
        "target-string",
        "environments-mixed",
        "digest-types",
    ],
)
def test_a_saved_plan_of_the_wrong_shape_is_exit_2(tmp_path: Path, graph, env, change) -> None:
    write_profile(tmp_path)
    graph.add_principal(SP, {})
    assert run_cli(["plan", "--save", "plan.json"], cwd=tmp_path, env=env).exit_code == 0
    document = json.loads((tmp_path / "plan.json").read_text())
    (tmp_path / "plan.json").write_text(json.dumps(document | change))
    result = run_cli(["apply", "--plan", "plan.json"], cwd=tmp_path, env=env)
    assert result.exit_code == 2, outputs(result)
    assert "internal error" not in result.stderr
    assert graph.puts(SP) == []


@pytest.mark.parametrize("key", ["Instance\nName", "::error::forged", "Key\x1b[2J", "", "Sync All"])
def test_a_tenant_key_that_is_no_key_name_fails_the_target(tmp_path: Path, graph, env, key) -> None:
    """Graph's keys are names of its enumeration: anything else in a key (a line break that would
    forge a CI annotation in the log, an escape sequence) is an answer that cannot be trusted."""
    write_profile(tmp_path)
    graph.add_principal(SP, {"BaseAddress": "https://scim.contoso.example/v2", key: "x"})
    result = run_cli(["plan"], cwd=tmp_path, env=env)
    assert result.exit_code == 4, outputs(result)
    assert "forged" not in result.stdout and "\x1b" not in result.stdout
    assert "holds a key that is not a key name" in result.stdout


def test_a_tenant_value_stays_on_its_line_of_the_report(tmp_path: Path, graph, env) -> None:
    """The credential-host warning names the tenant's BaseAddress host, and an error quotes
    Graph's message: neither may start a line of its own in the log (or reach the terminal)."""
    write_profile(tmp_path)
    graph.add_principal(SP, {"BaseAddress": "old\n::error::forged\x1b[2J/v2", "InstanceName": "a\u2028::error::b"})
    result = run_cli(["plan"], cwd=tmp_path, env=env)
    assert result.exit_code == 0, outputs(result)
    assert "\n::" not in result.stdout and "\u2028" not in result.stdout and "\x1b" not in result.stdout
    assert "host changes from old\\n::error" in result.stdout
    graph.fault(403, method="GET", code="Forbidden\n::error::code", message="no\x1b[2J\n::error::message")
    result = run_cli(["plan"], cwd=tmp_path, env=env)
    assert result.exit_code == 4, outputs(result)
    assert "\n::" not in outputs(result) and "\x1b" not in outputs(result)


@pytest.mark.parametrize("command", [["apply", "--auto-approve"], ["validate"], ["plan"]])
@pytest.mark.parametrize("value", ["<unrevealed env:APP_TOKEN>", "<unrevealed keyvault:kv.vault.azure.net/token"])
def test_a_secret_that_is_a_placeholder_is_exit_2(tmp_path: Path, graph, graph_env, command, value) -> None:
    """A variable holding what an unrevealed compile writes (a placeholder copied into a secret
    store) is the user's mistake, found before anything is sent, not an internal error."""
    write_profile(tmp_path)
    graph.add_principal(SP, {})
    graph.add_job(SP, "scim.1", "scim")
    result = run_cli(command, cwd=tmp_path, env={**graph_env(), "APP_TOKEN": value})
    assert result.exit_code == 2, outputs(result)
    # Caught where the reference is resolved (the variable holds a placeholder) or, for text that
    # only looks like one, where the value is checked: either way at the key, before any request.
    assert result.stderr.startswith("configs/app.toml:2:1: secret_token: "), result.stderr
    assert "placeholder" in result.stderr.splitlines()[0]
    assert [record.method for record in graph.journal] == []


def test_a_placeholder_written_in_a_profile_is_exit_2(tmp_path: Path, graph, env) -> None:
    write_profile(
        tmp_path,
        body='base_address = "https://scim.contoso.example/v2"\n'
        'secret_token = { env = "APP_TOKEN" }\ninstance_name = "<unrevealed env:NAME>"\n',
    )
    graph.add_principal(SP, {})
    result = run_cli(["apply", "--auto-approve"], cwd=tmp_path, env=env)
    assert result.exit_code == 2, outputs(result)
    assert "instance_name: is a placeholder" in result.stderr
    assert graph.puts(SP) == []


@pytest.mark.parametrize(
    "job", ["../secrets", "..", "a?b=", "a#b", "x/../../../servicePrincipals/other/synchronization"]
)
def test_a_job_id_from_graph_cannot_move_the_credentials_elsewhere(tmp_path: Path, graph, env, job) -> None:
    """validate POSTs the profile's secrets to the job Graph names: an id that is not an id
    would send them to another path (the secrets themselves, another principal's job)."""
    write_profile(tmp_path)
    graph.add_principal(SP, {})
    graph.add_job(SP, job, "scim")
    result = run_cli(["validate", "--format", "json"], cwd=tmp_path, env=env)
    assert result.exit_code == 4, outputs(result)
    assert "whose id is not an id" in json.loads(result.stdout)["targets"][0]["error"]
    assert [record.method for record in graph.journal] == ["GET"]


@pytest.mark.parametrize("secret", ['canary"quoted', "canary\\backslash", "canary\u00e9accent", "canary\nline"])
def test_a_secret_graph_echoes_inside_json_text_is_masked(tmp_path: Path, graph, graph_env, secret) -> None:
    """The synchronization service nests JSON in its messages, not always at their start (so the
    client cannot unwrap it): the secret then appears escaped, as JSON writes a string."""
    write_profile(tmp_path)
    graph.add_principal(SP, {})
    for ascii_only in (False, True):
        echoed = json.dumps({"SecretToken": secret}, ensure_ascii=ascii_only)
        graph.fault(400, method="PUT", message=f"Validation failed for {echoed}")
        result = run_cli(["apply", "--auto-approve"], cwd=tmp_path, env={**graph_env(), "APP_TOKEN": secret})
        assert result.exit_code == 4, outputs(result)
        assert "Validation failed" in result.stdout
        assert "canary" not in outputs(result)


@pytest.mark.parametrize(
    "body",
    [
        b"[" * 100_000 + b"]" * 100_000,
        b'{"error": ' * 50_000 + b"1" + b"}" * 50_000,
        b"\xff\xfe",
        b'{"error": "x"}',
        b'{"error": {"code": 5, "message": ["m"], "innerError": "id"}}',
    ],
    ids=["too-deep", "error-too-deep", "not-utf8", "error-not-object", "wrong-types"],
)
def test_an_error_answer_of_any_shape_fails_the_target(tmp_path: Path, graph, env, body) -> None:
    write_profile(tmp_path)
    graph.add_principal(SP, {})
    graph.fault(403, method="GET", body=body)
    result = run_cli(["plan", "--format", "json"], cwd=tmp_path, env=env)
    assert result.exit_code == 4, outputs(result)
    assert json.loads(result.stdout)["targets"][0]["error"].startswith("HTTP 403")


def test_apply_whose_every_put_fails_says_nothing_was_applied(tmp_path: Path, graph, env) -> None:
    write_profile(tmp_path)
    graph.add_principal(SP, {"InstanceName": "x"})
    graph.fault(403, method="PUT")
    result = run_cli(["apply", "--auto-approve"], cwd=tmp_path, env=env)
    assert result.exit_code == 4, outputs(result)
    assert result.stdout.endswith("Apply: 1 service principal: 0 applied, 1 failed\n")


def test_import_from_tenant_takes_no_reference_from_the_tenant(tmp_path: Path, graph, env) -> None:
    """A tenant value that looks like a placeholder must not become the reference it names: the
    next apply would send that variable (a deploy job's own credential) or file to Graph."""
    graph.add_principal(
        SP,
        {
            "BaseAddress": "<unrevealed env:AZURE_CLIENT_SECRET>",
            "InstanceName": "<unrevealed file:../../.git/config>",
            "SecretToken": "*",
        },
    )
    result = run_cli(["import", "--from-tenant", SP, "--name", "lms"], cwd=tmp_path, env=env)
    assert result.exit_code == 0, outputs(result)
    written = (tmp_path / "configs" / "lms.toml").read_text()
    assert "AZURE_CLIENT_SECRET" not in written and ".git" not in written
    assert 'base_address = { env = "LMS_BASE_ADDRESS" }' in written
    assert 'instance_name = { env = "LMS_INSTANCE_NAME" }' in written


@pytest.mark.parametrize("token", ["canary-t\u00f6ken", "canary\u2603", "canary\nsecond-line", "canary two-words"])
def test_an_access_token_that_cannot_be_a_header_is_refused_before_any_request(
    tmp_path: Path, graph, env, token
) -> None:
    write_profile(tmp_path)
    graph.add_principal(SP, {})
    result = run_cli(["plan"], cwd=tmp_path, env={**env, "SYNCSECRETS_ACCESS_TOKEN": token})
    assert result.exit_code == 4, outputs(result)
    assert "SYNCSECRETS_ACCESS_TOKEN does not hold an access token alone" in result.stderr
    assert "canary" not in outputs(result)
    assert graph.journal == []


def test_a_tenant_claim_stays_on_the_summary_line(tmp_path: Path, authority, graph, env) -> None:
    write_profile(tmp_path, application='tenant_id = "11111111-1111-4111-8111-111111111111"\n')
    graph.add_principal(SP, {})
    token = authority.issue_token("x\n::error::forged\x1b[2J", audience=graph.url)
    result = run_cli(["plan"], cwd=tmp_path, env={**env, "SYNCSECRETS_ACCESS_TOKEN": token})
    assert result.exit_code == 4, outputs(result)
    assert "the credential is for tenant x\\n::error::forged\\u001b[2j" in result.stderr  # tid is lower-cased
    assert graph.journal == []


def test_a_tenant_answer_with_a_key_twice_fails_the_target(tmp_path: Path, graph, env) -> None:
    """Which of two values would plan compare, and apply read back? Neither can be trusted."""
    write_profile(tmp_path)
    graph.add_principal(SP, {})
    pairs = [{"key": "BaseAddress", "value": "https://scim.contoso.example/v2"}, {"key": "BaseAddress", "value": "x"}]
    graph.fault(200, method="GET", body=json.dumps({"value": pairs}).encode())
    result = run_cli(["plan"], cwd=tmp_path, env=env)
    assert result.exit_code == 4, outputs(result)
    assert "holds a key twice" in result.stdout


@pytest.mark.parametrize(
    "settings",
    [
        {"AZURE_TENANT_ID": "contoso/../other"},
        {"AZURE_TENANT_ID": "two words"},
        {"AZURE_CLIENT_ID": ""},
        {"AZURE_CLIENT_SECRET": "", "AZURE_CLIENT_CERTIFICATE_PATH": "/nonexistent/cert.pem"},
        {"AZURE_AUTHORITY_HOST": "http://127.0.0.1:1"},
        {"AZURE_AUTHORITY_HOST": "https://[::1"},
        {"AZURE_AUTHORITY_HOST": "https://exa mple.example"},
    ],
    ids=[
        "tenant-path",
        "tenant-space",
        "client-empty",
        "certificate-missing",
        "authority-http",
        "authority-ipv6",
        "authority-space",
    ],
)
@pytest.mark.parametrize(
    "command", [["plan"], ["apply", "--auto-approve"], ["import", "--from-tenant", SP, "--name", "x"]]
)
def test_azure_settings_the_credential_cannot_use_are_exit_2(
    tmp_path: Path, graph, graph_env, settings, command
) -> None:
    write_profile(tmp_path)
    graph.add_principal(SP, {})
    result = run_cli(command, cwd=tmp_path, env={**graph_env(token=False), "APP_TOKEN": TOKEN, **settings})
    assert result.exit_code == 2, outputs(result)
    assert "internal error" not in result.stderr
    assert graph.journal == []


@pytest.mark.parametrize("url", ["https://token.example\n", "https://exa mple\n/token"])
def test_a_github_oidc_url_httpx_refuses_fails_the_sign_in(tmp_path: Path, graph, graph_env, url) -> None:
    write_profile(tmp_path)
    graph.add_principal(SP, {})
    env = {**graph_env(auth="github-oidc"), "APP_TOKEN": TOKEN, "ACTIONS_ID_TOKEN_REQUEST_URL": url}
    result = run_cli(["plan"], cwd=tmp_path, env=env)
    assert result.exit_code == 4, outputs(result)
    assert "GitHub's OIDC token endpoint did not give a token" in result.stderr
    assert graph.journal == []


def test_apply_validate_whose_every_target_is_invalid_says_so(tmp_path: Path, graph, env) -> None:
    write_profile(tmp_path)
    graph.add_principal(SP, {})
    graph.add_job(SP, "scim.1", "scim", accepts={"SecretToken": "another"})
    result = run_cli(["apply", "--validate", "--auto-approve"], cwd=tmp_path, env=env)
    assert result.exit_code == 1, outputs(result)
    assert result.stdout.endswith("Apply: 1 service principal: 0 applied, 1 invalid (not sent)\n")
    assert graph.puts(SP) == []


@pytest.mark.parametrize("wait", ["nan", "inf"])
def test_a_wait_that_is_no_number_of_seconds_is_exit_2(tmp_path: Path, graph, env, wait) -> None:
    """A tenant that never shows the PUT would be read back for ever (nan compares false)."""
    write_profile(tmp_path)
    graph.add_principal(SP, {})
    result = run_cli(["apply", "--auto-approve", "--wait", wait], cwd=tmp_path, env=env)
    assert result.exit_code == 2, outputs(result)
    assert "--wait: must be a number of seconds" in result.stderr
    assert graph.journal == []


def test_a_vault_token_that_cannot_be_a_header_is_refused_by_name(tmp_path: Path, graph, keyvault, env) -> None:
    """The vault's given token (--auth token) passes the same check as Graph's (one rule)."""
    pytest.importorskip("azure.keyvault.secrets")
    keyvault.set_secret("scim-token", "canary-vault-value")
    write_profile(
        tmp_path,
        body='base_address = "https://scim.contoso.example/v2"\n'
        f'secret_token = {{ keyvault = "{keyvault.secret_uri("scim-token")}" }}\n',
    )
    graph.add_principal(SP, {})
    vault = {"SYNCSECRETS_KEYVAULT_HOSTS": keyvault.host, "SYNCSECRETS_KEYVAULT_ACCESS_TOKEN": "canary-t\u00f6ken"}
    result = run_cli(["plan"], cwd=tmp_path, env={**env, **vault})
    assert result.exit_code == 4, outputs(result)
    assert "SYNCSECRETS_KEYVAULT_ACCESS_TOKEN does not hold an access token alone" in result.stderr
    assert "canary" not in outputs(result)
    assert graph.journal == []


def test_a_saved_plan_cannot_forge_a_line_of_the_log(tmp_path: Path, graph, env) -> None:
    """apply --plan quotes the saved plan's Graph root and environment when they differ."""
    write_profile(tmp_path)
    graph.add_principal(SP, {})
    assert run_cli(["plan", "--save", "plan.json"], cwd=tmp_path, env=env).exit_code == 0
    document = json.loads((tmp_path / "plan.json").read_text())
    document["graph"]["root"] = "https://graph.example\n::error::forged"
    (tmp_path / "plan.json").write_text(json.dumps(document))
    for fmt in ("text", "json", "github"):
        result = run_cli(["apply", "--plan", "plan.json", "--format", fmt], cwd=tmp_path, env=env)
        assert result.exit_code == 2, outputs(result)
        assert "\n::error::forged" not in outputs(result), fmt


def test_plan_save_that_cannot_save_says_so(tmp_path: Path, graph, env) -> None:
    write_profile(tmp_path)
    graph.add_principal(SP, {})
    graph.fault(403, method="GET")
    result = run_cli(["plan", "--save", "plan.json"], cwd=tmp_path, env=env)
    assert result.exit_code == 4, outputs(result)
    assert "Did not save the plan to plan.json" in result.stderr
    assert not (tmp_path / "plan.json").exists()
